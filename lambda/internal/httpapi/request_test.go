package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/authnotes/authnotes/lambda/internal/notes"
	"github.com/authnotes/authnotes/lambda/internal/notestest"
)

func slogJSON(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

func TestParseIfMatch(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"", 0, false},
		{"*", 0, false},
		{`"3"`, 3, false},
		{` "3" `, 3, false},
		{`W/"3"`, 3, false},
		{"3", 3, false},
		{`"12345678901"`, 12345678901, false},
		{`"0"`, 0, true},
		{`"-1"`, 0, true},
		{`"+3"`, 0, true},
		{`"03"`, 0, true},
		{`"abc"`, 0, true},
		{`"3`, 0, true},
		{`"1", "2"`, 0, true},
		{`""`, 0, true},
		{`"99999999999999999999"`, 0, true},
	}
	for _, tc := range tests {
		got, err := ParseIfMatch(tc.in)
		if (err != nil) != tc.wantErr || got.Version != tc.want {
			t.Errorf("ParseIfMatch(%q) = %+v, %v; want version %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// FuzzDecodeInput drives request decoding and validation with arbitrary
// bodies and headers. It must never panic, must only ever answer 400, 413 or
// 415 for bad input, and what it accepts must be a valid note that
// round-trips through JSON unchanged.
func FuzzDecodeInput(f *testing.F) {
	seeds := []struct {
		body, contentType string
		b64               bool
	}{
		{`{"title":"Groceries","content":"milk, eggs"}`, "application/json", false},
		{`{"content":"x"}`, "application/json; charset=utf-8", false},
		{base64.StdEncoding.EncodeToString([]byte(`{"content":"b64"}`)), "application/json", true},
		{`{"content":"x","userId":"someone-else"}`, "application/json", false},
		{`{"content":"x","content":"y"}`, "application/json", false},
		{`{"Content":"x"}`, "application/json", false},
		{`{"content":5}`, "application/json", false},
		{`{"content":null,"title":null}`, "application/json", false},
		{`{"content":"\ud800"}`, "application/json", false},
		{"{\"content\":\"\xff\"}", "application/json", false},
		{`[]`, "application/json", false},
		{`null`, "application/json", false},
		{`{"content":"a"} trailing`, "application/json", false},
		{`{"content":`, "application/json", false},
		{``, "application/json", false},
		{`{"content":"x"}`, "text/plain", false},
		{`{"content":"x"}`, "application/json; charset", false},
		{`{"content":"x"}`, "", false},
		{"!!!", "application/json", true},
		{`{"title":"` + strings.Repeat("ü", 300) + `","content":"x"}`, "application/json", false},
	}
	for _, s := range seeds {
		f.Add(s.body, s.contentType, s.b64)
	}
	f.Fuzz(func(t *testing.T, body, contentType string, b64 bool) {
		req := events.APIGatewayV2HTTPRequest{Headers: map[string]string{"content-type": contentType}, Body: body, IsBase64Encoded: b64}
		in, err := DecodeInput(req)
		if err == nil {
			err = in.Validate()
		}
		if err != nil {
			ae := toAPIError(err)
			if ae.status != 400 && ae.status != 413 && ae.status != 415 {
				t.Fatalf("DecodeInput(%q, %q) error %v maps to %d; want 400, 413 or 415", body, contentType, err, ae.status)
			}
			if ae.message == "" || !utf8.ValidString(ae.message) {
				t.Fatalf("error message %q is empty or not UTF-8", ae.message)
			}
			return
		}
		if in.Content == "" || len(in.Content) > notes.MaxContentBytes || utf8.RuneCountInString(in.Title) > notes.MaxTitleChars {
			t.Fatalf("accepted an invalid note: %d-byte content, title %q", len(in.Content), in.Title)
		}
		again, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeObject(again)
		if err != nil || back != in {
			t.Fatalf("round trip of %q = %+v, %v; want %+v", again, back, err, in)
		}
	})
}

func TestToAPIErrorHidesTheUnexpected(t *testing.T) {
	ae := toAPIError(errors.New("dynamodb: AccessDenied for arn:aws:iam::123:role/x"))
	if ae.status != 500 || strings.Contains(ae.message, "arn:") {
		t.Errorf("toAPIError(unexpected) = %+v; want a 500 without details", ae)
	}
}

// FuzzHandle drives every route end to end with the in-memory store, from an
// event shaped as API Gateway sends it, with arbitrary body, headers, path ID
// and query. It must never panic, never answer 5xx while the store is healthy,
// always answer a JSON body (204 aside), never show a userId, and never let the
// other user touch the seeded note.
func FuzzHandle(f *testing.F) {
	f.Add(uint8(0), `{"content":"x"}`, "application/json", "", fixtureID, "", "", false)
	f.Add(uint8(1), "", "", "", fixtureID, "2", "", false)
	f.Add(uint8(1), "", "", "", fixtureID, "1", mustCursor(fixtureSub, fixtureID), false)
	f.Add(uint8(2), "", "", "", "../../etc/passwd", "", "", false)
	f.Add(uint8(3), `{"content":"y","version":9}`, "application/json", `"1"`, fixtureID, "", "", true)
	f.Add(uint8(3), `{"content":"y"}`, "application/json", `W/"1"`, fixtureID, "", "", false)
	f.Add(uint8(4), "", "", `"2"`, fixtureID, "", "", true)
	f.Add(uint8(4), "", "", "*", strings.ToLower(fixtureID), "", "", false)
	f.Fuzz(func(t *testing.T, r uint8, body, contentType, ifMatch, id, limit, cursor string, asBob bool) {
		route := Route(int(r)%5 + 1)
		hs := newHarness(t)
		req := events.APIGatewayV2HTTPRequest{
			RawPath:               "/notes/" + id,
			Headers:               map[string]string{"content-type": contentType, "if-match": ifMatch},
			PathParameters:        map[string]string{"id": id},
			QueryStringParameters: map[string]string{"limit": limit, "cursor": cursor},
			Body:                  body,
			RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "fuzz", Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": fixtureSub}},
			}},
		}
		if asBob {
			req.RequestContext.Authorizer.JWT.Claims["sub"] = notestest.Bob
		}
		resp := hs.do(t, route, req)
		if resp.StatusCode >= 500 {
			t.Fatalf("%v answered %d with a healthy store: %s", route, resp.StatusCode, resp.Body)
		}
		if resp.StatusCode != 204 && !json.Valid([]byte(resp.Body)) {
			t.Fatalf("%v answered %d with a body that is not JSON: %q", route, resp.StatusCode, resp.Body)
		}
		if strings.Contains(resp.Body, `"userId"`) {
			t.Fatalf("%v response shows a userId: %s", route, resp.Body)
		}
		if asBob {
			if stored, err := hs.store.Get(context.Background(), fixtureSub, fixtureID); err != nil || stored != seeded {
				t.Fatalf("Bob's %v changed Alice's note: %+v, %v", route, stored, err)
			}
			if (route == GetNote || route == ListNotes) && strings.Contains(resp.Body, `"noteId":"`+fixtureID+`"`) {
				t.Fatalf("Bob's %v saw Alice's note: %s", route, resp.Body)
			}
		}
	})
}
