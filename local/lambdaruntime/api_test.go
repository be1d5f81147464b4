package lambdaruntime

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newTestEnvironment is an environment without a process, to drive the Runtime API handlers directly.
func newTestEnvironment(t *testing.T) (*environment, *invocation) {
	t.Helper()
	f, err := Start(Config{Name: "api-test", Dir: taskRoot, Log: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	env := &environment{f: f, next: make(chan *invocation), ready: make(chan struct{}), exitedCh: make(chan struct{})}
	inv := newInvocation([]byte(`{}`), time.Minute)
	env.current = inv
	return env, inv
}

func post(handler http.HandlerFunc, id string, body []byte, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/2018-06-01/runtime/invocation/"+id+"/x", bytes.NewReader(body))
	req.SetPathValue("id", id)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	handler(rec, req)
	return rec
}

func TestRuntimeAPIResponses(t *testing.T) {
	tests := []struct {
		name       string
		post       func(env *environment, id string) *httptest.ResponseRecorder
		wrongID    bool
		wantStatus int
		wantType   string // of the invocation's error; "" = success
		wantBody   string // of the invocation's payload
	}{
		{name: "response", post: func(env *environment, id string) *httptest.ResponseRecorder {
			return post(env.handleResponse, id, []byte(`{"ok":true}`), nil)
		}, wantStatus: 202, wantBody: `{"ok":true}`},
		{name: "unknown request ID", wrongID: true, post: func(env *environment, id string) *httptest.ResponseRecorder {
			return post(env.handleResponse, id, []byte(`{}`), nil)
		}, wantStatus: 400},
		{name: "response over 6 MB", post: func(env *environment, id string) *httptest.ResponseRecorder {
			return post(env.handleResponse, id, bytes.Repeat([]byte("a"), MaxPayload+1), nil)
		}, wantStatus: 413, wantType: "Function.ResponseSizeTooLarge"},
		{name: "error with JSON body", post: func(env *environment, id string) *httptest.ResponseRecorder {
			return post(env.handleError, id, []byte(`{"errorMessage":"boom","errorType":"MyError"}`), nil)
		}, wantStatus: 202, wantType: "MyError"},
		{name: "error type from the header", post: func(env *environment, id string) *httptest.ResponseRecorder {
			return post(env.handleError, id, []byte(`not json`), http.Header{headerErrorType: {"Runtime.Unknown"}})
		}, wantStatus: 202, wantType: "Runtime.Unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, inv := newTestEnvironment(t)
			id := inv.id
			if tt.wrongID {
				id = "00000000-0000-4000-8000-000000000000"
			}
			rec := tt.post(env, id)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d %s; want %d", rec.Code, rec.Body, tt.wantStatus)
			}
			if tt.wrongID {
				if !strings.Contains(rec.Body.String(), "InvalidRequestID") {
					t.Errorf("body = %s; want errorType InvalidRequestID", rec.Body)
				}
				if env.current != inv {
					t.Error("a post for another request ID cleared the invocation in flight")
				}
				return
			}
			var res result
			select {
			case res = <-inv.done:
			default:
				t.Fatal("the invocation was not finished")
			}
			var fe *Error
			switch {
			case tt.wantType == "" && (res.err != nil || string(res.payload) != tt.wantBody):
				t.Errorf("result = %q, %v; want %q", res.payload, res.err, tt.wantBody)
			case tt.wantType != "" && (!errors.As(res.err, &fe) || fe.Type != tt.wantType):
				t.Errorf("result error = %v; want type %s", res.err, tt.wantType)
			}
		})
	}
}

// TestInvocationHandedToAnExitedProcessFailsAtOnce: the process exits just as /invocation/next hands it an
// invocation, after the exit handler found none in flight; the invocation fails with the exit error right away
// instead of waiting for its timeout.
func TestInvocationHandedToAnExitedProcessFailsAtOnce(t *testing.T) {
	env, _ := newTestEnvironment(t)
	env.current = nil
	close(env.exitedCh) // the exit handler has run and found nothing to fail
	inv := newInvocation([]byte(`{}`), time.Hour)
	if env.begin(inv) {
		t.Fatal("begin() = true for an exited process")
	}
	select {
	case res := <-inv.done:
		var fe *Error
		if !errors.As(res.err, &fe) || fe.Type != "Runtime.ExitError" {
			t.Errorf("result error = %v; want Runtime.ExitError", res.err)
		}
	default:
		t.Fatal("the invocation was left to its one-hour timeout")
	}
}

// TestRuntimeAPIRefusesWebPages: a web page cannot take an invocation (with the caller's event and access token)
// from /invocation/next, nor kill the environment through /init/error, whether it calls cross-site (its requests
// carry Origin or Sec-Fetch-* headers) or under its own name rebound to 127.0.0.1 (DNS rebinding); the refusal
// comes before any handler runs, so the invocation stays for the function's own process, which still gets it.
func TestRuntimeAPIRefusesWebPages(t *testing.T) {
	const next = apiPrefix + "/invocation/next"
	for _, tc := range []struct {
		name, method, path, host string
		header                   map[string]string
	}{
		{"cross-site next", "GET", next, "127.0.0.1:9001", map[string]string{"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"}},
		{"no-cors next", "GET", next, "127.0.0.1:9001", map[string]string{"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site"}},
		{"rebound next", "GET", next, "rebind.attacker.example:9001", nil},
		{"cross-site init error", "POST", apiPrefix + "/init/error", "127.0.0.1:9001", map[string]string{"Origin": "https://attacker.example", "Content-Type": "text/plain"}},
		{"rebound init error", "POST", apiPrefix + "/init/error", "rebind.attacker.example:9001", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, inv := newTestEnvironment(t)
			env.current = nil
			env.next = make(chan *invocation, 1)
			env.next <- inv // waiting for whoever asks /invocation/next first
			api := env.runtimeAPI()

			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(`{"errorMessage":"killed by a web page"}`))
			req.RemoteAddr, req.Host = "127.0.0.1:40000", tc.host
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, req)
			if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "the Lambda Runtime API") {
				t.Errorf("%s %s from a web page = %d %q; want 403 naming the Lambda Runtime API", tc.method, tc.path, rec.Code, rec.Body)
			}
			if env.initErr != nil {
				t.Errorf("the web page's /init/error was recorded: %v", env.initErr)
			}
			if len(env.next) != 1 {
				t.Fatal("the web page took the invocation")
			}

			// The runtime client asks as Lambda's do: AWS_LAMBDA_RUNTIME_API (127.0.0.1:port) as Host, no browser headers.
			req = httptest.NewRequest("GET", next, nil)
			req.RemoteAddr, req.Host = "127.0.0.1:40001", "127.0.0.1:9001"
			rec = httptest.NewRecorder()
			api.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Header().Get(HeaderRequestID) != inv.id {
				t.Errorf("the runtime's own /invocation/next = %d, request ID %q; want 200 with %s", rec.Code, rec.Header().Get(HeaderRequestID), inv.id)
			}
		})
	}
}

// TestInitErrorIsLogged: an /init/error posted by the runtime says so in the function's log.
func TestInitErrorIsLogged(t *testing.T) {
	env, _ := newTestEnvironment(t)
	req := httptest.NewRequest("POST", apiPrefix+"/init/error", strings.NewReader(`{"errorMessage":"missing TABLE_NAME","errorType":"Runtime.Config"}`))
	req.RemoteAddr, req.Host = "127.0.0.1:40000", "127.0.0.1:9001"
	rec := httptest.NewRecorder()
	env.runtimeAPI().ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("POST /init/error = %d %s; want 202", rec.Code, rec.Body)
	}
	logs := env.f.cfg.Log.(*syncBuffer).String()
	if want := "INIT failed: the runtime posted /init/error: init error (Runtime.Config): missing TABLE_NAME"; !strings.Contains(logs, want) {
		t.Errorf("log = %q; want a line containing %q", logs, want)
	}
}
