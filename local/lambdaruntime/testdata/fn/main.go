// Command fn is the bootstrap the lambdaruntime tests run. The payload's action picks a behaviour; INIT_MODE in
// the environment makes the init phase fail.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Action string `json:"action"`
	File   string `json:"file"`
	ID     string `json:"id"`
}

type response struct {
	PID        int               `json:"pid"`
	RequestID  string            `json:"requestId"`
	ARN        string            `json:"arn"`
	DeadlineMs int64             `json:"deadlineMs"`
	Env        map[string]string `json:"env"`
	ChildPID   int               `json:"childPid,omitempty"`
	ID         string            `json:"id,omitempty"`
}

func handle(ctx context.Context, req request) (response, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	res := response{PID: os.Getpid(), RequestID: lc.AwsRequestID, ARN: lc.InvokedFunctionArn, DeadlineMs: deadline.UnixMilli(), Env: map[string]string{}, ID: req.ID}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		res.Env[k] = v
	}
	switch req.Action {
	case "log":
		fmt.Println("hello from the handler")
		fmt.Fprint(os.Stderr, "a line without newline")
	case "sleep":
		time.Sleep(time.Minute)
	case "crash":
		os.Exit(3)
	case "fail":
		return res, errors.New("the handler failed")
	case "wait":
		for {
			if _, err := os.Stat(req.File); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	case "record":
		// One line per handled invocation: a test counts how often each ran (O_APPEND writes of a line are atomic).
		f, err := os.OpenFile(req.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if _, err := fmt.Fprintln(f, req.ID); err != nil {
			return res, err
		}
	case "fork":
		cmd := exec.Command("sleep", "300")
		if err := cmd.Start(); err != nil {
			return res, err
		}
		res.ChildPID = cmd.Process.Pid
	}
	return res, nil
}

func main() {
	switch os.Getenv("INIT_MODE") {
	case "panic":
		panic("init failed")
	case "hang":
		// An init phase that never reaches /invocation/next, like one stuck on a dependency.
		time.Sleep(time.Hour)
	case "report":
		// What a runtime does when its own initialisation fails: report, then exit.
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		body := strings.NewReader(`{"errorMessage":"missing configuration","errorType":"ConfigError"}`)
		if resp, err := http.Post(url, "application/json", body); err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	}
	lambda.Start(handle)
}
