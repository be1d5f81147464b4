package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/local/jwtauth"
	"github.com/authnotes/authnotes/local/lambdaruntime"
)

const (
	testIssuer   = "http://127.0.0.1:9229/us-east-1_abcdefghi"
	testClient   = "abcdefghijklmnopqrstuvwxyz"
	testScope    = "aws.cognito.signin.user.admin"
	testOrigin   = "http://localhost:5173"
	testKeyID    = "key-1"
	structuredOK = `{"statusCode":201,"headers":{"Content-Type":"application/json","X-Custom":"yes"},"body":"{\"ok\":true}"}`
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func signingKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if testKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return testKey
}

func token(t testing.TB, mutate func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{
		"sub": "user-1", "client_id": testClient, "scope": testScope, "token_use": "access",
		"iss": testIssuer, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "cognito:groups": []string{"a", "b"},
	}
	if mutate != nil {
		mutate(claims)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = testKeyID
	s, err := tok.SignedString(signingKey(t))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// fakeFunction records the events it receives and answers with a fixed payload or error.
type fakeFunction struct {
	mu     sync.Mutex
	events [][]byte
	out    string
	err    error
}

func (f *fakeFunction) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, payload)
	return []byte(f.out), f.err
}

func (f *fakeFunction) last(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		t.Fatal("the function was not invoked")
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(f.events[len(f.events)-1], &ev); err != nil {
		t.Fatalf("decode event: %v", err)
	}
	return ev
}

func (f *fakeFunction) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

func newGateway(t testing.TB, mutate func(*Config)) *httptest.Server {
	t.Helper()
	verifier, err := jwtauth.NewVerifier(jwtauth.StaticKeys{testKeyID: &signingKey(t).PublicKey}, jwtauth.Expect{Issuer: testIssuer, Audiences: []string{testClient}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		APIID:       "abc123",
		AccountID:   "123456789012",
		Authorizers: map[string]Authorizer{"auth": {IdentitySource: []string{"$request.header.Authorization"}, Verifier: verifier}},
		Cors: &Cors{
			AllowOrigins:  []string{testOrigin},
			AllowMethods:  []string{"GET", "POST", "PUT", "DELETE"},
			AllowHeaders:  []string{"authorization", "content-type"},
			ExposeHeaders: []string{"etag"},
			MaxAge:        600,
		},
	}
	mutate(&cfg)
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

type call struct {
	method, path, body string
	header             map[string]string
}

func do(t testing.TB, srv *httptest.Server, c call) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header.Add(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestRouting(t *testing.T) {
	routes := []string{"GET /notes", "POST /notes", "GET /notes/{id}", "ANY /notes/{id}", "GET /notes/special", "GET /files/{proxy+}", "ANY /{proxy+}"}
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) {
		for _, k := range routes {
			c.Routes = append(c.Routes, Route{Key: k, Function: fn})
		}
	})
	tests := []struct {
		method, path string
		wantRoute    string
		wantParams   map[string]string
	}{
		{method: "GET", path: "/notes", wantRoute: "GET /notes"},
		{method: "POST", path: "/notes", wantRoute: "POST /notes"},
		{method: "GET", path: "/notes/01ABC", wantRoute: "GET /notes/{id}", wantParams: map[string]string{"id": "01ABC"}},
		{method: "GET", path: "/notes/special", wantRoute: "GET /notes/special"},
		{method: "DELETE", path: "/notes/01ABC", wantRoute: "ANY /notes/{id}", wantParams: map[string]string{"id": "01ABC"}},
		{method: "GET", path: "/notes/a%20b", wantRoute: "GET /notes/{id}", wantParams: map[string]string{"id": "a b"}},
		{method: "GET", path: "/files/a/b/c.txt", wantRoute: "GET /files/{proxy+}", wantParams: map[string]string{"proxy": "a/b/c.txt"}},
		{method: "PATCH", path: "/notes", wantRoute: "ANY /{proxy+}", wantParams: map[string]string{"proxy": "notes"}},
		{method: "GET", path: "/notes/x/y", wantRoute: "ANY /{proxy+}", wantParams: map[string]string{"proxy": "notes/x/y"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, _ := do(t, srv, call{method: tt.method, path: tt.path})
			if resp.StatusCode != 201 {
				t.Fatalf("status = %d; want 201", resp.StatusCode)
			}
			ev := fn.last(t)
			if ev.RouteKey != tt.wantRoute || ev.RequestContext.RouteKey != tt.wantRoute {
				t.Errorf("routeKey = %q; want %q", ev.RouteKey, tt.wantRoute)
			}
			if diff := cmp.Diff(tt.wantParams, ev.PathParameters); diff != "" {
				t.Errorf("pathParameters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoRouteAndDefaultRoute(t *testing.T) {
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) { c.Routes = []Route{{Key: "GET /notes", Function: fn}} })
	resp, body := do(t, srv, call{method: "GET", path: "/other"})
	if resp.StatusCode != 404 || body != `{"message":"Not Found"}` {
		t.Errorf("GET /other = %d %s; want 404 {\"message\":\"Not Found\"}", resp.StatusCode, body)
	}
	resp, _ = do(t, srv, call{method: "POST", path: "/notes"})
	if resp.StatusCode != 404 {
		t.Errorf("POST /notes with only GET /notes = %d; want 404", resp.StatusCode)
	}

	def := &fakeFunction{out: `{"statusCode":200,"body":"default"}`}
	srv = newGateway(t, func(c *Config) {
		c.Routes = []Route{{Key: "GET /notes", Function: fn}, {Key: "$default", Function: def}}
	})
	resp, body = do(t, srv, call{method: "GET", path: "/other"})
	if resp.StatusCode != 200 || body != "default" || def.last(t).RouteKey != "$default" {
		t.Errorf("GET /other with $default = %d %s; want 200 default", resp.StatusCode, body)
	}
}

func TestEventIsPayloadFormat2(t *testing.T) {
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) {
		c.Routes = []Route{{Key: "PUT /notes/{id}", Function: fn, Authorizer: "auth", Scopes: []string{testScope}}}
	})
	tok := token(t, nil)
	before := time.Now()
	resp, _ := do(t, srv, call{method: "PUT", path: "/notes/n1?b=2&a=1&a=3", body: `{"title":"x"}`, header: map[string]string{
		"Authorization": "Bearer " + tok, "Content-Type": "application/json", "X-Multi": "one", "Cookie": "c1=v1; c2=v2", "User-Agent": "test-agent/1",
	}})
	if resp.StatusCode != 201 {
		t.Fatalf("status = %d; want 201", resp.StatusCode)
	}
	ev := fn.last(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	if ev.Version != "2.0" || ev.RawPath != "/notes/n1" || ev.RawQueryString != "b=2&a=1&a=3" || ev.Body != `{"title":"x"}` || ev.IsBase64Encoded {
		t.Errorf("event basics = %+v", ev)
	}
	if diff := cmp.Diff(map[string]string{"a": "1,3", "b": "2"}, ev.QueryStringParameters); diff != "" {
		t.Errorf("queryStringParameters (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"c1=v1", "c2=v2"}, ev.Cookies); diff != "" {
		t.Errorf("cookies (-want +got):\n%s", diff)
	}
	for k, want := range map[string]string{"authorization": "Bearer " + tok, "content-type": "application/json", "x-multi": "one", "user-agent": "test-agent/1", "host": host, "x-forwarded-proto": "http", "x-forwarded-for": "127.0.0.1", "content-length": "13"} {
		if got := ev.Headers[k]; got != want {
			t.Errorf("headers[%q] = %q; want %q", k, got, want)
		}
	}
	if _, ok := ev.Headers["cookie"]; ok {
		t.Error("the cookie header is in headers; payload 2.0 moves it to cookies")
	}
	rc := ev.RequestContext
	if rc.AccountID != "123456789012" || rc.APIID != "abc123" || rc.Stage != "$default" || rc.DomainName != host || rc.RequestID == "" {
		t.Errorf("requestContext = %+v", rc)
	}
	if rc.RequestID != resp.Header.Get("Apigw-Requestid") {
		t.Errorf("requestId %q differs from the apigw-requestid header %q", rc.RequestID, resp.Header.Get("Apigw-Requestid"))
	}
	if diff := cmp.Diff(events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "PUT", Path: "/notes/n1", Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "test-agent/1"}, rc.HTTP); diff != "" {
		t.Errorf("requestContext.http (-want +got):\n%s", diff)
	}
	if rc.TimeEpoch < before.UnixMilli() {
		t.Errorf("timeEpoch = %d; want >= %d", rc.TimeEpoch, before.UnixMilli())
	}
	if _, err := time.Parse(clfTime, rc.Time); err != nil {
		t.Errorf("time = %q: %v", rc.Time, err)
	}
	if rc.Authorizer == nil || rc.Authorizer.JWT == nil {
		t.Fatal("requestContext.authorizer.jwt is missing")
	}
	claims := rc.Authorizer.JWT.Claims
	if claims["sub"] != "user-1" || claims["scope"] != testScope || claims["cognito:groups"] != "[a b]" || !strings.HasPrefix(claims["exp"], "17") && !strings.HasPrefix(claims["exp"], "18") {
		t.Errorf("claims = %v", claims)
	}
	if diff := cmp.Diff([]string{testScope}, rc.Authorizer.JWT.Scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
}

func TestBinaryBodyIsBase64(t *testing.T) {
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) { c.Routes = []Route{{Key: "POST /upload", Function: fn}} })
	do(t, srv, call{method: "POST", path: "/upload", body: "\x00\x01binary", header: map[string]string{"Content-Type": "application/octet-stream"}})
	ev := fn.last(t)
	if !ev.IsBase64Encoded || ev.Body != "AAFiaW5hcnk=" {
		t.Errorf("body = %q base64=%v; want AAFiaW5hcnk= base64=true", ev.Body, ev.IsBase64Encoded)
	}
}

func TestJWTAuthorizer(t *testing.T) {
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) {
		c.Routes = []Route{
			{Key: "GET /scoped", Function: fn, Authorizer: "auth", Scopes: []string{"other", testScope}},
			{Key: "GET /open", Function: fn, Authorizer: "auth"},
		}
	})
	idToken := token(t, func(c jwt.MapClaims) {
		delete(c, "scope")
		delete(c, "client_id")
		c["aud"] = testClient
		c["token_use"] = "id"
	})
	tests := []struct {
		name, path, auth string
		wantStatus       int
		wantBody         string
	}{
		{name: "bearer token", path: "/scoped", auth: "Bearer " + token(t, nil), wantStatus: 201},
		{name: "token without scheme", path: "/scoped", auth: token(t, nil), wantStatus: 201},
		{name: "no token", path: "/scoped", wantStatus: 401, wantBody: `{"message":"Unauthorized"}`},
		{name: "empty bearer", path: "/scoped", auth: "Bearer ", wantStatus: 401, wantBody: `{"message":"Unauthorized"}`},
		{name: "garbage", path: "/scoped", auth: "Bearer abc.def.ghi", wantStatus: 401, wantBody: `{"message":"Unauthorized"}`},
		{name: "expired", path: "/scoped", auth: "Bearer " + token(t, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), wantStatus: 401, wantBody: `{"message":"Unauthorized"}`},
		{name: "other issuer", path: "/scoped", auth: "Bearer " + token(t, func(c jwt.MapClaims) { c["iss"] = "http://127.0.0.1:9229/us-east-1_other0000" }), wantStatus: 401, wantBody: `{"message":"Unauthorized"}`},
		{name: "id token lacks the scope", path: "/scoped", auth: "Bearer " + idToken, wantStatus: 403, wantBody: `{"message":"Forbidden"}`},
		{name: "id token on a route without scopes", path: "/open", auth: "Bearer " + idToken, wantStatus: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fn.calls()
			h := map[string]string{}
			if tt.auth != "" {
				h["Authorization"] = tt.auth
			}
			resp, body := do(t, srv, call{method: "GET", path: tt.path, header: h})
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d %s; want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if tt.wantBody != "" {
				if body != tt.wantBody || resp.Header.Get("Content-Type") != "application/json" {
					t.Errorf("body = %s (%s); want %s (application/json)", body, resp.Header.Get("Content-Type"), tt.wantBody)
				}
				if fn.calls() != before {
					t.Error("the function was invoked for a refused request")
				}
			}
		})
	}
}

func TestResponseMapping(t *testing.T) {
	tests := []struct {
		name       string
		out        string
		err        error
		wantStatus int
		wantBody   string
		wantHeader map[string]string
		wantCookie []string
	}{
		{name: "structured", out: structuredOK, wantStatus: 201, wantBody: `{"ok":true}`, wantHeader: map[string]string{"Content-Type": "application/json", "X-Custom": "yes"}},
		{name: "cookies", out: `{"statusCode":200,"cookies":["a=1; Path=/","b=2"],"body":"x"}`, wantStatus: 200, wantBody: "x", wantCookie: []string{"a=1; Path=/", "b=2"}},
		{name: "base64 body", out: `{"statusCode":200,"body":"aGVsbG8=","isBase64Encoded":true}`, wantStatus: 200, wantBody: "hello"},
		{name: "no body", out: `{"statusCode":204}`, wantStatus: 204},
		{name: "inferred object", out: `{"hello":"world"}`, wantStatus: 200, wantBody: `{"hello":"world"}`, wantHeader: map[string]string{"Content-Type": "application/json"}},
		{name: "inferred string", out: `"hello"`, wantStatus: 200, wantBody: `"hello"`, wantHeader: map[string]string{"Content-Type": "application/json"}},
		{name: "invalid JSON", out: `not json`, wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "bad status code", out: `{"statusCode":"abc"}`, wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "function error", err: &lambdaruntime.Error{Type: "errorString", Message: "boom"}, wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "event over Lambda's payload limit", err: &lambdaruntime.Error{Type: "Request.TooLarge", Message: "too big"}, wantStatus: 413, wantBody: `{"message":"Request Entity Too Large"}`},
		{name: "function timeout", err: fmt.Errorf("invoke: %w", lambdaruntime.ErrTimeout), wantStatus: 503, wantBody: `{"message":"Service Unavailable"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := &fakeFunction{out: tt.out, err: tt.err}
			srv := newGateway(t, func(c *Config) { c.Routes = []Route{{Key: "GET /x", Function: fn}} })
			resp, body := do(t, srv, call{method: "GET", path: "/x"})
			if resp.StatusCode != tt.wantStatus || body != tt.wantBody {
				t.Errorf("response = %d %q; want %d %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q; want %q", k, got, v)
				}
			}
			if diff := cmp.Diff(tt.wantCookie, resp.Header.Values("Set-Cookie")); diff != "" {
				t.Errorf("Set-Cookie (-want +got):\n%s", diff)
			}
		})
	}
}

// slowFunction blocks until its context ends, like a function running past the integration timeout.
type slowFunction struct{}

func (slowFunction) Invoke(ctx context.Context, _ []byte) ([]byte, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestIntegrationTimeout(t *testing.T) {
	srv := newGateway(t, func(c *Config) {
		c.IntegrationTimeout = 50 * time.Millisecond
		c.Routes = []Route{{Key: "GET /slow", Function: slowFunction{}}}
	})
	resp, body := do(t, srv, call{method: "GET", path: "/slow"})
	if resp.StatusCode != 503 || body != `{"message":"Service Unavailable"}` {
		t.Errorf("response = %d %s; want 503 Service Unavailable", resp.StatusCode, body)
	}
}

// deadlineFunction records the deadline the gateway gives the invocation.
type deadlineFunction struct{ deadline chan time.Time }

func (f deadlineFunction) Invoke(ctx context.Context, _ []byte) ([]byte, error) {
	d, _ := ctx.Deadline()
	f.deadline <- d
	return []byte(structuredOK), nil
}

func TestRouteIntegrationTimeout(t *testing.T) {
	fn := deadlineFunction{deadline: make(chan time.Time, 2)}
	srv := newGateway(t, func(c *Config) {
		c.Routes = []Route{{Key: "GET /short", Function: fn, Timeout: 2 * time.Second}, {Key: "GET /default", Function: fn}}
	})
	for path, limit := range map[string]time.Duration{"/short": 2 * time.Second, "/default": MaxIntegrationTimeout} {
		do(t, srv, call{method: "GET", path: path})
		after := time.Now()
		if d := <-fn.deadline; d.After(after.Add(limit)) {
			t.Errorf("GET %s: invocation deadline %s after the response; want at most %s (the integration's timeout)", path, d.Sub(after), limit)
		}
	}
}

func TestCORS(t *testing.T) {
	fn := &fakeFunction{out: `{"statusCode":200,"headers":{"Access-Control-Allow-Origin":"*"},"body":"x"}`}
	srv := newGateway(t, func(c *Config) {
		c.Routes = []Route{{Key: "GET /notes", Function: fn, Authorizer: "auth", Scopes: []string{testScope}}}
	})
	preflight := func(origin, method string) *http.Response {
		resp, _ := do(t, srv, call{method: "OPTIONS", path: "/notes", header: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "authorization",
		}})
		return resp
	}
	t.Run("preflight from the allowed origin", func(t *testing.T) {
		resp := preflight(testOrigin, "GET")
		want := map[string]string{
			"Access-Control-Allow-Origin":  testOrigin,
			"Access-Control-Allow-Methods": "GET,POST,PUT,DELETE",
			"Access-Control-Allow-Headers": "authorization,content-type",
			"Access-Control-Max-Age":       "600",
		}
		got := map[string]string{}
		for k := range want {
			got[k] = resp.Header.Get(k)
		}
		if resp.StatusCode != 204 {
			t.Errorf("status = %d; want 204 (no authorizer on preflight)", resp.StatusCode)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("preflight headers (-want +got):\n%s", diff)
		}
	})
	for name, c := range map[string][2]string{"other origin": {"http://evil.example", "GET"}, "method not allowed": {testOrigin, "PATCH"}} {
		t.Run("preflight "+name, func(t *testing.T) {
			resp := preflight(c[0], c[1])
			if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
				t.Errorf("Access-Control-Allow-Origin = %q; want none", v)
			}
		})
	}
	t.Run("actual request", func(t *testing.T) {
		auth := "Bearer " + token(t, nil)
		resp, _ := do(t, srv, call{method: "GET", path: "/notes", header: map[string]string{"Origin": testOrigin, "Authorization": auth}})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != testOrigin {
			t.Errorf("allowed origin: Access-Control-Allow-Origin = %q; want %q (the integration's * replaced)", got, testOrigin)
		}
		if got := resp.Header.Get("Access-Control-Expose-Headers"); got != "etag" {
			t.Errorf("Access-Control-Expose-Headers = %q; want etag", got)
		}
		resp, _ = do(t, srv, call{method: "GET", path: "/notes", header: map[string]string{"Origin": "http://evil.example", "Authorization": auth}})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("other origin: Access-Control-Allow-Origin = %q; want none", got)
		}
		resp, _ = do(t, srv, call{method: "GET", path: "/notes", header: map[string]string{"Origin": testOrigin}})
		if resp.StatusCode != 401 || resp.Header.Get("Access-Control-Allow-Origin") != testOrigin {
			t.Errorf("401 response: status %d, Access-Control-Allow-Origin %q; want 401 with CORS headers", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
}

func TestThrottling(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) {
		c.Now = clock
		c.Throttle = &Throttle{Rate: 1, Burst: 2}
		c.Routes = []Route{{Key: "GET /x", Function: fn}}
	})
	var statuses []int
	get := func() {
		resp, body := do(t, srv, call{method: "GET", path: "/x"})
		if resp.StatusCode == 429 && body != `{"message":"Too Many Requests"}` {
			t.Errorf("429 body = %s", body)
		}
		statuses = append(statuses, resp.StatusCode)
	}
	get()
	get()
	get() // the burst is spent
	mu.Lock()
	now = now.Add(time.Second) // one token refilled
	mu.Unlock()
	get()
	get()
	if diff := cmp.Diff([]int{201, 201, 429, 201, 429}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

// TestReboundHostNamesAreRefused: a web page that rebinds its own name to 127.0.0.1 (DNS rebinding) is same-origin
// with the API; the gateway answers only loopback host names, refusing others before a function runs or a
// throttling token is spent.
func TestReboundHostNamesAreRefused(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) {
		c.Now = func() time.Time { return now }
		c.Throttle = &Throttle{Rate: 1, Burst: 2}
		c.Routes = []Route{{Key: "POST /x", Function: fn}}
	})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	post := func(host, origin string) (*http.Response, string) {
		req, err := http.NewRequest("POST", srv.URL+"/x", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	for _, host := range []string{"rebind.attacker.example:" + port, "rebind.attacker.example", "192.168.1.20:" + port} {
		for range 3 {
			resp, body := post(host, "http://"+host)
			var msg struct{ Message string }
			if err := json.Unmarshal([]byte(body), &msg); err != nil || resp.StatusCode != 403 || !strings.HasPrefix(msg.Message, "Forbidden: the local HTTP API answers only this machine") {
				t.Errorf("POST /x under Host %s = %d %s; want 403 with a JSON message saying why", host, resp.StatusCode, body)
			}
		}
	}
	if fn.calls() != 0 {
		t.Errorf("the function ran %d times for refused requests; want 0", fn.calls())
	}
	for _, host := range []string{"localhost:" + port, "127.0.0.1:" + port} {
		if resp, body := post(host, testOrigin); resp.StatusCode != 201 {
			t.Errorf("POST /x under Host %s = %d %s; want 201 (refusals spend no throttling tokens)", host, resp.StatusCode, body)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) { c.Routes = []Route{{Key: "POST /x", Function: fn}} })
	resp, body := do(t, srv, call{method: "POST", path: "/x", body: strings.Repeat("a", MaxBody+1), header: map[string]string{"Content-Type": "text/plain"}})
	if resp.StatusCode != 413 || body != `{"message":"Request Entity Too Large"}` {
		t.Errorf("11 MB body = %d %s; want 413", resp.StatusCode, body)
	}
	if fn.calls() != 0 {
		t.Error("the function was invoked with an oversized body")
	}
}

func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) {
		c.AccessLog = &logs
		c.AccessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","len":"$context.responseLength","sub":"$context.authorizer.claims.sub","err":"$context.authorizer.error","unknown":"$context.nothing"}`
		c.Routes = []Route{{Key: "GET /x", Function: fn, Authorizer: "auth"}}
	})
	resp, _ := do(t, srv, call{method: "GET", path: "/x", header: map[string]string{"Authorization": token(t, nil)}})
	do(t, srv, call{method: "GET", path: "/x"})
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("access log has %d lines; want 2:\n%s", len(lines), logs.String())
	}
	var got []map[string]string
	for _, l := range lines {
		var m map[string]string
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("access log line %q is not JSON: %v", l, err)
		}
		got = append(got, m)
	}
	want := []map[string]string{
		{"requestId": resp.Header.Get("Apigw-Requestid"), "ip": "127.0.0.1", "method": "GET", "routeKey": "GET /x", "status": "201", "len": "11", "sub": "user-1", "err": "-", "unknown": "-"},
		{"requestId": got[1]["requestId"], "ip": "127.0.0.1", "method": "GET", "routeKey": "GET /x", "status": "401", "len": "26", "sub": "-", "err": "missing identity source Authorization", "unknown": "-"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("access log (-want +got):\n%s", diff)
	}
}

func TestNewValidates(t *testing.T) {
	fn := &fakeFunction{}
	tests := []struct {
		name   string
		routes []Route
		want   string
	}{
		{name: "bad key", routes: []Route{{Key: "/notes", Function: fn}}, want: `route key "/notes"`},
		{name: "greedy not last", routes: []Route{{Key: "GET /{proxy+}/x", Function: fn}}, want: "greedy"},
		{name: "duplicate", routes: []Route{{Key: "GET /x", Function: fn}, {Key: "GET /x", Function: fn}}, want: "defined twice"},
		{name: "unknown authorizer", routes: []Route{{Key: "GET /x", Function: fn, Authorizer: "nope"}}, want: `unknown authorizer "nope"`},
		{name: "no function", routes: []Route{{Key: "GET /x"}}, want: "no integration function"},
		{name: "no verifier", routes: []Route{{Key: "GET /x", Function: fn, Authorizer: "noverifier"}}, want: `authorizer "noverifier": no verifier`},
		{name: "bad identity source", routes: []Route{{Key: "GET /x", Function: fn, Authorizer: "body"}}, want: `identity source "$request.body.token"`},
	}
	verifier, err := jwtauth.NewVerifier(jwtauth.StaticKeys{}, jwtauth.Expect{Issuer: testIssuer, Audiences: []string{testClient}})
	if err != nil {
		t.Fatal(err)
	}
	authorizers := map[string]Authorizer{
		"noverifier": {},
		"body":       {IdentitySource: []string{"$request.body.token"}, Verifier: verifier},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{Routes: tt.routes, Authorizers: authorizers})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New() = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestEventHasTheFixtureShape compares the JSON shape of the gateway's event with aws-lambda-go's fixture of an
// API Gateway payload 2.0 event with a JWT authorizer (testdata/apigw-v2-request-jwt-authorizer.json, copied from
// github.com/aws/aws-lambda-go/events/testdata): the same keys, except the ones that only exist for features the
// twin does not have (stage variables, mutual TLS).
func TestEventHasTheFixtureShape(t *testing.T) {
	raw, err := os.ReadFile("testdata/apigw-v2-request-jwt-authorizer.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixture map[string]any
	if err := json.Unmarshal(raw, &fixture); err != nil {
		t.Fatal(err)
	}
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) {
		c.Routes = []Route{{Key: "POST /my/{proxy+}", Function: fn, Authorizer: "auth", Scopes: []string{testScope}}}
	})
	do(t, srv, call{method: "POST", path: "/my/path?parameter1=value1&parameter1=value2", body: `{"a":1}`, header: map[string]string{
		"Authorization": token(t, nil), "Content-Type": "application/json", "Cookie": "cookie1; cookie2",
	}})
	var got map[string]any
	fn.mu.Lock()
	err = json.Unmarshal(fn.events[0], &got)
	fn.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	notModelled := func(path string) bool {
		return strings.HasPrefix(path, "stageVariables") || strings.HasPrefix(path, "requestContext.authentication")
	}
	want := keyPaths(fixture, "", notModelled)
	have := keyPaths(got, "", notModelled)
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("event keys (-fixture +gateway):\n%s", diff)
	}
}

// keyPaths lists the dotted paths of an event's keys; the contents of free-form maps (headers, claims, …) are
// left out.
func keyPaths(v map[string]any, prefix string, skip func(string) bool) []string {
	freeForm := map[string]bool{"headers": true, "queryStringParameters": true, "pathParameters": true, "requestContext.authorizer.jwt.claims": true}
	var out []string
	for k, val := range v {
		p := prefix + k
		if skip(p) {
			continue
		}
		out = append(out, p)
		if m, ok := val.(map[string]any); ok && !freeForm[p] {
			out = append(out, keyPaths(m, p+".", skip)...)
		}
	}
	slices.Sort(out)
	return out
}

func TestEventJoinsDuplicatesAndKeepsTheRawQuery(t *testing.T) {
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) { c.Routes = []Route{{Key: "GET /x", Function: fn}} })
	req, err := http.NewRequest("GET", srv.URL+"/x?q=a%20b&q=c%2Bd&slash=%2F&flag", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Add("Cookie", "a=1; b=2")
	req.Header.Add("Cookie", "c=3")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ev := fn.last(t)
	if got, want := ev.Headers["x-multi"], "one,two"; got != want {
		t.Errorf("headers[x-multi] = %q; want %q (duplicates comma-joined)", got, want)
	}
	if diff := cmp.Diff([]string{"a=1", "b=2", "c=3"}, ev.Cookies); diff != "" {
		t.Errorf("cookies from two Cookie headers (-want +got):\n%s", diff)
	}
	if got, want := ev.RawQueryString, "q=a%20b&q=c%2Bd&slash=%2F&flag"; got != want {
		t.Errorf("rawQueryString = %q; want it unchanged %q", got, want)
	}
	if diff := cmp.Diff(map[string]string{"q": "a b,c+d", "slash": "/", "flag": ""}, ev.QueryStringParameters); diff != "" {
		t.Errorf("queryStringParameters (-want +got):\n%s", diff)
	}
	rc := ev.RequestContext
	if want := time.UnixMilli(rc.TimeEpoch).UTC().Format("02/Jan/2006:15:04:05 +0000"); rc.Time != want {
		t.Errorf("time = %q; want %q (UTC, as API Gateway writes it, matching timeEpoch)", rc.Time, want)
	}
	if rc.DomainPrefix != "127" || rc.DomainName != strings.TrimPrefix(srv.URL, "http://") {
		t.Errorf("domainName, domainPrefix = %q, %q; want the Host header and its first label", rc.DomainName, rc.DomainPrefix)
	}
}

// TestNamedStage: a named stage is the first segment of the invoke URL; API Gateway matches routes below it and
// passes the whole path, stage included, as rawPath and requestContext.http.path.
func TestNamedStage(t *testing.T) {
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) {
		c.Stage = "dev"
		c.Routes = []Route{{Key: "GET /notes/{id}", Function: fn}, {Key: "GET /", Function: fn}}
	})
	tests := []struct {
		path, wantRoute string
	}{
		{path: "/dev/notes/n1", wantRoute: "GET /notes/{id}"},
		{path: "/dev", wantRoute: "GET /"},
		{path: "/notes/n1"},
		{path: "/devx/notes/n1"},
		{path: "/prod/notes/n1"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			before := fn.calls()
			resp, body := do(t, srv, call{method: "GET", path: tt.path})
			if tt.wantRoute == "" {
				if resp.StatusCode != 404 || body != `{"message":"Not Found"}` || fn.calls() != before {
					t.Errorf("GET %s = %d %s; want 404 {\"message\":\"Not Found\"} without an invocation", tt.path, resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode != 201 {
				t.Fatalf("GET %s = %d %s; want 201", tt.path, resp.StatusCode, body)
			}
			ev := fn.last(t)
			if ev.RouteKey != tt.wantRoute || ev.RawPath != tt.path || ev.RequestContext.HTTP.Path != tt.path || ev.RequestContext.Stage != "dev" {
				t.Errorf("event routeKey %q rawPath %q http.path %q stage %q; want %q, %q, %q, dev",
					ev.RouteKey, ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.Stage, tt.wantRoute, tt.path, tt.path)
			}
		})
	}
}

// TestJWKSFetchOutlivesTheClient: the first request, which makes the gateway fetch the issuer's key set, gives up
// while the fetch is under way; the fetch still completes, so the next request with a valid token is accepted
// (rather than refused until the key source dares to fetch again).
func TestJWKSFetchOutlivesTheClient(t *testing.T) {
	asked, release := make(chan struct{}, 1), make(chan struct{})
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- struct{}{}
		<-release
		pub := &signingKey(t).PublicKey
		fmt.Fprintf(w, `{"keys":[{"kty":"RSA","kid":%q,"use":"sig","alg":"RS256","n":%q,"e":"AQAB"}]}`,
			testKeyID, base64.RawURLEncoding.EncodeToString(pub.N.Bytes()))
	}))
	t.Cleanup(jwks.Close)
	// No second fetch within the test: only the first one can fill the cache.
	keys := jwtauth.NewJWKS(jwks.URL, jwtauth.JWKSOptions{MinRefetch: time.Hour, RetryAfterFailure: time.Hour})
	verifier, err := jwtauth.NewVerifier(keys, jwtauth.Expect{Issuer: testIssuer, Audiences: []string{testClient}})
	if err != nil {
		t.Fatal(err)
	}
	fn := &fakeFunction{out: structuredOK}
	srv := newGateway(t, func(c *Config) {
		c.Authorizers = map[string]Authorizer{"auth": {Verifier: verifier}}
		c.Routes = []Route{{Key: "GET /x", Function: fn, Authorizer: "auth"}}
	})
	auth := "Bearer " + token(t, nil)

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := srv.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-asked // the gateway is fetching the key set for the first request
	cancel()
	<-done
	close(release)
	resp, body := do(t, srv, call{method: "GET", path: "/x", header: map[string]string{"Authorization": auth}})
	if resp.StatusCode != 201 {
		t.Errorf("a valid token after the first client hung up = %d %s; want 201", resp.StatusCode, body)
	}
}

// TestRealFunctionFailures runs a real bootstrap behind the gateway: a process that exits mid-invocation is a 500
// and is replaced, one that runs past the function timeout is a 503 and is killed and replaced too.
func TestRealFunctionFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a bootstrap")
	}
	fn := startEcho(t, lambdaruntime.Config{Timeout: time.Second, InitTimeout: time.Minute})
	srv := newGateway(t, func(c *Config) { c.Routes = []Route{{Key: "GET /{proxy+}", Function: fn}} })
	pid := func() int {
		t.Helper()
		resp, body := do(t, srv, call{method: "GET", path: "/ok"})
		var out struct{ PID int }
		if err := json.Unmarshal([]byte(body), &out); resp.StatusCode != 200 || err != nil {
			t.Fatalf("GET /ok = %d %s; want 200 with the pid", resp.StatusCode, body)
		}
		return out.PID
	}
	first := pid()
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{path: "/crash", status: 500, body: `{"message":"Internal Server Error"}`},
		{path: "/sleep", status: 503, body: `{"message":"Service Unavailable"}`},
	} {
		resp, body := do(t, srv, call{method: "GET", path: tt.path})
		if resp.StatusCode != tt.status || body != tt.body {
			t.Errorf("GET %s = %d %s; want %d %s", tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
		next := pid()
		if next == first {
			t.Errorf("after GET %s the function still runs in pid %d; want a new process", tt.path, first)
		}
		first = next
	}
}
