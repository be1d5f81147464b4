package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"time"
)

// InitTime starts a Lambda bootstrap binary against a minimal Runtime API and
// returns the time from process start until it asks for its first invocation:
// Go runtime start, package init and main's wiring (SDK config, clients) —
// what a cold start adds before the first request is handled. The process is
// killed afterwards.
func InitTime(ctx context.Context, bin string) (time.Duration, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	asked := make(chan time.Time, 1)
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/2018-06-01/runtime/invocation/next" {
			select {
			case asked <- time.Now():
			default:
			}
			<-release // hold the long poll until we are done
		}
		w.WriteHeader(http.StatusGone)
	})}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	defer close(release)

	cmd := exec.CommandContext(ctx, bin)
	// Only what Lambda sets: the developer's environment (AWS_CA_BUNDLE,
	// AWS_PROFILE, ~/.aws) would make the SDK do work it never does in Lambda.
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + l.Addr().String(),
		"TABLE_NAME=ColdStart",
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=cold",
		"AWS_SECRET_ACCESS_KEY=cold",
		"AWS_LAMBDA_FUNCTION_NAME=coldstart",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_LEVEL=INFO",
		"LAMBDA_TASK_ROOT=" + filepath.Dir(bin),
		"TZ=:UTC",
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	select {
	case t := <-asked:
		return t.Sub(start), nil
	case err := <-exited:
		exited <- err // for the deferred wait
		return 0, fmt.Errorf("%s exited before asking for an invocation: %v", bin, err)
	case <-time.After(30 * time.Second):
		return 0, errors.New("no Runtime API call within 30s")
	}
}
