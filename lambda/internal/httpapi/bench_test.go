package httpapi

import (
	"io"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// BenchmarkHandle measures the adapter + service path per route with the
// in-memory store: what the function adds on top of DynamoDB's own latency.
func BenchmarkHandle(b *testing.B) {
	for _, bc := range []struct {
		name    string
		fixture string
		mutate  func(*events.APIGatewayV2HTTPRequest)
	}{
		{"create", "create-note.json", nil},
		{"list", "list-notes.json", nil},
		{"get", "get-note.json", nil},
		{"update", "update-note.json", func(r *events.APIGatewayV2HTTPRequest) { delete(r.Headers, "if-match") }},
		{"bad-request", "create-note.json", func(r *events.APIGatewayV2HTTPRequest) { r.Body = `{"content":"x","userId":"u"}` }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			hs := newHarness(b)
			req := loadEvent(b, bc.fixture)
			if bc.mutate != nil {
				bc.mutate(&req)
			}
			route := fixtureRoutes[bc.fixture]
			h := New(route, hs.svc, slogJSON(io.Discard))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Handle(b.Context(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
