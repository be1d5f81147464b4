package cognito

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/authnotes/authnotes/local/jwtauth"
)

func TestWellKnownDocuments(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.srv.Issuer(e.poolID) + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var conf struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&conf); err != nil {
		t.Fatal(err)
	}
	if conf.Issuer != e.srv.Issuer(e.poolID) || conf.JWKSURI != e.srv.JWKSURL(e.poolID) {
		t.Errorf("openid-configuration = %+v; want issuer %s and its JWKS", conf, e.srv.Issuer(e.poolID))
	}
	if !strings.HasPrefix(conf.Issuer, "http://127.0.0.1:") {
		t.Errorf("issuer %s; want the loopback address the endpoint serves on", conf.Issuer)
	}
	jwks, err := http.Get(conf.JWKSURI)
	if err != nil {
		t.Fatal(err)
	}
	defer jwks.Body.Close()
	doc, _ := io.ReadAll(jwks.Body)
	keys, err := jwtauth.ParseJWKS(doc)
	if err != nil || len(keys) != 1 {
		t.Errorf("JWKS = %s (%v); want one RS256 key", doc, err)
	}
	missing, err := http.Get(e.srv.URL() + "/eu-west-1_nosuchpoo/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	missing.Body.Close()
	if missing.StatusCode != http.StatusNotFound {
		t.Errorf("JWKS of an unknown pool: status %d; want 404", missing.StatusCode)
	}
}

func TestProtocolErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, target, body, wantType string
	}{
		{"unknown service", "DynamoDB_20120810.GetItem", `{}`, "UnknownOperationException"},
		{"unsupported operation", targetPrefix + "CreateUserPool", `{}`, "InvalidParameterException"},
		{"bad JSON", targetPrefix + "SignUp", `{"ClientId": `, "SerializationException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL()+"/", strings.NewReader(tc.body))
			req.Header.Set("X-Amz-Target", tc.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]string
			json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != http.StatusBadRequest || body["__type"] != tc.wantType || body["message"] == "" ||
				resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
				t.Errorf("response %d %s %v; want 400 application/x-amz-json-1.1 with __type %s and a message", resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.wantType)
			}
		})
	}
}

func TestOutboxIsLoopbackOnly(t *testing.T) {
	e := newEnv(t)
	e.signUp("amy@example.com", goodPassword)
	h := e.srv.routes()
	for _, tc := range []struct {
		remote string
		want   int
	}{
		{"127.0.0.1:5555", http.StatusOK},
		{"[::1]:5555", http.StatusOK},
		{"192.168.1.20:5555", http.StatusForbidden},
	} {
		req := httptest.NewRequest(http.MethodGet, "/_local/outbox", nil)
		req.RemoteAddr = tc.remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("GET /_local/outbox from %s: status %d; want %d", tc.remote, rec.Code, tc.want)
		}
		if tc.want == http.StatusForbidden && strings.Contains(rec.Body.String(), "amy@") {
			t.Errorf("outbox leaked to %s: %s", tc.remote, rec.Body.String())
		}
	}
}

func TestOutboxPrintsToTheConsole(t *testing.T) {
	console := &syncBuffer{}
	e := newEnv(t, func(e *env) { e.console = console })
	e.signUp("bo@example.com", goodPassword)
	code := e.lastCode("bo@example.com")
	if out := console.String(); !strings.Contains(out, "bo@example.com") || !strings.Contains(out, code) {
		t.Errorf("console = %q; want the message to bo@example.com with code %s", out, code)
	}
}

// syncBuffer is a strings.Builder safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.srv.URL() + "/_local/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("GET /_local/health = %d %q; want 200 ok", resp.StatusCode, body)
	}
}

func TestCORSPreflight(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodOptions, e.srv.URL()+"/", nil)
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target,x-amz-user-agent")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(allowed, "x-amz-target") {
		t.Errorf("preflight = %d %v; want 200 allowing X-Amz-Target from a browser app", resp.StatusCode, resp.Header)
	}
}
