package lambdaruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
)

// taskRoot holds the test bootstrap (testdata/fn), built once for the package.
var taskRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdaruntime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "bootstrap"), "./testdata/fn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the test bootstrap:", err)
		os.Exit(1)
	}
	taskRoot = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for the runtime's concurrent log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type fnResponse struct {
	PID        int               `json:"pid"`
	RequestID  string            `json:"requestId"`
	ARN        string            `json:"arn"`
	DeadlineMs int64             `json:"deadlineMs"`
	Env        map[string]string `json:"env"`
	ChildPID   int               `json:"childPid"`
	ID         string            `json:"id"`
}

func startFunction(t *testing.T, mutate func(*Config)) (*Function, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := Config{
		Name:           "hello-fn",
		Dir:            taskRoot,
		Handler:        "bootstrap",
		Env:            map[string]string{"TABLE_NAME": "notes-table"},
		Timeout:        30 * time.Second,
		InitTimeout:    30 * time.Second,
		MaxConcurrency: 4,
		Region:         "eu-west-1",
		Account:        "123456789012",
		LogLevel:       "DEBUG",
		LogFormat:      "JSON",
		Log:            logs,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	f, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f, logs
}

func invoke(t *testing.T, f *Function, action string, extra ...string) (fnResponse, error) {
	t.Helper()
	payload := fmt.Sprintf(`{"action":%q%s}`, action, strings.Join(extra, ""))
	out, err := f.Invoke(context.Background(), []byte(payload))
	var res fnResponse
	if err == nil {
		if jerr := json.Unmarshal(out, &res); jerr != nil {
			t.Fatalf("Invoke(%s) returned %q: %v", action, out, jerr)
		}
	}
	return res, err
}

func alive(pid int) bool {
	// Signal 0 checks existence; a zombie would still count, but the runtime reaps its children.
	return syscall.Kill(pid, 0) == nil
}

func TestInvokeSetsLambdaEnvironment(t *testing.T) {
	f, _ := startFunction(t, func(c *Config) {
		c.DynamoDBEndpoint = "http://127.0.0.1:8000"
		c.MemoryMB = 256
		c.Credentials = aws.Credentials{AccessKeyID: "LOCALKEY", SecretAccessKey: "local-secret"}
	})
	before := time.Now()
	res, err := invoke(t, f, "echo")
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	want := map[string]string{
		"TABLE_NAME":                      "notes-table",
		"AWS_LAMBDA_FUNCTION_NAME":        "hello-fn",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/hello-fn",
		"AWS_LAMBDA_LOG_FORMAT":           "JSON",
		"AWS_LAMBDA_LOG_LEVEL":            "DEBUG",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"AWS_ENDPOINT_URL_DYNAMODB":       "http://127.0.0.1:8000",
		"AWS_ACCESS_KEY_ID":               "LOCALKEY",
		"AWS_SECRET_ACCESS_KEY":           "local-secret",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                taskRoot,
	}
	got := map[string]string{}
	for k := range want {
		got[k] = res.Env[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("environment mismatch (-want +got):\n%s", diff)
	}
	for _, k := range []string{"AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_LOG_STREAM_NAME"} {
		if res.Env[k] == "" {
			t.Errorf("environment variable %s is empty", k)
		}
	}
	if v, ok := res.Env["AWS_SESSION_TOKEN"]; ok {
		t.Errorf("AWS_SESSION_TOKEN = %q; want it unset for credentials without a session token", v)
	}
	if got, want := res.ARN, "arn:aws:lambda:eu-west-1:123456789012:function:hello-fn"; got != want {
		t.Errorf("invoked function ARN = %q; want %q", got, want)
	}
	if len(res.RequestID) != 36 {
		t.Errorf("request ID = %q; want a UUID", res.RequestID)
	}
	if min := before.Add(30 * time.Second).UnixMilli(); res.DeadlineMs < min {
		t.Errorf("deadline = %d; want at least now + timeout (%d)", res.DeadlineMs, min)
	}
}

func TestLogsArePrefixedWithTheFunctionName(t *testing.T) {
	f, logs := startFunction(t, nil)
	if _, err := invoke(t, f, "log"); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if err := f.Close(); err != nil { // flushes the partial stderr line
		t.Fatalf("Close: %v", err)
	}
	for _, want := range []string{"[hello-fn] hello from the handler\n", "[hello-fn] a line without newline\n", "[hello-fn] REPORT RequestId: "} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs = %q; want a line %q", logs.String(), want)
		}
	}
}

func TestSystemLogLevelWarnHidesReports(t *testing.T) {
	f, logs := startFunction(t, func(c *Config) { c.SystemLogLevel = "WARN" })
	if _, err := invoke(t, f, "log"); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if strings.Contains(logs.String(), "REPORT") {
		t.Errorf("logs = %q; want no REPORT line at SystemLogLevel WARN", logs.String())
	}
}

func TestWarmProcessIsReused(t *testing.T) {
	f, _ := startFunction(t, nil)
	first, err := invoke(t, f, "echo")
	if err != nil {
		t.Fatalf("first Invoke: %v", err)
	}
	second, err := invoke(t, f, "echo")
	if err != nil {
		t.Fatalf("second Invoke: %v", err)
	}
	if first.PID != second.PID {
		t.Errorf("second invocation ran in pid %d; want the warm pid %d", second.PID, first.PID)
	}
	if first.RequestID == second.RequestID {
		t.Errorf("both invocations got request ID %s", first.RequestID)
	}
	if n := f.Processes(); n != 1 {
		t.Errorf("Processes() = %d; want 1", n)
	}
}

func TestConcurrentLoadStartsProcessesUpToTheLimit(t *testing.T) {
	const limit, calls = 2, 5
	f, _ := startFunction(t, func(c *Config) { c.MaxConcurrency = limit })
	gate := filepath.Join(t.TempDir(), "gate")
	var wg sync.WaitGroup
	results := make([]fnResponse, calls)
	errs := make([]error, calls)
	for i := range calls {
		wg.Go(func() { results[i], errs[i] = invoke(t, f, "wait", fmt.Sprintf(`,"file":%q`, gate)) })
	}
	// All environments the limit allows are busy once both processes exist; then open the gate.
	deadline := time.Now().Add(time.Minute)
	for f.Processes() < limit && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := f.Processes(); n != limit {
		t.Fatalf("Processes() = %d under load; want %d", n, limit)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	pids := map[int]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
		pids[results[i].PID] = true
	}
	if len(pids) != limit {
		t.Errorf("invocations ran in %d processes; want %d", len(pids), limit)
	}
	if n := f.Processes(); n != limit {
		t.Errorf("Processes() = %d after load; want %d warm", n, limit)
	}
}

// TestParallelInvocationsEachRunOnceAndAnswerTheirCaller sends many more invocations than processes at once:
// each must run exactly once and its caller must get its own response back, never another caller's.
func TestParallelInvocationsEachRunOnceAndAnswerTheirCaller(t *testing.T) {
	const calls = 60
	f, _ := startFunction(t, func(c *Config) { c.MaxConcurrency = 4 })
	record := filepath.Join(t.TempDir(), "record")
	var wg sync.WaitGroup
	results := make([]fnResponse, calls)
	errs := make([]error, calls)
	for i := range calls {
		wg.Go(func() {
			results[i], errs[i] = invoke(t, f, "record", fmt.Sprintf(`,"file":%q,"id":"call-%d"`, record, i))
		})
	}
	wg.Wait()
	requestIDs := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
		if want := fmt.Sprintf("call-%d", i); results[i].ID != want {
			t.Errorf("caller %d got the response of %q; want its own (%q)", i, results[i].ID, want)
		}
		requestIDs[results[i].RequestID] = true
	}
	if len(requestIDs) != calls {
		t.Errorf("%d distinct request IDs for %d invocations", len(requestIDs), calls)
	}
	raw, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]int{}
	for _, id := range strings.Fields(string(raw)) {
		ran[id]++
	}
	for i := range calls {
		if id := fmt.Sprintf("call-%d", i); ran[id] != 1 {
			t.Errorf("invocation %s ran %d times; want exactly once", id, ran[id])
		}
	}
	if n := f.Processes(); n > 4 {
		t.Errorf("Processes() = %d; want at most the limit of 4", n)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name        string
		initMode    string
		action      string
		wantType    string
		wantMessage string
		wantTimeout bool
	}{
		{name: "handler error", action: "fail", wantType: "errorString", wantMessage: "the handler failed"},
		{name: "crash", action: "crash", wantType: "Runtime.ExitError", wantMessage: "exit status 3"},
		{name: "timeout", action: "sleep", wantType: "Sandbox.Timedout", wantMessage: "Task timed out after 1.00 seconds", wantTimeout: true},
		{name: "panic in init", initMode: "panic", action: "echo", wantType: "Runtime.ExitError", wantMessage: "exit status 2"},
		{name: "reported init error", initMode: "report", action: "echo", wantType: "Runtime.InitError", wantMessage: "missing configuration"},
		{name: "init timeout", initMode: "hang", action: "echo", wantType: "Sandbox.Timedout", wantMessage: "init phase did not finish", wantTimeout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var startFailures []error
			f, _ := startFunction(t, func(c *Config) {
				c.Timeout = time.Second
				c.Env["INIT_MODE"] = tt.initMode
				if tt.initMode == "hang" {
					c.InitTimeout = 200 * time.Millisecond
				}
				c.StartFailed = func(err error) { startFailures = append(startFailures, err) }
			})
			_, err := invoke(t, f, tt.action)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Invoke(%s) error = %v; want *Error", tt.action, err)
			}
			if fe.Type != tt.wantType || !strings.Contains(fe.Message, tt.wantMessage) {
				t.Errorf("Invoke(%s) = %s / %q; want %s containing %q", tt.action, fe.Type, fe.Message, tt.wantType, tt.wantMessage)
			}
			if got := errors.Is(err, ErrTimeout); got != tt.wantTimeout {
				t.Errorf("errors.Is(err, ErrTimeout) = %v; want %v", got, tt.wantTimeout)
			}
			if tt.initMode != "" {
				// An environment whose init failed is discarded, not kept for the next invocation.
				if n := f.Processes(); n != 0 {
					t.Errorf("Processes() = %d after a failed init; want 0", n)
				}
			}
			// Only a failed start is reported to a supervisor; a failed invocation is the caller's to see.
			if want := map[bool]int{true: 1, false: 0}[tt.initMode != ""]; len(startFailures) != want || want == 1 && startFailures[0] != err {
				t.Errorf("StartFailed calls = %v; want %d with the invocation's error", startFailures, want)
			}
		})
	}
}

// TestMissingBootstrapIsAStartFailure: a bootstrap deleted after Start (rm -rf of the build folder) fails every
// invocation at once and each attempt reaches StartFailed, so the twin can stop instead of failing silently.
func TestMissingBootstrapIsAStartFailure(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(taskRoot, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), raw, 0o700); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var startFailures []error
	f, _ := startFunction(t, func(c *Config) {
		c.Dir = dir
		c.StartFailed = func(err error) { mu.Lock(); startFailures = append(startFailures, err); mu.Unlock() }
	})
	if err := os.Remove(filepath.Join(dir, "bootstrap")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := invoke(t, f, "echo"); err == nil || !strings.Contains(err.Error(), "no such file") {
			t.Errorf("Invoke with the bootstrap gone = %v; want the start error", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(startFailures) != 2 {
		t.Errorf("StartFailed called %d times; want once per failed start (2)", len(startFailures))
	}
}

func TestFailedProcessIsReplaced(t *testing.T) {
	for _, action := range []string{"crash", "sleep"} {
		t.Run(action, func(t *testing.T) {
			f, _ := startFunction(t, func(c *Config) { c.Timeout = time.Second })
			first, err := invoke(t, f, "echo")
			if err != nil {
				t.Fatalf("Invoke(echo): %v", err)
			}
			if _, err := invoke(t, f, action); err == nil {
				t.Fatalf("Invoke(%s) succeeded; want an error", action)
			}
			waitGone(t, first.PID)
			next, err := invoke(t, f, "echo")
			if err != nil {
				t.Fatalf("Invoke(echo) after %s: %v", action, err)
			}
			if next.PID == first.PID {
				t.Errorf("after %s the invocation ran in the old pid %d; want a new process", action, first.PID)
			}
		})
	}
}

func TestHandlerErrorKeepsTheProcess(t *testing.T) {
	f, _ := startFunction(t, nil)
	first, err := invoke(t, f, "echo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := invoke(t, f, "fail"); err == nil {
		t.Fatal("Invoke(fail) succeeded")
	}
	next, err := invoke(t, f, "echo")
	if err != nil {
		t.Fatal(err)
	}
	if next.PID != first.PID {
		t.Errorf("after a handler error the pid changed from %d to %d; Lambda keeps the environment", first.PID, next.PID)
	}
}

func TestCloseKillsTheProcessGroup(t *testing.T) {
	f, _ := startFunction(t, nil)
	res, err := invoke(t, f, "fork")
	if err != nil {
		t.Fatalf("Invoke(fork): %v", err)
	}
	if !alive(res.ChildPID) {
		t.Fatalf("the forked child %d is not running", res.ChildPID)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if alive(res.PID) {
		t.Errorf("bootstrap %d still runs after Close", res.PID)
	}
	waitGone(t, res.ChildPID)
	if _, err := invoke(t, f, "echo"); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close = %v; want ErrClosed", err)
	}
}

func TestPayloadLimit(t *testing.T) {
	f, _ := startFunction(t, nil)
	_, err := f.Invoke(context.Background(), bytes.Repeat([]byte("a"), MaxPayload+1))
	var fe *Error
	if !errors.As(err, &fe) || fe.Type != "Request.TooLarge" || !errors.Is(err, ErrRequestTooLarge) {
		t.Errorf("Invoke(6 MB + 1) = %v; want Request.TooLarge matching ErrRequestTooLarge", err)
	}
	if n := f.Processes(); n != 0 {
		t.Errorf("Processes() = %d; a refused payload must not start a process", n)
	}
}

func TestStartValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "no name", cfg: Config{Dir: taskRoot}, want: "function name is empty"},
		{name: "no bootstrap", cfg: Config{Name: "f", Dir: t.TempDir()}, want: "must hold the bootstrap executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Start(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start() = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// waitGone waits until a killed process (possibly a grandchild reparented to init) has disappeared.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
