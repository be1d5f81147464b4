package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Timing is one cold start of a bootstrap binary, both durations measured
// from just before the process is started.
type Timing struct {
	// Init ends when the process asks for its first invocation: Go runtime
	// start, package init and main's wiring (SDK client, store, logger).
	Init time.Duration
	// FirstResponse ends when the response to the first invocation reaches
	// the Runtime API: what the product target names a cold start.
	FirstResponse time.Duration
}

// coldRequestID is the Lambda request id of the one invocation served.
const coldRequestID = "8f5a7c52-cold-4bd7-9a36-000000000001"

// ColdStart starts bin against a minimal Runtime API, gives it event as its
// first invocation, and returns the timing and the response payload (so the
// caller can check the request took the path it meant to measure). env adds
// variables to the ones Lambda sets. The process is killed afterwards.
func ColdStart(ctx context.Context, bin string, event []byte, env ...string) (Timing, []byte, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Timing{}, nil, err
	}
	type answer struct {
		at      time.Time
		payload []byte
		err     error
	}
	asked := make(chan time.Time, 1)
	answered := make(chan answer, 1)
	release := make(chan struct{})
	var served atomic.Bool
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/2018-06-01/runtime/invocation/next":
			if served.Swap(true) {
				<-release // the second long poll: hold it until we are done
				w.WriteHeader(http.StatusGone)
				return
			}
			asked <- time.Now()
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", coldRequestID)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:coldstart")
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(event)
		case r.URL.Path == "/2018-06-01/runtime/invocation/"+coldRequestID+"/response":
			at := time.Now()
			payload, err := io.ReadAll(r.Body)
			answered <- answer{at: at, payload: payload, err: err}
			w.WriteHeader(http.StatusAccepted)
		case strings.HasSuffix(r.URL.Path, "/error"):
			payload, _ := io.ReadAll(r.Body)
			answered <- answer{err: fmt.Errorf("the function reported an error: %s", payload)}
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	defer close(release)

	cmd := exec.CommandContext(ctx, bin)
	// Only what Lambda sets: the developer's environment (AWS_CA_BUNDLE,
	// AWS_PROFILE, ~/.aws) would make the SDK do work it never does in Lambda.
	cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + l.Addr().String(),
		"TABLE_NAME=" + coldTable,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=cold",
		"AWS_SECRET_ACCESS_KEY=cold",
		"AWS_LAMBDA_FUNCTION_NAME=coldstart",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_LEVEL=INFO",
		"LAMBDA_TASK_ROOT=" + filepath.Dir(bin),
		"TZ=:UTC",
	}, env...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Timing{}, nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	timeout := time.After(30 * time.Second)
	var t Timing
	for {
		select {
		case at := <-asked:
			t.Init = at.Sub(start)
		case a := <-answered:
			if a.err != nil {
				return Timing{}, nil, a.err
			}
			t.FirstResponse = a.at.Sub(start)
			return t, a.payload, nil
		case err := <-exited:
			exited <- err // for the deferred wait
			return Timing{}, nil, fmt.Errorf("%s exited before answering its first invocation: %v", bin, err)
		case <-timeout:
			return Timing{}, nil, errors.New("no response to the first invocation within 30s")
		}
	}
}

// coldTable is the table the measured functions are configured with.
const coldTable = "ColdStart"

// probeEvent is the first invocation a function gets in the measurement: an
// HTTP API v2 event from an authenticated caller, shaped as API Gateway sends
// it. With reachDynamoDB false the request is refused by validation before any
// DynamoDB call (wantStatus 400): the cold start of our code and the SDK's
// init, without a network round trip. With true it is a valid request whose
// first DynamoDB call goes to the endpoint in the environment.
func probeEvent(pkg string, reachDynamoDB bool) (event []byte, wantStatus int) {
	const missingID = "01KDNQ8G0A6V4M3T2RC7XJ5ZP9"
	id, method, path, body, query := "not-a-note-id", "GET", "/notes/{id}", "", map[string]string(nil)
	wantStatus = 400
	switch filepath.Base(pkg) {
	case "createnote":
		method, path, body = "POST", "/notes", `{"content":`
		wantStatus = 400
		if reachDynamoDB {
			body, wantStatus = `{"title":"cold","content":"start"}`, 201
		}
	case "listnotes":
		path, query = "/notes", map[string]string{"limit": "0"}
		if reachDynamoDB {
			query, wantStatus = nil, 200
		}
	case "getnote", "updatenote", "deletenote":
		method = map[string]string{"getnote": "GET", "updatenote": "PUT", "deletenote": "DELETE"}[filepath.Base(pkg)]
		if method == "PUT" {
			body = `{"content":"cold"}`
		}
		if reachDynamoDB {
			id, wantStatus = missingID, 404
		}
	case "sdkfloor": // answers 400 to anything, like the functions to this event
	default: // the hello-world baseline answers anything
		wantStatus = 0
	}
	rawPath := strings.Replace(path, "{id}", id, 1)
	ev := map[string]any{
		"version": "2.0", "routeKey": method + " " + path, "rawPath": rawPath, "rawQueryString": "",
		"cookies": []string{"theme=dark"},
		"headers": map[string]string{
			"authorization": "Bearer eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.e30.c2ln", "content-type": "application/json",
			"host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", "user-agent": "coldstart",
		},
		"queryStringParameters": query,
		"pathParameters":        map[string]string{"id": id},
		"requestContext": map[string]any{
			"accountId": "123456789012", "apiId": "a1b2c3d4e5", "requestId": "ColdStartReq=", "routeKey": method + " " + path,
			"stage": "$default", "timeEpoch": 1767225600000,
			"http": map[string]string{"method": method, "path": rawPath, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
			"authorizer": map[string]any{"jwt": map[string]any{
				"claims": map[string]string{"sub": "8c5b1f0e-1111-4a8e-9d3b-a11ce0000001", "scope": "aws.cognito.signin.user.admin", "token_use": "access"},
				"scopes": []string{"aws.cognito.signin.user.admin"},
			}},
		},
		"body": body, "isBase64Encoded": false,
	}
	b, _ := json.Marshal(ev) // maps of strings always encode
	return b, wantStatus
}

// checkStatus verifies a function's response has the status its probe event expects.
func checkStatus(payload []byte, want int) error {
	if want == 0 {
		return nil
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(payload, &resp); err != nil || resp.StatusCode != want {
		return fmt.Errorf("first response %s; want status %d (the measured path)", payload, want)
	}
	return nil
}
