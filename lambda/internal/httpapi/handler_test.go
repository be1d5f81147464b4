package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/lambda/internal/notes"
	"github.com/authnotes/authnotes/lambda/internal/notestest"
)

// The fixtures' caller and the note seeded for them.
const (
	fixtureSub   = notestest.Alice
	fixtureID    = "01KDNQ8G0A6V4M3T2RC7XJ5ZP9"
	fixtureToken = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0" // the start of the bearer token in every fixture
)

var seeded = notes.Note{
	ID: fixtureID, Title: "Groceries", Content: "milk, eggs",
	CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Version: 1,
}

var fixtureRoutes = map[string]Route{
	"create-note.json": CreateNote, "list-notes.json": ListNotes, "get-note.json": GetNote,
	"update-note.json": UpdateNote, "delete-note.json": DeleteNote,
}

func loadEvent(t testing.TB, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return req
}

type harness struct {
	store *notestest.Store
	svc   *notes.Service
	logs  *bytes.Buffer
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	st := notestest.NewStore()
	if err := st.Create(context.Background(), fixtureSub, seeded); err != nil {
		t.Fatal(err)
	}
	return &harness{store: st, svc: notes.NewService(st, notes.WithClock(new(notestest.Clock).Now)), logs: new(bytes.Buffer)}
}

func (hs *harness) do(t testing.TB, route Route, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"})
	h := New(route, hs.svc, slogJSON(hs.logs))
	resp, err := h.Handle(ctx, req)
	if err != nil {
		t.Fatalf("Handle() error = %v; want nil (errors are responses)", err)
	}
	return resp
}

func decodeBody(t *testing.T, resp events.APIGatewayV2HTTPResponse) map[string]any {
	t.Helper()
	if resp.Body == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatalf("response body %q is not a JSON object: %v", resp.Body, err)
	}
	return m
}

func withBody(body string) func(*events.APIGatewayV2HTTPRequest) {
	return func(r *events.APIGatewayV2HTTPRequest) { r.Body = body }
}

func withHeader(k, v string) func(*events.APIGatewayV2HTTPRequest) {
	return func(r *events.APIGatewayV2HTTPRequest) {
		if v == "" {
			delete(r.Headers, k)
			return
		}
		r.Headers[k] = v
	}
}

func withSub(sub string) func(*events.APIGatewayV2HTTPRequest) {
	return func(r *events.APIGatewayV2HTTPRequest) { r.RequestContext.Authorizer.JWT.Claims["sub"] = sub }
}

func withID(id string) func(*events.APIGatewayV2HTTPRequest) {
	return func(r *events.APIGatewayV2HTTPRequest) { r.PathParameters["id"] = id }
}

func withQuery(k, v string) func(*events.APIGatewayV2HTTPRequest) {
	return func(r *events.APIGatewayV2HTTPRequest) { r.QueryStringParameters[k] = v }
}

func TestHandle(t *testing.T) {
	const otherSub = notestest.Bob
	tests := []struct {
		name       string
		fixture    string
		mutate     []func(*events.APIGatewayV2HTTPRequest)
		outage     bool
		wantStatus int
		wantCode   string // for errors
		check      func(t *testing.T, hs *harness, resp events.APIGatewayV2HTTPResponse, body map[string]any)
	}{
		// POST /notes
		{name: "create", fixture: "create-note.json", wantStatus: 201, check: func(t *testing.T, hs *harness, resp events.APIGatewayV2HTTPResponse, body map[string]any) {
			id, _ := body["noteId"].(string)
			if err := notes.ValidateID(id); err != nil {
				t.Errorf("noteId %q: %v", id, err)
			}
			if got, want := resp.Headers["Location"], "/notes/"+id; got != want {
				t.Errorf("Location = %q; want %q", got, want)
			}
			if got := resp.Headers["ETag"]; got != `"1"` {
				t.Errorf(`ETag = %q; want "1"`, got)
			}
			want := map[string]any{"noteId": id, "title": "Groceries", "content": "milk, eggs, coffee", "version": 1.0,
				"createdAt": "2026-01-01T00:00:00.001Z", "updatedAt": "2026-01-01T00:00:00.001Z"}
			if diff := cmp.Diff(want, body); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			if _, err := hs.store.Get(context.Background(), fixtureSub, id); err != nil {
				t.Errorf("the note was not stored under the caller's sub: %v", err)
			}
		}},
		{name: "create with a base64-encoded body", fixture: "create-note.json", mutate: fns(func(r *events.APIGatewayV2HTTPRequest) {
			r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(`{"content":"from base64"}`)), true
		}), wantStatus: 201, check: contentIs("from base64")},
		{name: "create with a charset parameter", fixture: "create-note.json", mutate: fns(withHeader("content-type", "application/json; charset=UTF-8")), wantStatus: 201},
		{name: "create with a mixed-case header name", fixture: "create-note.json", mutate: fns(withHeader("content-type", ""), withHeader("Content-Type", "application/json")), wantStatus: 201},
		{name: "create with only a title", fixture: "create-note.json", mutate: fns(withBody(`{"title":"t"}`)), wantStatus: 400, wantCode: "ValidationFailed"},
		{name: "create with empty content", fixture: "create-note.json", mutate: fns(withBody(`{"content":""}`)), wantStatus: 400, wantCode: "ValidationFailed"},
		{name: "create with null content", fixture: "create-note.json", mutate: fns(withBody(`{"content":null}`)), wantStatus: 400, wantCode: "ValidationFailed"},
		{name: "create with a title too long", fixture: "create-note.json", mutate: fns(withBody(`{"title":"` + strings.Repeat("a", 257) + `","content":"x"}`)), wantStatus: 400, wantCode: "ValidationFailed"},
		{name: "create with content too long", fixture: "create-note.json", mutate: fns(withBody(`{"content":"` + strings.Repeat("a", notes.MaxContentBytes+1) + `"}`)), wantStatus: 400, wantCode: "ValidationFailed"},
		{name: "create with text/plain", fixture: "create-note.json", mutate: fns(withHeader("content-type", "text/plain")), wantStatus: 415, wantCode: "UnsupportedMediaType"},
		{name: "create without a content type", fixture: "create-note.json", mutate: fns(withHeader("content-type", "")), wantStatus: 415, wantCode: "UnsupportedMediaType"},
		{name: "create with a latin-1 charset", fixture: "create-note.json", mutate: fns(withHeader("content-type", "application/json; charset=iso-8859-1")), wantStatus: 415, wantCode: "UnsupportedMediaType"},
		{name: "create over 128 KiB", fixture: "create-note.json", mutate: fns(withBody(`{"content":"` + strings.Repeat("a", MaxBodyBytes) + `"}`)), wantStatus: 413, wantCode: "PayloadTooLarge"},
		{name: "create over 128 KiB once base64-decoded", fixture: "create-note.json", mutate: fns(func(r *events.APIGatewayV2HTTPRequest) {
			r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(`{"content":"`+strings.Repeat("a", MaxBodyBytes)+`"}`)), true
		}), wantStatus: 413, wantCode: "PayloadTooLarge"},
		{name: "create with a body of exactly 128 KiB", fixture: "create-note.json", mutate: fns(withBody(padded(`{"content":"x"}`, MaxBodyBytes))), wantStatus: 201},
		{name: "create with a body one byte over 128 KiB", fixture: "create-note.json", mutate: fns(withBody(padded(`{"content":"x"}`, MaxBodyBytes+1))), wantStatus: 413, wantCode: "PayloadTooLarge"},
		{name: "create with a base64 body over 128 KiB that decodes to 128 KiB", fixture: "create-note.json", mutate: fns(base64Body(padded(`{"content":"x"}`, MaxBodyBytes))), wantStatus: 201},
		{name: "create with a base64 body that decodes to one byte over 128 KiB", fixture: "create-note.json", mutate: fns(base64Body(padded(`{"content":"x"}`, MaxBodyBytes+1))), wantStatus: 413, wantCode: "PayloadTooLarge"},
		{name: "create with a title of 257 multibyte characters", fixture: "create-note.json", mutate: fns(withBody(`{"title":"` + strings.Repeat("ü", 257) + `","content":"x"}`)), wantStatus: 400, wantCode: "ValidationFailed"},
		{name: "create with a title of 256 multibyte characters", fixture: "create-note.json", mutate: fns(withBody(`{"title":"` + strings.Repeat("ü", 256) + `","content":"x"}`)), wantStatus: 201},
		{name: "create with content of exactly 65,536 bytes", fixture: "create-note.json", mutate: fns(withBody(`{"content":"` + strings.Repeat("é", notes.MaxContentBytes/2) + `"}`)), wantStatus: 201},
		{name: "create with invalid base64", fixture: "create-note.json", mutate: fns(withBody("not base64!"), func(r *events.APIGatewayV2HTTPRequest) { r.IsBase64Encoded = true }), wantStatus: 400, wantCode: "MalformedJSON"},
		{name: "create with malformed JSON", fixture: "create-note.json", mutate: fns(withBody(`{"content":`)), wantStatus: 400, wantCode: "MalformedJSON"},
		{name: "create with invalid UTF-8", fixture: "create-note.json", mutate: fns(withBody("{\"content\":\"\xff\"}")), wantStatus: 400, wantCode: "MalformedJSON"},
		{name: "create with an empty body", fixture: "create-note.json", mutate: fns(withBody("")), wantStatus: 400, wantCode: "MalformedJSON"},
		{name: "create with two objects", fixture: "create-note.json", mutate: fns(withBody(`{"content":"a"}{"content":"b"}`)), wantStatus: 400, wantCode: "MalformedJSON"},
		{name: "create with a number as content", fixture: "create-note.json", mutate: fns(withBody(`{"content":5}`)), wantStatus: 400, wantCode: "InvalidType"},
		{name: "create with an array body", fixture: "create-note.json", mutate: fns(withBody(`[{"content":"x"}]`)), wantStatus: 400, wantCode: "InvalidType"},
		{name: "create with userId (mass assignment)", fixture: "create-note.json", mutate: fns(withBody(`{"content":"x","userId":"` + otherSub + `"}`)), wantStatus: 400, wantCode: "InvalidField", check: messageHas("set by the server")},
		{name: "create with noteId", fixture: "create-note.json", mutate: fns(withBody(`{"content":"x","noteId":"` + fixtureID + `"}`)), wantStatus: 400, wantCode: "InvalidField", check: messageHas("set by the server")},
		{name: "create with version", fixture: "create-note.json", mutate: fns(withBody(`{"content":"x","version":99}`)), wantStatus: 400, wantCode: "InvalidField", check: messageHas("set by the server")},
		{name: "create with createdAt", fixture: "create-note.json", mutate: fns(withBody(`{"content":"x","createdAt":"2000-01-01T00:00:00Z"}`)), wantStatus: 400, wantCode: "InvalidField", check: messageHas("set by the server")},
		{name: "create with updatedAt", fixture: "create-note.json", mutate: fns(withBody(`{"content":"x","updatedAt":"2000-01-01T00:00:00Z"}`)), wantStatus: 400, wantCode: "InvalidField", check: messageHas("set by the server")},
		{name: "create with UserID (case variant)", fixture: "create-note.json", mutate: fns(withBody(`{"content":"x","UserID":"` + otherSub + `"}`)), wantStatus: 400, wantCode: "InvalidField", check: messageHas("set by the server")},
		{name: "create with VERSION (case variant)", fixture: "create-note.json", mutate: fns(withBody(`{"content":"x","VERSION":7}`)), wantStatus: 400, wantCode: "InvalidField", check: messageHas("set by the server")},
		{name: "create with an escaped key naming userId", fixture: "create-note.json", mutate: fns(withBody(`{"content":"x","\u0075serId":"` + otherSub + `"}`)), wantStatus: 400, wantCode: "InvalidField", check: messageHas("set by the server")},
		{name: "create with an unknown field", fixture: "create-note.json", mutate: fns(withBody(`{"content":"x","tags":["a"]}`)), wantStatus: 400, wantCode: "InvalidField"},
		{name: "create with a differently-cased field", fixture: "create-note.json", mutate: fns(withBody(`{"CONTENT":"x"}`)), wantStatus: 400, wantCode: "InvalidField"},
		{name: "create with a repeated field", fixture: "create-note.json", mutate: fns(withBody(`{"content":"x","content":"y"}`)), wantStatus: 400, wantCode: "InvalidField"},
		{name: "create without an authorizer", fixture: "create-note.json", mutate: fns(func(r *events.APIGatewayV2HTTPRequest) { r.RequestContext.Authorizer = nil }), wantStatus: 401, wantCode: "Unauthorized"},
		{name: "create with a non-JWT authorizer", fixture: "create-note.json", mutate: fns(func(r *events.APIGatewayV2HTTPRequest) { r.RequestContext.Authorizer.JWT = nil }), wantStatus: 401, wantCode: "Unauthorized"},
		{name: "create without a sub claim", fixture: "create-note.json", mutate: fns(func(r *events.APIGatewayV2HTTPRequest) { delete(r.RequestContext.Authorizer.JWT.Claims, "sub") }), wantStatus: 401, wantCode: "Unauthorized"},
		{name: "create during a store outage", fixture: "create-note.json", outage: true, wantStatus: 500, wantCode: "InternalError", check: func(t *testing.T, _ *harness, resp events.APIGatewayV2HTTPResponse, body map[string]any) {
			if body["requestId"] != "JgJ3vhV0oAMEbKw=" {
				t.Errorf("requestId = %v; want the API request id", body["requestId"])
			}
			if strings.Contains(resp.Body, "dynamodb") || strings.Contains(resp.Body, "refused") {
				t.Errorf("500 body leaks internals: %s", resp.Body)
			}
		}},

		// GET /notes
		{name: "list", fixture: "list-notes.json", wantStatus: 200, check: func(t *testing.T, _ *harness, _ events.APIGatewayV2HTTPResponse, body map[string]any) {
			items, _ := body["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["noteId"] != fixtureID {
				t.Errorf("items = %v; want the seeded note", body["items"])
			}
			if _, ok := body["nextCursor"]; ok {
				t.Errorf("nextCursor present on the last page: %v", body)
			}
		}},
		{name: "list without a limit", fixture: "list-notes.json", mutate: fns(func(r *events.APIGatewayV2HTTPRequest) { r.QueryStringParameters = nil }), wantStatus: 200},
		{name: "list of another user is empty", fixture: "list-notes.json", mutate: fns(withSub(otherSub)), wantStatus: 200, check: func(t *testing.T, _ *harness, resp events.APIGatewayV2HTTPResponse, _ map[string]any) {
			if resp.Body != `{"items":[]}` {
				t.Errorf("body = %s; want {\"items\":[]}", resp.Body)
			}
		}},
		{name: "list with limit 0", fixture: "list-notes.json", mutate: fns(withQuery("limit", "0")), wantStatus: 400, wantCode: "InvalidLimit"},
		{name: "list with limit 101", fixture: "list-notes.json", mutate: fns(withQuery("limit", "101")), wantStatus: 400, wantCode: "InvalidLimit"},
		{name: "list with a negative limit", fixture: "list-notes.json", mutate: fns(withQuery("limit", "-5")), wantStatus: 400, wantCode: "InvalidLimit"},
		{name: "list with a limit beyond int64", fixture: "list-notes.json", mutate: fns(withQuery("limit", "99999999999999999999999")), wantStatus: 400, wantCode: "InvalidLimit"},
		{name: "list with a limit in exponent form", fixture: "list-notes.json", mutate: fns(withQuery("limit", "1e2")), wantStatus: 400, wantCode: "InvalidLimit"},
		{name: "list with a padded limit", fixture: "list-notes.json", mutate: fns(withQuery("limit", "+5")), wantStatus: 400, wantCode: "InvalidLimit"},
		{name: "list with a word as limit", fixture: "list-notes.json", mutate: fns(withQuery("limit", "ten")), wantStatus: 400, wantCode: "InvalidLimit"},
		{name: "list with a repeated limit", fixture: "list-notes.json", mutate: fns(withQuery("limit", "1,2")), wantStatus: 400, wantCode: "InvalidLimit"},
		{name: "list with a garbage cursor", fixture: "list-notes.json", mutate: fns(withQuery("cursor", "garbage")), wantStatus: 400, wantCode: "InvalidCursor"},
		{name: "list with another user's cursor", fixture: "list-notes.json", mutate: fns(withQuery("cursor", mustCursor(otherSub, fixtureID))), wantStatus: 400, wantCode: "InvalidCursor"},

		// GET /notes/{id}
		{name: "get", fixture: "get-note.json", wantStatus: 200, check: func(t *testing.T, _ *harness, resp events.APIGatewayV2HTTPResponse, body map[string]any) {
			if resp.Headers["ETag"] != `"1"` || body["content"] != "milk, eggs" {
				t.Errorf("ETag %q, body %v; want \"1\" and the seeded note", resp.Headers["ETag"], body)
			}
			if _, ok := body["userId"]; ok {
				t.Errorf("body carries userId: %v", body)
			}
		}},
		{name: "get another user's note", fixture: "get-note.json", mutate: fns(withSub(otherSub)), wantStatus: 404, wantCode: "NotFound"},
		{name: "get a missing note", fixture: "get-note.json", mutate: fns(withID("01KDNQ8G0A6V4M3T2RC7XJ5ZPA")), wantStatus: 404, wantCode: "NotFound"},
		{name: "get with an invalid id", fixture: "get-note.json", mutate: fns(withID("not-a-ulid")), wantStatus: 400, wantCode: "InvalidId"},
		{name: "get with a path-traversal id", fixture: "get-note.json", mutate: fns(withID("../01KDNQ8G0A6V4M3T2RC7XJ5ZP9")), wantStatus: 400, wantCode: "InvalidId"},
		{name: "get with a lower-case id", fixture: "get-note.json", mutate: fns(withID(strings.ToLower(fixtureID))), wantStatus: 400, wantCode: "InvalidId"},
		{name: "get without a path parameter", fixture: "get-note.json", mutate: fns(func(r *events.APIGatewayV2HTTPRequest) { r.PathParameters = nil }), wantStatus: 400, wantCode: "InvalidId"},

		// PUT /notes/{id}
		{name: "update with If-Match", fixture: "update-note.json", wantStatus: 200, check: updatedTo(2, "milk, eggs, coffee, bread")},
		{name: "update without If-Match", fixture: "update-note.json", mutate: fns(withHeader("if-match", "")), wantStatus: 200, check: updatedTo(2, "milk, eggs, coffee, bread")},
		{name: "update with a weak ETag", fixture: "update-note.json", mutate: fns(withHeader("if-match", `W/"1"`)), wantStatus: 200, check: updatedTo(2, "milk, eggs, coffee, bread")},
		{name: "update with an unquoted version", fixture: "update-note.json", mutate: fns(withHeader("if-match", "1")), wantStatus: 200, check: updatedTo(2, "milk, eggs, coffee, bread")},
		{name: "update with If-Match *", fixture: "update-note.json", mutate: fns(withHeader("if-match", "*")), wantStatus: 200, check: updatedTo(2, "milk, eggs, coffee, bread")},
		{name: "update with a stale version", fixture: "update-note.json", mutate: fns(withHeader("if-match", `"7"`)), wantStatus: 412, wantCode: "PreconditionFailed", check: unchanged},
		{name: "update with a malformed If-Match", fixture: "update-note.json", mutate: fns(withHeader("if-match", `"abc"`)), wantStatus: 400, wantCode: "InvalidIfMatch", check: unchanged},
		{name: "update with several ETags", fixture: "update-note.json", mutate: fns(withHeader("if-match", `"1", "2"`)), wantStatus: 400, wantCode: "InvalidIfMatch", check: unchanged},
		{name: "update of another user's note", fixture: "update-note.json", mutate: fns(withSub(otherSub)), wantStatus: 404, wantCode: "NotFound", check: unchanged},
		{name: "update never creates", fixture: "update-note.json", mutate: fns(withID("01KDNQ8G0A6V4M3T2RC7XJ5ZPA"), withHeader("if-match", "")), wantStatus: 404, wantCode: "NotFound", check: func(t *testing.T, hs *harness, _ events.APIGatewayV2HTTPResponse, _ map[string]any) {
			if _, err := hs.store.Get(context.Background(), fixtureSub, "01KDNQ8G0A6V4M3T2RC7XJ5ZPA"); err == nil {
				t.Error("update created a note")
			}
		}},
		{name: "update is a full replacement", fixture: "update-note.json", mutate: fns(withBody(`{"content":"only content"}`)), wantStatus: 200, check: func(t *testing.T, hs *harness, _ events.APIGatewayV2HTTPResponse, body map[string]any) {
			stored, _ := hs.store.Get(context.Background(), fixtureSub, fixtureID)
			if body["title"] != "" || stored.Title != "" || stored.Content != "only content" {
				t.Errorf("after a PUT without title: body title %q, stored %+v; want the title cleared", body["title"], stored)
			}
		}},
		{name: "update with userId in the body", fixture: "update-note.json", mutate: fns(withBody(`{"content":"x","userId":"` + otherSub + `"}`)), wantStatus: 400, wantCode: "InvalidField", check: unchanged},
		{name: "update setting the version", fixture: "update-note.json", mutate: fns(withBody(`{"content":"x","version":42}`)), wantStatus: 400, wantCode: "InvalidField", check: unchanged},
		{name: "update with text/plain", fixture: "update-note.json", mutate: fns(withHeader("content-type", "text/plain")), wantStatus: 415, wantCode: "UnsupportedMediaType", check: unchanged},

		// DELETE /notes/{id}
		{name: "delete", fixture: "delete-note.json", wantStatus: 204, check: deleted},
		{name: "delete with If-Match", fixture: "delete-note.json", mutate: fns(withHeader("if-match", `"1"`)), wantStatus: 204, check: deleted},
		{name: "delete with a stale version", fixture: "delete-note.json", mutate: fns(withHeader("if-match", `"2"`)), wantStatus: 412, wantCode: "PreconditionFailed", check: unchanged},
		{name: "delete another user's note", fixture: "delete-note.json", mutate: fns(withSub(otherSub)), wantStatus: 404, wantCode: "NotFound", check: unchanged},
		{name: "delete with an invalid id", fixture: "delete-note.json", mutate: fns(withID("01KDNQ8G0A6V4M3T2RC7XJ5ZP")), wantStatus: 400, wantCode: "InvalidId", check: unchanged},
		{name: "delete without claims", fixture: "delete-note.json", mutate: fns(func(r *events.APIGatewayV2HTTPRequest) { r.RequestContext.Authorizer = nil }), wantStatus: 401, wantCode: "Unauthorized", check: unchanged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t)
			req := loadEvent(t, tc.fixture)
			for _, m := range tc.mutate {
				m(&req)
			}
			if tc.outage {
				hs.store.Err = notestest.ErrOutage
			}
			resp := hs.do(t, fixtureRoutes[tc.fixture], req)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d; want %d (body %s)", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			body := decodeBody(t, resp)
			if tc.wantStatus != 204 && resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("Content-Type = %q; want application/json", resp.Headers["Content-Type"])
			}
			if tc.wantCode != "" {
				if body["code"] != tc.wantCode || body["message"] == "" || body["message"] == nil {
					t.Errorf("error body = %s; want code %q and a message", resp.Body, tc.wantCode)
				}
			}
			if tc.check != nil {
				tc.check(t, hs, resp, body)
			}
		})
	}
}

// padded returns the JSON body padded with trailing spaces to exactly n bytes.
func padded(body string, n int) string { return body + strings.Repeat(" ", n-len(body)) }

// base64Body sends body as API Gateway does for binary media types.
func base64Body(body string) func(*events.APIGatewayV2HTTPRequest) {
	return func(r *events.APIGatewayV2HTTPRequest) {
		r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
	}
}

func fns(f ...func(*events.APIGatewayV2HTTPRequest)) []func(*events.APIGatewayV2HTTPRequest) {
	return f
}

func mustCursor(owner, id string) string {
	c, err := notes.EncodeCursor(owner, id)
	if err != nil {
		panic(err) // a fixed, valid ID: cannot fail
	}
	return c
}

func contentIs(want string) func(*testing.T, *harness, events.APIGatewayV2HTTPResponse, map[string]any) {
	return func(t *testing.T, _ *harness, _ events.APIGatewayV2HTTPResponse, body map[string]any) {
		if body["content"] != want {
			t.Errorf("content = %v; want %q", body["content"], want)
		}
	}
}

func messageHas(want string) func(*testing.T, *harness, events.APIGatewayV2HTTPResponse, map[string]any) {
	return func(t *testing.T, _ *harness, _ events.APIGatewayV2HTTPResponse, body map[string]any) {
		if m, _ := body["message"].(string); !strings.Contains(m, want) {
			t.Errorf("message = %q; want it to contain %q", m, want)
		}
	}
}

func updatedTo(version int64, content string) func(*testing.T, *harness, events.APIGatewayV2HTTPResponse, map[string]any) {
	return func(t *testing.T, hs *harness, resp events.APIGatewayV2HTTPResponse, body map[string]any) {
		if resp.Headers["ETag"] != ETag(version) || body["version"] != float64(version) || body["content"] != content {
			t.Errorf("ETag %q, body %v; want version %d with content %q", resp.Headers["ETag"], body, version, content)
		}
		stored, err := hs.store.Get(context.Background(), fixtureSub, fixtureID)
		if err != nil || stored.Version != version || stored.Content != content {
			t.Errorf("stored = %+v, %v; want version %d", stored, err, version)
		}
	}
}

func unchanged(t *testing.T, hs *harness, _ events.APIGatewayV2HTTPResponse, _ map[string]any) {
	stored, err := hs.store.Get(context.Background(), fixtureSub, fixtureID)
	if err != nil {
		t.Fatalf("the seeded note is gone: %v", err)
	}
	if diff := cmp.Diff(seeded, stored); diff != "" {
		t.Errorf("the seeded note changed (-before +after):\n%s", diff)
	}
}

func deleted(t *testing.T, hs *harness, resp events.APIGatewayV2HTTPResponse, _ map[string]any) {
	if resp.Body != "" {
		t.Errorf("204 body = %q; want empty", resp.Body)
	}
	if _, err := hs.store.Get(context.Background(), fixtureSub, fixtureID); err == nil {
		t.Error("the note is still stored")
	}
}

func TestListFollowsCursors(t *testing.T) {
	hs := newHarness(t)
	for i := range 4 {
		req := loadEvent(t, "create-note.json")
		req.Body = `{"content":"note ` + string(rune('a'+i)) + `"}`
		if resp := hs.do(t, CreateNote, req); resp.StatusCode != 201 {
			t.Fatalf("create: %d %s", resp.StatusCode, resp.Body)
		}
	}
	var got []string
	cursor := ""
	for range 10 {
		req := loadEvent(t, "list-notes.json")
		req.QueryStringParameters = map[string]string{"limit": "2"}
		if cursor != "" {
			req.QueryStringParameters["cursor"] = cursor
		}
		resp := hs.do(t, ListNotes, req)
		var page struct {
			Items      []notes.Note `json:"items"`
			NextCursor *string      `json:"nextCursor"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &page); err != nil || resp.StatusCode != 200 {
			t.Fatalf("list: %d %s", resp.StatusCode, resp.Body)
		}
		for _, n := range page.Items {
			got = append(got, n.Content)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	want := []string{"note d", "note c", "note b", "note a", "milk, eggs"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed contents, newest first (-want +got):\n%s", diff)
	}
}

func TestLogsOneLinePerRequestWithoutSecrets(t *testing.T) {
	hs := newHarness(t)
	req := loadEvent(t, "create-note.json")
	req.Body = `{"title":"secret title","content":"secret content"}`
	hs.do(t, CreateNote, req)
	hs.store.Err = notestest.ErrOutage
	hs.do(t, GetNote, loadEvent(t, "get-note.json"))

	lines := strings.Split(strings.TrimSpace(hs.logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d log lines; want 2:\n%s", len(lines), hs.logs)
	}
	for _, secret := range []string{fixtureToken, "secret title", "secret content", "milk"} {
		if strings.Contains(hs.logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, hs.logs)
		}
	}
	wants := []map[string]any{
		{"level": "INFO", "requestId": "lambda-req-1", "apiRequestId": "JgJ3vhV0oAMEbKw=", "route": "POST /notes", "user": fixtureSub, "status": 201.0},
		{"level": "ERROR", "requestId": "lambda-req-1", "route": "GET /notes/{id}", "user": fixtureSub, "status": 500.0, "code": "InternalError"},
	}
	for i, want := range wants {
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatalf("log line %q is not JSON: %v", lines[i], err)
		}
		if _, ok := got["latencyMs"].(float64); !ok {
			t.Errorf("log line %d has no numeric latencyMs: %s", i, lines[i])
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("log line %d: %s = %v; want %v", i, k, got[k], v)
			}
		}
	}
	if !strings.Contains(lines[1], "simulated store outage") {
		t.Errorf("the 500 log line lacks the cause: %s", lines[1])
	}
}

// TestListStaysUnderTheLambdaPayloadLimit fills a page with the largest notes
// whose content grows most when escaped: the whole response document Lambda
// receives (the body is a JSON string inside it) must stay under its 6 MB
// limit, and following the cursors must still reach every note.
func TestListStaysUnderTheLambdaPayloadLimit(t *testing.T) {
	hs := newHarness(t)
	worst := strings.Repeat("<", notes.MaxContentBytes) // "<" → \u003c in the body → \\u003c in the document
	want := []string{fixtureID}
	for range notes.MaxLimit {
		n, err := hs.svc.Create(context.Background(), fixtureSub, notes.Input{Content: worst})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{n.ID}, want...)
	}
	var got []string
	cursor := ""
	for range len(want) + 1 {
		req := loadEvent(t, "list-notes.json")
		req.QueryStringParameters = map[string]string{"limit": "100"}
		if cursor != "" {
			req.QueryStringParameters["cursor"] = cursor
		}
		resp := hs.do(t, ListNotes, req)
		doc, err := json.Marshal(resp) // what the Lambda runtime posts as the response
		if err != nil {
			t.Fatal(err)
		}
		if len(doc) > lambdaPayloadLimit {
			t.Fatalf("response document is %d bytes; Lambda refuses more than %d", len(doc), lambdaPayloadLimit)
		}
		var page struct {
			Items      []notes.Note `json:"items"`
			NextCursor string       `json:"nextCursor"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &page); err != nil || resp.StatusCode != 200 || len(page.Items) == 0 {
			t.Fatalf("list: %d, %d items, %v", resp.StatusCode, len(page.Items), err)
		}
		for _, n := range page.Items {
			got = append(got, n.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed IDs across pages (-want +got):\n%s", diff)
	}
}

// lambdaPayloadLimit is Lambda's limit for a synchronous response (6 MB).
const lambdaPayloadLimit = 6 << 20

// panickingStore stands in for a bug deep in a dependency.
type panickingStore struct{ notes.Store }

func (panickingStore) Get(context.Context, string, string) (notes.Note, error) {
	panic("index out of range in a dependency")
}

func TestPanicIsA500WithARequestID(t *testing.T) {
	var logs bytes.Buffer
	h := New(GetNote, notes.NewService(panickingStore{notestest.NewStore()}), slogJSON(&logs))
	resp, err := h.Handle(context.Background(), loadEvent(t, "get-note.json"))
	if err != nil {
		t.Fatalf("Handle() error = %v; want nil (a JSON 500, not the runtime's)", err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || resp.StatusCode != 500 || body["requestId"] != "JgJ3vhV0oAMEbKw=" || body["code"] != "InternalError" {
		t.Errorf("Handle() = %d %s; want a 500 with the request id", resp.StatusCode, resp.Body)
	}
	if strings.Contains(resp.Body, "index out of range") {
		t.Errorf("500 body leaks the panic: %s", resp.Body)
	}
	if !strings.Contains(logs.String(), "index out of range in a dependency") || !strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("log = %s; want an ERROR line with the panic", &logs)
	}
}

func TestLocation(t *testing.T) {
	const id = fixtureID
	for rawPath, want := range map[string]string{"/notes": "/notes/" + id, "/notes/": "/notes/" + id, "/dev/notes": "/dev/notes/" + id, "": "/notes/" + id} {
		if got := location(rawPath, id); got != want {
			t.Errorf("location(%q) = %q; want %q", rawPath, got, want)
		}
	}
}

// TestEventAsAPIGatewaySendsIt decodes the fixture from its JSON text, as the
// Lambda runtime does, with the variants API Gateway produces: "scopes" null
// when the route has none, claims without "sub", and a sub with no scopes.
func TestEventAsAPIGatewaySendsIt(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "get-note.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		edit       func(jwt map[string]any)
		wantStatus int
	}{
		{"as recorded", func(map[string]any) {}, 200},
		{"scopes null", func(jwt map[string]any) { jwt["scopes"] = nil }, 200},
		{"no scopes field", func(jwt map[string]any) { delete(jwt, "scopes") }, 200},
		{"claims without sub", func(jwt map[string]any) { delete(jwt["claims"].(map[string]any), "sub") }, 401},
		{"claims without sub but with username", func(jwt map[string]any) {
			claims := jwt["claims"].(map[string]any)
			delete(claims, "sub")
			claims["username"] = fixtureSub
		}, 401},
		{"claims null", func(jwt map[string]any) { jwt["claims"] = nil }, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ev map[string]any
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			tc.edit(ev["requestContext"].(map[string]any)["authorizer"].(map[string]any)["jwt"].(map[string]any))
			b, _ := json.Marshal(ev)
			var req events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(b, &req); err != nil {
				t.Fatalf("the runtime could not decode the event: %v", err)
			}
			if resp := newHarness(t).do(t, GetNote, req); resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d; want %d (body %s)", resp.StatusCode, tc.wantStatus, resp.Body)
			}
		})
	}
}

func TestListDefaultsToTwentyNotes(t *testing.T) {
	hs := newHarness(t)
	for range 24 { // 25 with the seeded note
		if _, err := hs.svc.Create(context.Background(), fixtureSub, notes.Input{Content: "n"}); err != nil {
			t.Fatal(err)
		}
	}
	req := loadEvent(t, "list-notes.json")
	req.QueryStringParameters = nil
	var page struct {
		Items      []notes.Note `json:"items"`
		NextCursor string       `json:"nextCursor"`
	}
	resp := hs.do(t, ListNotes, req)
	if err := json.Unmarshal([]byte(resp.Body), &page); err != nil || len(page.Items) != notes.DefaultLimit || page.NextCursor == "" {
		t.Errorf("list without limit = %d items, cursor %q, %v; want %d and a cursor", len(page.Items), page.NextCursor, err, notes.DefaultLimit)
	}
}

// corruptStore returns a note whose timestamp JSON cannot represent, as a
// corrupted item would.
type corruptStore struct{ notes.Store }

func (corruptStore) Get(context.Context, string, string) (notes.Note, error) {
	n := seeded
	n.UpdatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	return n, nil
}

func TestUnencodableNoteIsA500WithARequestID(t *testing.T) {
	var logs bytes.Buffer
	h := New(GetNote, notes.NewService(corruptStore{notestest.NewStore()}), slogJSON(&logs))
	resp, err := h.Handle(context.Background(), loadEvent(t, "get-note.json"))
	var body map[string]any
	if err != nil || json.Unmarshal([]byte(resp.Body), &body) != nil || resp.StatusCode != 500 || body["requestId"] != "JgJ3vhV0oAMEbKw=" {
		t.Errorf("Handle() = %d %s, %v; want a JSON 500 with the request id", resp.StatusCode, resp.Body, err)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR"`) || !strings.Contains(logs.String(), "encode the response") {
		t.Errorf("log = %s; want an ERROR line with the cause", &logs)
	}
}
