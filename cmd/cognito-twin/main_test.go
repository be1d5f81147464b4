package main

import (
	"net/http"
	"strings"
	"testing"
)

const fixture = "../../local/cognito/testdata/assembly"

func TestStartServesTheStage(t *testing.T) {
	var out strings.Builder
	srv, err := start(options{stage: "dev", assemblyDir: fixture, addr: "127.0.0.1:0", stateDir: t.TempDir()}, &out)
	if err != nil {
		t.Fatalf("start() error = %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	poolID := srv.PoolID("NotesApiUserPoolE4B5E1E2")
	clientID := srv.ClientID("NotesApiUserPoolAppClient5F3C9A8D")
	for _, want := range []string{srv.URL(), poolID, clientID, "/_local/outbox", "eu-west-1_"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q does not mention %q", out.String(), want)
		}
	}
	resp, err := http.Get(srv.JWKSURL(poolID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET jwks: status %d; want 200", resp.StatusCode)
	}
}

func TestStartAllowsTheCORSOrigins(t *testing.T) {
	var out strings.Builder
	const app = "http://localhost:4000"
	srv, err := start(options{stage: "dev", assemblyDir: fixture, addr: "127.0.0.1:0", stateDir: t.TempDir(), corsOrigins: []string{app}}, &out)
	if err != nil {
		t.Fatalf("start() error = %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	if !strings.Contains(out.String(), app+" may call it") {
		t.Errorf("output %q does not name the allowed origin", out.String())
	}
	req, _ := http.NewRequest(http.MethodOptions, srv.URL()+"/", nil)
	req.Header.Set("Origin", app)
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != app {
		t.Errorf("preflight from %s: Allow-Origin %q; want the origin", app, got)
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		opts options
		want string
	}{
		{"no cdk.out", options{stage: "dev", assemblyDir: t.TempDir()}, "make synth"},
		{"unknown stage", options{stage: "qa", assemblyDir: fixture}, "NotesApi-dev"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.addr, tc.opts.stateDir = "127.0.0.1:0", t.TempDir()
			if _, err := start(tc.opts, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("start() error = %v; want one mentioning %q", err, tc.want)
			}
		})
	}
}
