package cognito

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/local/jwtauth"
)

func TestWellKnownDocuments(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.srv.Issuer(e.poolID) + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var conf map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&conf); err != nil {
		t.Fatal(err)
	}
	// Cognito's document for a pool without a domain (the hosted-UI endpoints need one), nothing more.
	want := map[string]any{
		"issuer":                                e.srv.Issuer(e.poolID),
		"jwks_uri":                              e.srv.JWKSURL(e.poolID),
		"id_token_signing_alg_values_supported": []any{"RS256"},
		"subject_types_supported":               []any{"public"},
		"response_types_supported":              []any{"code", "token"},
		"scopes_supported":                      []any{"openid", "email", "phone", "profile"},
		"token_endpoint_auth_methods_supported": []any{"client_secret_basic", "client_secret_post"},
	}
	if diff := cmp.Diff(want, conf); diff != "" {
		t.Errorf("openid-configuration (-want +got):\n%s", diff)
	}
	if iss, _ := conf["issuer"].(string); !strings.HasPrefix(iss, "http://127.0.0.1:") {
		t.Errorf("issuer %s; want the loopback address the endpoint serves on", iss)
	}
	jwks, err := http.Get(e.srv.JWKSURL(e.poolID))
	if err != nil {
		t.Fatal(err)
	}
	defer jwks.Body.Close()
	doc, _ := io.ReadAll(jwks.Body)
	var set struct{ Keys []map[string]any }
	if err := json.Unmarshal(doc, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS = %s (%v); want one key", doc, err)
	}
	var fields []string
	for k := range set.Keys[0] {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	if diff := cmp.Diff([]string{"alg", "e", "kid", "kty", "n", "use"}, fields); diff != "" {
		t.Errorf("JWKS key fields, as in Cognito's (-want +got):\n%s", diff)
	}
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
		remote, host string
		want         int
	}{
		{"127.0.0.1:5555", "127.0.0.1:9229", http.StatusOK},
		{"[::1]:5555", "[::1]:9229", http.StatusOK},
		{"127.0.0.1:5555", "localhost:9229", http.StatusOK},
		{"192.168.1.20:5555", "127.0.0.1:9229", http.StatusForbidden},
		// A page in the developer's browser that rebound its own name to 127.0.0.1.
		{"127.0.0.1:5555", "attacker.example:9229", http.StatusForbidden},
	} {
		req := httptest.NewRequest(http.MethodGet, "/_local/outbox", nil)
		req.RemoteAddr, req.Host = tc.remote, tc.host
		req.Header.Set("Origin", "https://attacker.example")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("GET /_local/outbox from %s to %s: status %d; want %d", tc.remote, tc.host, rec.Code, tc.want)
		}
		if tc.want == http.StatusForbidden && strings.Contains(rec.Body.String(), "amy@") {
			t.Errorf("outbox leaked to %s: %s", tc.remote, rec.Body.String())
		}
		// Any web page the developer visits could otherwise read the codes through the browser.
		if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET /_local/outbox: Access-Control-Allow-Origin = %q; want none", got)
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
	// The text is the template's VerificationMessageTemplate.EmailMessage.
	if msgs := e.outbox("bo@example.com"); len(msgs) != 1 || msgs[0].Text != "Your authnotes verification code is "+code {
		t.Errorf("outbox = %+v; want the template's message with code %s", msgs, code)
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

// TestCORS: browser pages of the allowed origins may call the endpoint (the preflight allows the headers
// amazon-cognito-identity-js sends, answers carry their origin, never "*"); other origins get no CORS headers.
func TestCORS(t *testing.T) {
	const app = "http://localhost:5173"
	srv, err := NewServer(Options{Addr: "127.0.0.1:0", Pools: fixtureSpecs(t), CORSOrigins: []string{app}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	do := func(method, origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL()+"/", strings.NewReader("{}"))
		req.Header.Set("Origin", origin)
		if method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "cache-control,content-type,x-amz-target,x-amz-user-agent")
		} else {
			req.Header.Set("X-Amz-Target", targetPrefix+"SignUp")
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	resp := do(http.MethodOptions, app)
	allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != app {
		t.Errorf("preflight from %s = %d, Allow-Origin %q; want 200 and the origin", app, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	for _, h := range []string{"content-type", "x-amz-target", "x-amz-user-agent", "cache-control"} {
		if !strings.Contains(allowed, h) {
			t.Errorf("preflight Allow-Headers %q lacks %s", allowed, h)
		}
	}
	if resp := do(http.MethodPost, app); resp.Header.Get("Access-Control-Allow-Origin") != app || !strings.Contains(resp.Header.Get("Vary"), "Origin") {
		t.Errorf("POST from %s: Allow-Origin %q, Vary %q; want the origin and Vary: Origin", app, resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Vary"))
	}

	for _, other := range []string{"https://attacker.example", "http://localhost:5174", "null"} {
		resp := do(http.MethodOptions, other)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s = %d, Allow-Origin %q; want 403 and none", other, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		if resp := do(http.MethodPost, other); resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("POST from %s: Allow-Origin %q; want none", other, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}

// TestAdminOperationsNeedSignedRequests: as on Cognito, admin operations need a SigV4-signed request (any
// credentials locally), and a web page cannot make one through the browser; public operations stay open to it.
func TestAdminOperationsNeedSignedRequests(t *testing.T) {
	e := newEnv(t)
	const sig = "AWS4-HMAC-SHA256 Credential=local/20260101/eu-west-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=00"
	call := func(op, body string, headers map[string]string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL()+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", targetPrefix+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		typ, _ := out["__type"].(string)
		return resp.StatusCode, typ
	}
	listUsers := `{"UserPoolId":"` + e.poolID + `"}`
	for _, tc := range []struct {
		name, op, body string
		headers        map[string]string
		wantType       string
	}{
		{"admin, unsigned", "ListUsers", listUsers, nil, "MissingAuthenticationTokenException"},
		{"admin, from a web page", "AdminSetUserPassword", `{"UserPoolId":"` + e.poolID + `","Username":"x","Password":"Aa1!aaaaaaaaaa"}`,
			map[string]string{"Authorization": sig, "Origin": "https://attacker.example"}, "MissingAuthenticationTokenException"},
		{"admin, signed", "ListUsers", listUsers, map[string]string{"Authorization": sig}, ""},
		{"public, from a web page", "SignUp", `{"ClientId":"` + e.clientID + `","Username":"web@example.com","Password":"` + goodPassword + `"}`,
			map[string]string{"Origin": "http://localhost:5173"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, typ := call(tc.op, tc.body, tc.headers); typ != tc.wantType {
				t.Errorf("%s: status %d __type %q; want %q", tc.op, status, typ, tc.wantType)
			}
		})
	}
}

// TestRefusesReboundHostNames: a web page whose own name resolves to 127.0.0.1 (DNS rebinding) is same-origin with
// the endpoint and needs no CORS, so every route refuses a Host that is not a loopback name, before any
// operation runs; the same requests under the endpoint's own names work.
func TestRefusesReboundHostNames(t *testing.T) {
	e := newEnv(t)
	_, port, _ := net.SplitHostPort(e.addr)
	signUp := func(host, name string) *http.Response {
		body := `{"ClientId":"` + e.clientID + `","Username":"` + name + `","Password":"` + goodPassword + `"}`
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL()+"/", strings.NewReader(body))
		req.Host = host
		req.Header.Set("X-Amz-Target", targetPrefix+"SignUp")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Origin", "http://"+host)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	get := func(host, path string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL()+path, nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	rebound := "rebind.attacker.example:" + port
	if resp := signUp(rebound, "rebound@example.com"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-Errortype") != "AccessDeniedException" {
		t.Errorf("SignUp under Host %s = %d %s; want 403 AccessDeniedException", rebound, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
	}
	if len(e.outbox("rebound@example.com")) != 0 {
		t.Error("the refused SignUp created the account (a code went out)")
	}
	for _, path := range []string{"/" + e.poolID + "/.well-known/jwks.json", "/" + e.poolID + "/.well-known/openid-configuration", "/_local/health"} {
		if resp := get(rebound, path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s under Host %s = %d; want 403", path, rebound, resp.StatusCode)
		}
	}
	for _, host := range []string{"localhost:" + port, "127.0.0.1:" + port} {
		if resp := signUp(host, "local-"+strings.Split(host, ":")[0]+"@example.com"); resp.StatusCode != http.StatusOK {
			t.Errorf("SignUp under Host %s = %d; want 200", host, resp.StatusCode)
		}
		if resp := get(host, "/"+e.poolID+"/.well-known/jwks.json"); resp.StatusCode != http.StatusOK {
			t.Errorf("JWKS under Host %s = %d; want 200", host, resp.StatusCode)
		}
	}
}
