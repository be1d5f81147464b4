// Package httpapi adapts API Gateway HTTP API (payload format 2.0) events to
// the notes service: it authenticates the caller from the JWT authorizer's
// claims, decodes and checks requests, maps errors to statuses in one place,
// writes JSON responses, and logs one structured line per request.
package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/authnotes/authnotes/lambda/internal/notes"
)

// Route is one of the five routes; each Lambda function serves exactly one.
type Route int

// The routes of the notes API.
const (
	CreateNote Route = iota + 1
	ListNotes
	GetNote
	UpdateNote
	DeleteNote
)

func (r Route) String() string {
	switch r {
	case CreateNote:
		return "POST /notes"
	case ListNotes:
		return "GET /notes"
	case GetNote:
		return "GET /notes/{id}"
	case UpdateNote:
		return "PUT /notes/{id}"
	case DeleteNote:
		return "DELETE /notes/{id}"
	}
	return fmt.Sprintf("Route(%d)", int(r))
}

// Handler serves one route.
type Handler struct {
	route Route
	svc   *notes.Service
	log   *slog.Logger
}

// New returns the handler for route. svc and log are shared for the process lifetime.
func New(route Route, svc *notes.Service, log *slog.Logger) *Handler {
	return &Handler{route: route, svc: svc, log: log}
}

// Handle is the Lambda entry point. It always answers with an HTTP response
// and a nil error: a Go error would make API Gateway send its own bare 500,
// without our JSON body or the request id the caller needs to report it.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := time.Now()
	owner := owner(req)
	var (
		resp events.APIGatewayV2HTTPResponse
		err  error
	)
	if owner == "" {
		err = &apiError{status: 401, code: codeUnauthorized, message: "the request carries no authenticated user"}
	} else {
		resp, err = h.serveRecovering(ctx, owner, req)
	}

	lambdaID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		lambdaID = lc.AwsRequestID
	}
	attrs := []slog.Attr{
		slog.String("requestId", lambdaID),
		slog.String("apiRequestId", req.RequestContext.RequestID),
		slog.String("route", h.route.String()),
		slog.String("user", owner),
	}
	level := slog.LevelInfo
	if err != nil {
		ae := toAPIError(err)
		var reqID string
		if ae.status >= 500 {
			level = slog.LevelError
			reqID = req.RequestContext.RequestID
			if reqID == "" {
				reqID = lambdaID
			}
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		resp, _ = jsonResponse(ae.status, errorBody{Message: ae.message, Code: ae.code, RequestID: reqID}) // strings always encode
		if ae.status == 401 {
			resp.Headers["WWW-Authenticate"] = "Bearer"
		}
		attrs = append(attrs, slog.String("code", ae.code))
	}
	attrs = append(attrs,
		slog.Int("status", resp.StatusCode),
		slog.Float64("latencyMs", float64(time.Since(start).Microseconds())/1000),
	)
	h.log.LogAttrs(ctx, level, "request", attrs...)
	return resp, nil
}

// owner is the caller: the sub claim the API Gateway JWT authorizer verified.
// The nil checks are defence in depth for a route deployed without the authorizer.
func owner(req events.APIGatewayV2HTTPRequest) string {
	a := req.RequestContext.Authorizer
	if a == nil || a.JWT == nil {
		return ""
	}
	return a.JWT.Claims["sub"]
}

// serveRecovering turns a panic into an unexpected error. Left to the Lambda
// runtime, a panic would reach the caller as API Gateway's bare 500, with no
// request id to quote and no log line of ours.
func (h *Handler) serveRecovering(ctx context.Context, owner string, req events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return h.serve(ctx, owner, req)
}

func (h *Handler) serve(ctx context.Context, owner string, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	switch h.route {
	case CreateNote:
		in, err := DecodeInput(req)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		n, err := h.svc.Create(ctx, owner, in)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		resp, err := noteResponse(201, n)
		if err == nil {
			resp.Headers["Location"] = location(req.RawPath, n.ID)
		}
		return resp, err

	case ListNotes:
		limit, err := parseLimit(req.QueryStringParameters["limit"])
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		page, err := h.svc.List(ctx, owner, limit, req.QueryStringParameters["cursor"])
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return pageResponse(owner, page)

	case GetNote:
		n, err := h.svc.Get(ctx, owner, req.PathParameters["id"])
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return noteResponse(200, n)

	case UpdateNote:
		pre, err := ParseIfMatch(header(req, "if-match"))
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		in, err := DecodeInput(req)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		n, err := h.svc.Update(ctx, owner, req.PathParameters["id"], in, pre)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return noteResponse(200, n)

	case DeleteNote:
		pre, err := ParseIfMatch(header(req, "if-match"))
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if err := h.svc.Delete(ctx, owner, req.PathParameters["id"], pre); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 204, Headers: map[string]string{"Cache-Control": "no-store"}}, nil
	}
	return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("handler built for unknown route %v", h.route)
}

// maxItemsBytes bounds a page's notes in the response document the Lambda
// runtime posts, which Lambda refuses above 6 MB: 100 notes of 64 KiB do not
// fit. The body travels in that document as a JSON string, so a note costs its
// JSON escaped once more (a quote becomes \", an escaped < becomes \\u003c).
// The margin is for the headers, the status and the cursor.
const maxItemsBytes = 6<<20 - 64<<10

// pageResponse answers with page, or with as many of its notes as fit in one
// response (fitPage). Escaping the body into the response document at most
// sextuples a byte (< becomes \u003c, a stray byte \ufffd), so a body of up to
// a sixth of maxItemsBytes, every usual page, fits without measuring its notes.
func pageResponse(owner string, page notes.Page) (events.APIGatewayV2HTTPResponse, error) {
	resp, err := jsonResponse(200, page)
	if err != nil || 6*len(resp.Body) <= maxItemsBytes {
		return resp, err
	}
	if page, err = fitPage(owner, page); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return jsonResponse(200, page)
}

// fitPage keeps the notes that fit in one response; the cursor continues with
// the rest, so "limit" is an upper bound, as it is for any paginated API.
func fitPage(owner string, page notes.Page) (notes.Page, error) {
	used := 0
	for i, n := range page.Items {
		b, err := json.Marshal(n)
		if err != nil {
			return notes.Page{}, fmt.Errorf("encode note %s: %w", n.ID, err)
		}
		inDocument, _ := json.Marshal(string(b)) // a string always encodes
		used += len(inDocument) - 2 + 1          // without its quotes, with a comma
		if used > maxItemsBytes && i > 0 {
			return page.Truncate(owner, i)
		}
	}
	return page, nil
}

// location is the new note's URL path: the request's own path (which keeps a
// stage prefix such as /dev when the API has one) followed by the ID; /notes
// when the event carries no path (a direct invocation).
func location(rawPath, id string) string {
	base := strings.TrimSuffix(rawPath, "/")
	if base == "" {
		base = "/notes"
	}
	return base + "/" + id
}

func noteResponse(status int, n notes.Note) (events.APIGatewayV2HTTPResponse, error) {
	resp, err := jsonResponse(status, n)
	if err != nil {
		return resp, err
	}
	resp.Headers["ETag"] = ETag(n.Version)
	return resp, nil
}

// jsonResponse marshals v. A note only fails to marshal with a corrupt
// timestamp (a year outside 0–9999): that is an unexpected error, answered
// like any other with a 500 that carries the request id.
func jsonResponse(status int, v any) (events.APIGatewayV2HTTPResponse, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("encode the response: %w", err)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type": "application/json",
			// Notes are private: no shared cache may keep them.
			"Cache-Control": "no-store",
		},
		Body: string(b),
	}, nil
}
