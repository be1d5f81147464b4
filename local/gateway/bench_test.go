package gateway

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/authnotes/authnotes/local/lambdaruntime"
)

// BenchmarkGatewayOverhead measures what the gateway adds to an invocation: each iteration invokes the same warm
// function once directly and once through the gateway over loopback HTTP (routing, JWT verification with route
// scopes, event building, response mapping). It reports the p50 of both and their difference.
func BenchmarkGatewayOverhead(b *testing.B) {
	fn := startEcho(b, lambdaruntime.Config{MaxConcurrency: 1})
	srv := newGateway(b, func(c *Config) {
		c.Routes = []Route{{Key: "GET /notes/{id}", Function: fn, Authorizer: "auth", Scopes: []string{testScope}}}
	})
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/notes/01ABC", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token(b, nil))
	client := srv.Client()
	viaGateway := func() {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	// The direct invocation gets the event the gateway would build.
	event := []byte(`{"version":"2.0","routeKey":"GET /notes/{id}","rawPath":"/notes/01ABC","rawQueryString":"","headers":{"host":"127.0.0.1"},"pathParameters":{"id":"01ABC"},"requestContext":{"http":{"method":"GET","path":"/notes/01ABC"}},"isBase64Encoded":false}`)
	direct := func() {
		if _, err := fn.Invoke(context.Background(), event); err != nil {
			b.Fatal(err)
		}
	}
	viaGateway() // start the process and open the keep-alive connection
	direct()

	directTimes := make([]time.Duration, 0, b.N)
	gatewayTimes := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		direct()
		mid := time.Now()
		viaGateway()
		directTimes = append(directTimes, mid.Sub(start))
		gatewayTimes = append(gatewayTimes, time.Since(mid))
	}
	b.StopTimer()
	d, g := p50(directTimes), p50(gatewayTimes)
	b.ReportMetric(float64(d.Microseconds()), "direct-p50-µs")
	b.ReportMetric(float64(g.Microseconds()), "gateway-p50-µs")
	b.ReportMetric(float64((g - d).Microseconds()), "overhead-p50-µs")
}

// startEcho builds testdata/echo and runs it as a function with the given configuration.
func startEcho(tb testing.TB, cfg lambdaruntime.Config) *lambdaruntime.Function {
	tb.Helper()
	dir := tb.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "bootstrap"), "./testdata/echo")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build the echo bootstrap: %v\n%s", err, out)
	}
	cfg.Name, cfg.Dir = "echo", dir
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	fn, err := lambdaruntime.Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = fn.Close() })
	return fn
}

func p50(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
