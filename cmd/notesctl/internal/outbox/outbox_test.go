package outbox_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authnotes/authnotes/cmd/notesctl/internal/outbox"
)

func TestLatestCode(t *testing.T) {
	var gotTo string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_local/outbox" {
			http.NotFound(w, r)
			return
		}
		gotTo = r.URL.Query().Get("to")
		io.WriteString(w, `{"messages":[
			{"username":"a@example.com","destination":"a@example.com","purpose":"SignUp","code":"111111"},
			{"username":"b@example.com","destination":"b@example.com","purpose":"SignUp","code":"222222"},
			{"username":"a@example.com","destination":"a@example.com","purpose":"SignUp","code":"333333"},
			{"username":"a@example.com","destination":"a@example.com","purpose":"AdminCreateUser","temporaryPassword":"x"}]}`)
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()

	code, err := outbox.LatestCode(ctx, srv.URL+"/", "A@example.com")
	if err != nil || code != "333333" {
		t.Errorf("LatestCode(a) = %q, %v; want the newest code 333333", code, err)
	}
	if gotTo != "A@example.com" {
		t.Errorf("to = %q; want the user", gotTo)
	}
	if _, err := outbox.LatestCode(ctx, srv.URL, "c@example.com"); err == nil || !strings.Contains(err.Error(), "no code for c@example.com") {
		t.Errorf("LatestCode(c) = %v; want no-code error", err)
	}
	if _, err := outbox.LatestCode(ctx, srv.URL+"/nope", "a@example.com"); err == nil || !strings.Contains(err.Error(), "status 404") {
		t.Errorf("LatestCode(wrong endpoint) = %v; want a status error", err)
	}
}
