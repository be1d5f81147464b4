// Package client is the typed Go client for the authnotes HTTP API: the one client used by notesctl and by tests.
//
// Every call asks its TokenSource for an access token, so a source that refreshes tokens keeps long sessions
// working. Errors from the API come back as *Error, carrying the HTTP status and the API's {"message","code"} body.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TokenSource hands out the access token sent as the Authorization bearer token.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
}

// TokenSourceFunc adapts a function to TokenSource.
type TokenSourceFunc func(ctx context.Context) (string, error)

// AccessToken calls f.
func (f TokenSourceFunc) AccessToken(ctx context.Context) (string, error) { return f(ctx) }

// StaticToken is a TokenSource that always returns the same token.
type StaticToken string

// AccessToken returns t.
func (t StaticToken) AccessToken(context.Context) (string, error) { return string(t), nil }

// Note is a note as the API returns it. The owner is never part of it.
type Note struct {
	ID        string    `json:"noteId"`
	Title     string    `json:"title"`
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int       `json:"version"`
	// ETag is the response's ETag header (set by Get, Create and Update when the API sends one).
	ETag string `json:"-"`
}

// NoteInput is the body of a create or a full-replacement update.
type NoteInput struct {
	Title   string `json:"title,omitempty"`
	Content string `json:"content"`
}

// Page is one page of List.
type Page struct {
	Items []Note `json:"items"`
	// NextCursor is empty on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// ListOptions selects a page. Zero values mean the API's defaults (20 notes, first page).
type ListOptions struct {
	Limit  int
	Cursor string
}

// Error is a non-2xx answer from the API (or its gateway, whose bodies carry only a message).
type Error struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request id %s]", e.RequestID)
	}
	return b.String()
}

// Sentinel errors matched by errors.Is against an *Error by its status.
var (
	ErrUnauthorized       = errors.New("unauthorized")        // 401
	ErrForbidden          = errors.New("forbidden")           // 403
	ErrNotFound           = errors.New("not found")           // 404
	ErrPreconditionFailed = errors.New("precondition failed") // 412: the version given in If-Match is stale
)

// Is reports whether target is the sentinel for e's status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrPreconditionFailed:
		return e.Status == http.StatusPreconditionFailed
	}
	return false
}

// Client calls the notes API. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	tokens TokenSource
	http   *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client. Default: a client with a 30 s timeout.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client for the API at baseURL (the stack's ApiUrl, with or without a trailing slash).
func New(baseURL string, tokens TokenSource, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("api url %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("api url %q: want an absolute http(s) URL", baseURL)
	}
	if tokens == nil {
		return nil, errors.New("token source is nil")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c := &Client{base: u, tokens: tokens, http: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Create creates a note.
func (c *Client) Create(ctx context.Context, in NoteInput) (Note, error) {
	var n Note
	h, err := c.do(ctx, http.MethodPost, "/notes", nil, in, "", http.StatusCreated, &n)
	n.ETag = h.Get("ETag")
	return n, err
}

// List returns one page of the caller's notes, newest first.
func (c *Client) List(ctx context.Context, opts ListOptions) (Page, error) {
	q := url.Values{}
	if opts.Limit != 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	if opts.Cursor != "" {
		q.Set("cursor", opts.Cursor)
	}
	var p Page
	_, err := c.do(ctx, http.MethodGet, "/notes", q, nil, "", http.StatusOK, &p)
	return p, err
}

// ListAll pages through every note with pages of limit notes (0: the API's default) and returns them in order.
func (c *Client) ListAll(ctx context.Context, limit int) ([]Note, error) {
	var all []Note
	opts := ListOptions{Limit: limit}
	for {
		p, err := c.List(ctx, opts)
		if err != nil {
			return all, err
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all, nil
		}
		// A cursor handed back unchanged would page forever.
		if p.NextCursor == opts.Cursor {
			return all, fmt.Errorf("list notes: the API returned cursor %q again", p.NextCursor)
		}
		opts.Cursor = p.NextCursor
	}
}

// Get returns one note; its Version and ETag are what Update and Delete take for a conditional write.
func (c *Client) Get(ctx context.Context, id string) (Note, error) {
	var n Note
	h, err := c.do(ctx, http.MethodGet, notePath(id), nil, nil, "", http.StatusOK, &n)
	n.ETag = h.Get("ETag")
	return n, err
}

// Update replaces a note's title and content. With version > 0 it sends If-Match and the API refuses with
// ErrPreconditionFailed when the note has moved on; with 0 the last writer wins.
func (c *Client) Update(ctx context.Context, id string, in NoteInput, version int) (Note, error) {
	var n Note
	h, err := c.do(ctx, http.MethodPut, notePath(id), nil, in, ifMatch(version), http.StatusOK, &n)
	n.ETag = h.Get("ETag")
	return n, err
}

// Delete deletes a note, conditionally on version when version > 0 (as Update).
func (c *Client) Delete(ctx context.Context, id string, version int) error {
	_, err := c.do(ctx, http.MethodDelete, notePath(id), nil, nil, ifMatch(version), http.StatusNoContent, nil)
	return err
}

// ETagVersion reads the version out of an ETag header value (`"3"`, `W/"3"` or `3`).
func ETagVersion(etag string) (int, error) {
	s := strings.TrimPrefix(strings.TrimSpace(etag), "W/")
	s = strings.Trim(s, `"`)
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("etag %q does not carry a version", etag)
	}
	return v, nil
}

func notePath(id string) string { return "/notes/" + url.PathEscape(id) }

func ifMatch(version int) string {
	if version <= 0 {
		return ""
	}
	return strconv.Quote(strconv.Itoa(version))
}

// maxErrorBody bounds how much of an error body is read: error bodies are small, a proxy's HTML page need not be.
const maxErrorBody = 64 << 10

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body any, match string, want int, out any) (http.Header, error) {
	// path is already escaped (a note ID with a slash must not reach another route).
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	u.Path += unescaped
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	tok, err := c.tokens.AccessToken(ctx)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if match != "" {
		req.Header.Set("If-Match", match)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return resp.Header, apiError(resp)
	}
	if out == nil {
		return resp.Header, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.Header, fmt.Errorf("%s %s: decode %d response: %w", method, path, resp.StatusCode, err)
	}
	return resp.Header, nil
}

func apiError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("Apigw-Requestid")}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body struct {
		Message   string `json:"message"`
		Code      string `json:"code"`
		RequestID string `json:"requestId"`
	}
	if json.Unmarshal(b, &body) == nil {
		e.Message, e.Code = body.Message, body.Code
		if body.RequestID != "" {
			e.RequestID = body.RequestID
		}
	} else {
		e.Message = strings.TrimSpace(string(b))
	}
	return e
}
