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
