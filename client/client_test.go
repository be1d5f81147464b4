package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/client"
)

// request is what the fake API saw.
type request struct {
	Method, Path, RawPath, Query, Auth, IfMatch, ContentType, Body string
}

// fakeAPI answers every request with the canned status, headers and body, and records the request.
type fakeAPI struct {
	status  int
	headers map[string]string
	body    string
	got     []request
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.got = append(f.got, request{
		Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Auth: r.Header.Get("Authorization"), IfMatch: r.Header.Get("If-Match"),
		ContentType: r.Header.Get("Content-Type"), Body: string(b),
	})
	for k, v := range f.headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(f.status)
	io.WriteString(w, f.body)
}

func newClient(t *testing.T, f http.Handler, suffix string) *client.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL+suffix, client.StaticToken("tok"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const noteJSON = `{"noteId":"01JABCDEFGHJKMNPQRSTVWXYZ0","title":"t","content":"c","createdAt":"2026-11-25T20:00:00Z","updatedAt":"2026-11-25T20:01:00Z","version":3}`

var wantNote = client.Note{
	ID: "01JABCDEFGHJKMNPQRSTVWXYZ0", Title: "t", Content: "c",
	CreatedAt: time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC),
	UpdatedAt: time.Date(2026, 11, 25, 20, 1, 0, 0, time.UTC),
	Version:   3,
}

func TestCalls(t *testing.T) {
	withETag := wantNote
	withETag.ETag = `"3"`
	tests := []struct {
		name    string
		suffix  string // appended to the server URL as the base URL
		status  int
		headers map[string]string
		body    string
		call    func(ctx context.Context, c *client.Client) (any, error)
		want    any
		wantReq request
	}{
		{
			name: "create", status: 201, headers: map[string]string{"ETag": `"3"`}, body: noteJSON,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Create(ctx, client.NoteInput{Title: "t", Content: "c"})
			},
			want:    withETag,
			wantReq: request{Method: "POST", Path: "/notes", RawPath: "/notes", Auth: "Bearer tok", ContentType: "application/json", Body: `{"title":"t","content":"c"}`},
		},
		{
			name: "create without title omits it", status: 201, body: noteJSON,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				n, err := c.Create(ctx, client.NoteInput{Content: "c"})
				return n.ID, err
			},
			want:    wantNote.ID,
			wantReq: request{Method: "POST", Path: "/notes", RawPath: "/notes", Auth: "Bearer tok", ContentType: "application/json", Body: `{"content":"c"}`},
		},
		{
			name: "list with limit and cursor under a stage path", suffix: "/dev/", status: 200,
			body: `{"items":[` + noteJSON + `],"nextCursor":"abc=="}`,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.List(ctx, client.ListOptions{Limit: 5, Cursor: "x+y/z="})
			},
			want:    client.Page{Items: []client.Note{wantNote}, NextCursor: "abc=="},
			wantReq: request{Method: "GET", Path: "/dev/notes", RawPath: "/dev/notes", Query: "cursor=x%2By%2Fz%3D&limit=5", Auth: "Bearer tok"},
		},
		{
			name: "list defaults send no query", status: 200, body: `{"items":[]}`,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.List(ctx, client.ListOptions{})
			},
			want:    client.Page{Items: []client.Note{}},
			wantReq: request{Method: "GET", Path: "/notes", RawPath: "/notes", Auth: "Bearer tok"},
		},
		{
			name: "get returns version and etag", status: 200, headers: map[string]string{"ETag": `"3"`}, body: noteJSON,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Get(ctx, wantNote.ID)
			},
			want:    withETag,
			wantReq: request{Method: "GET", Path: "/notes/" + wantNote.ID, RawPath: "/notes/" + wantNote.ID, Auth: "Bearer tok"},
		},
		{
			name: "an id with a slash stays one path segment", status: 404, body: `{"message":"note not found","code":"NotFound"}`,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				_, err := c.Get(ctx, "a/../b")
				return nil, err
			},
			want:    error(&client.Error{Status: 404, Code: "NotFound", Message: "note not found"}),
			wantReq: request{Method: "GET", Path: "/notes/a/../b", RawPath: "/notes/a%2F..%2Fb", Auth: "Bearer tok"},
		},
		{
			name: "update with version sends if-match", status: 200, body: noteJSON,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Update(ctx, "n1", client.NoteInput{Title: "t", Content: "c"}, 2)
			},
			want:    wantNote,
			wantReq: request{Method: "PUT", Path: "/notes/n1", RawPath: "/notes/n1", Auth: "Bearer tok", IfMatch: `"2"`, ContentType: "application/json", Body: `{"title":"t","content":"c"}`},
		},
		{
			name: "update without version is unconditional", status: 200, body: noteJSON,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Update(ctx, "n1", client.NoteInput{Content: "c"}, 0)
			},
			want:    wantNote,
			wantReq: request{Method: "PUT", Path: "/notes/n1", RawPath: "/notes/n1", Auth: "Bearer tok", ContentType: "application/json", Body: `{"content":"c"}`},
		},
		{
			name: "delete", status: 204,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return nil, c.Delete(ctx, "n1", 4)
			},
			want:    nil,
			wantReq: request{Method: "DELETE", Path: "/notes/n1", RawPath: "/notes/n1", Auth: "Bearer tok", IfMatch: `"4"`},
		},
		{
			name: "stale version", status: 412, headers: map[string]string{"Apigw-Requestid": "req-1"},
			body: `{"message":"version mismatch","code":"PreconditionFailed"}`,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return nil, c.Delete(ctx, "n1", 1)
			},
			want:    error(&client.Error{Status: 412, Code: "PreconditionFailed", Message: "version mismatch", RequestID: "req-1"}),
			wantReq: request{Method: "DELETE", Path: "/notes/n1", RawPath: "/notes/n1", Auth: "Bearer tok", IfMatch: `"1"`},
		},
		{
			name: "gateway error without code", status: 401, body: `{"message":"Unauthorized"}`,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				_, err := c.List(ctx, client.ListOptions{})
				return nil, err
			},
			want:    error(&client.Error{Status: 401, Message: "Unauthorized"}),
			wantReq: request{Method: "GET", Path: "/notes", RawPath: "/notes", Auth: "Bearer tok"},
		},
		{
			name: "non-json error body is kept as the message", status: 502, body: "<html>bad gateway</html>\n",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				_, err := c.List(ctx, client.ListOptions{})
				return nil, err
			},
			want:    error(&client.Error{Status: 502, Message: "<html>bad gateway</html>"}),
			wantReq: request{Method: "GET", Path: "/notes", RawPath: "/notes", Auth: "Bearer tok"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{status: tt.status, headers: tt.headers, body: tt.body}
			c := newClient(t, f, tt.suffix)
			got, err := tt.call(context.Background(), c)
			if err != nil {
				got = err
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
			if len(f.got) != 1 {
				t.Fatalf("server saw %d requests; want 1", len(f.got))
			}
			if diff := cmp.Diff(tt.wantReq, f.got[0]); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorIs(t *testing.T) {
	tests := []struct {
		status int
		target error
	}{
		{401, client.ErrUnauthorized},
		{403, client.ErrForbidden},
		{404, client.ErrNotFound},
		{412, client.ErrPreconditionFailed},
	}
	for _, tt := range tests {
		var err error = &client.Error{Status: tt.status}
		if !errors.Is(err, tt.target) {
			t.Errorf("errors.Is(%d, %v) = false; want true", tt.status, tt.target)
		}
		if errors.Is(&client.Error{Status: 500}, tt.target) {
			t.Errorf("errors.Is(500, %v) = true; want false", tt.target)
		}
	}
}

func TestListAllFollowsCursor(t *testing.T) {
	var cursors []string
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := r.URL.Query().Get("cursor")
		cursors = append(cursors, cur+"|"+r.URL.Query().Get("limit"))
		next := map[string]string{"": "c1", "c1": "c2", "c2": ""}[cur]
		json.NewEncoder(w).Encode(client.Page{Items: []client.Note{{ID: "after-" + cur}}, NextCursor: next})
	})
	c := newClient(t, srv, "")
	notes, err := c.ListAll(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, n := range notes {
		ids = append(ids, n.ID)
	}
	if diff := cmp.Diff([]string{"after-", "after-c1", "after-c2"}, ids); diff != "" {
		t.Errorf("ListAll ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"|1", "c1|1", "c2|1"}, cursors); diff != "" {
		t.Errorf("cursors sent (-want +got):\n%s", diff)
	}
}

func TestListAllStopsOnARepeatedCursor(t *testing.T) {
	calls := 0
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		json.NewEncoder(w).Encode(client.Page{Items: []client.Note{{ID: "n"}}, NextCursor: "same"})
	})
	c := newClient(t, srv, "")
	notes, err := c.ListAll(context.Background(), 0)
	if err == nil || !strings.Contains(err.Error(), `returned cursor "same" again`) || calls != 2 || len(notes) != 2 {
		t.Errorf("ListAll with a stuck cursor = %d notes, %v after %d calls; want an error after 2 calls", len(notes), err, calls)
	}
}

func TestTokenSourceAskedPerCall(t *testing.T) {
	f := &fakeAPI{status: 200, body: `{"items":[]}`}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	n := 0
	c, err := client.New(srv.URL, client.TokenSourceFunc(func(context.Context) (string, error) {
		n++
		if n == 3 {
			return "", errors.New("not signed in")
		}
		return "t" + strings.Repeat("x", n), nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 {
		if _, err := c.List(ctx, client.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.List(ctx, client.ListOptions{}); err == nil || !strings.Contains(err.Error(), "not signed in") {
		t.Errorf("List with a failing token source = %v; want the source's error", err)
	}
	if len(f.got) != 2 || f.got[0].Auth != "Bearer tx" || f.got[1].Auth != "Bearer txx" {
		t.Errorf("requests = %+v; want two with fresh tokens and none after the token error", f.got)
	}
}

func TestNewValidates(t *testing.T) {
	for _, u := range []string{"", "notes.example.com", "ftp://x/", "http://"} {
		if _, err := client.New(u, client.StaticToken("t")); err == nil {
			t.Errorf("New(%q) = nil error; want an error", u)
		}
	}
	if _, err := client.New("http://x", nil); err == nil {
		t.Error("New with nil token source = nil error; want an error")
	}
}

func TestETagVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{`"3"`, 3, false}, {`W/"12"`, 12, false}, {`7`, 7, false},
		{``, 0, true}, {`"abc"`, 0, true}, {`"0"`, 0, true},
	}
	for _, tt := range tests {
		got, err := client.ETagVersion(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ETagVersion(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	e := &client.Error{Status: 412, Code: "PreconditionFailed", Message: "version mismatch", RequestID: "r1"}
	want := "412 Precondition Failed (PreconditionFailed): version mismatch [request id r1]"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}
