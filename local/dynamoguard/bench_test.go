package dynamoguard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkCheck is the guard's own cost per request: the caller checks and the signature verified by re-signing.
func BenchmarkCheck(b *testing.B) {
	g, err := New(Options{Credentials: local, Region: region, Upstream: "http://127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	body := `{"TableName":"notes","Item":{"userId":{"S":"u"},"noteId":{"S":"n"},"content":{"S":"` + strings.Repeat("x", 200) + `"}}}`
	req := signedOp(b, "http://127.0.0.1:8000/", "PutItem", body, time.Now())
	req.RemoteAddr = "127.0.0.1:50000"
	for b.Loop() {
		if ref := g.check(req, []byte(body)); ref != nil {
			b.Fatal(ref)
		}
	}
}

// BenchmarkForward is a signed PutItem through the guard to a stand-in upstream, against the same request sent to
// the upstream directly: the price of the extra hop.
func BenchmarkForward(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{}`)
	}))
	defer up.Close()
	g, err := New(Options{Credentials: local, Region: region, Upstream: up.URL})
	if err != nil {
		b.Fatal(err)
	}
	guard := httptest.NewServer(g)
	defer guard.Close()
	body := `{"TableName":"notes"}`
	for name, url := range map[string]string{"direct": up.URL, "guarded": guard.URL} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				resp, err := http.DefaultClient.Do(signedOp(b, url, "PutItem", body, time.Now()))
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("PutItem = %v, %v", resp, err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
