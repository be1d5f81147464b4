package lambdaruntime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/authnotes/authnotes/local/loopback"
)

// Header names of the Runtime API, as Lambda sets them on /invocation/next.
const (
	HeaderRequestID   = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs  = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID     = "Lambda-Runtime-Trace-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
	apiPrefix         = "/2018-06-01/runtime"
)

type result struct {
	payload []byte
	err     error
}

// invocation is one request travelling through an execution environment.
type invocation struct {
	id      string
	trace   string
	payload []byte
	timeout time.Duration
	started time.Time
	timer   *time.Timer
	done    chan result // buffered: finish never blocks
	once    sync.Once
}

func newInvocation(payload []byte, timeout time.Duration) *invocation {
	return &invocation{
		id:      newRequestID(),
		trace:   newTraceID(),
		payload: payload,
		timeout: timeout,
		done:    make(chan result, 1),
	}
}

func (inv *invocation) finish(res result) {
	inv.once.Do(func() {
		if inv.timer != nil {
			inv.timer.Stop()
		}
		inv.done <- res
	})
}

// environment is one execution environment: a bootstrap process in its own process group and the Runtime API
// endpoint it alone talks to, so the runtime always knows which process holds which invocation.
type environment struct {
	f    *Function
	seq  int
	ln   net.Listener
	srv  *http.Server
	next chan *invocation // handed to the process by /invocation/next

	ready     chan struct{}
	readyOnce sync.Once
	exitedCh  chan struct{}
	exitErr   error

	mu      sync.Mutex
	current *invocation
	initErr *Error
	pid     int

	inUse, dead bool // guarded by f.mu
}

// startEnvironment registers a new environment (counted against the concurrency limit), starts its process and
// waits until the runtime asks for its first invocation.
func (f *Function) startEnvironment(ctx context.Context, env *environment) error {
	if err := env.start(); err != nil {
		f.discard(env)
		return f.startFailed(err)
	}
	timer := time.NewTimer(f.cfg.InitTimeout)
	defer timer.Stop()
	select {
	case <-env.ready:
		return nil
	case <-env.exitedCh:
		f.discard(env)
		return f.startFailed(env.exitError())
	case <-timer.C:
		f.log.printf("INIT timed out after %.2f seconds", f.cfg.InitTimeout.Seconds())
		f.discard(env)
		return f.startFailed(&Error{Type: "Sandbox.Timedout", Message: fmt.Sprintf("init phase did not finish within %s", f.cfg.InitTimeout), timeout: true})
	case <-ctx.Done():
		f.discard(env)
		return ctx.Err()
	}
}

// startFailed reports a failed start to Config.StartFailed, unless the function is closing (Close kills the
// environments that are starting), and returns err.
func (f *Function) startFailed(err error) error {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if !closed && f.cfg.StartFailed != nil {
		f.cfg.StartFailed(err)
	}
	return err
}

// discard stops a failed environment and removes it from the pool.
func (f *Function) discard(env *environment) {
	_ = env.close()
	f.markDead(env)
	f.release(env)
}

func (env *environment) start() error {
	f := env.f
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		close(env.exitedCh)
		return fmt.Errorf("function %s: listen for the runtime API: %w", f.cfg.Name, err)
	}
	env.ln = ln
	env.srv = &http.Server{Handler: env.runtimeAPI(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = env.srv.Serve(ln) }()

	started := time.Now()
	cmd := exec.Command(filepath.Join(f.cfg.Dir, "bootstrap"))
	cmd.Dir = f.cfg.Dir
	cmd.Env = f.environ(ln.Addr().String(), env.seq, started)
	stdout, stderr := f.log.child(), f.log.child()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = processGroup()
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		_ = env.srv.Close()
		close(env.exitedCh)
		return fmt.Errorf("function %s: start %s: %w", f.cfg.Name, cmd.Path, err)
	}
	env.mu.Lock()
	env.pid = cmd.Process.Pid
	failedInit := env.initErr != nil
	env.mu.Unlock()
	if failedInit { // reported before pid was known
		env.kill()
	}
	go func() {
		env.exitErr = cmd.Wait()
		stdout.flush()
		stderr.flush()
		f.markDead(env)
		close(env.exitedCh)
		_ = env.srv.Close()
		if inv := env.takeCurrent(""); inv != nil {
			inv.finish(result{err: env.exitError()})
		}
		f.exited(env)
	}()
	return nil
}

// runtimeAPIDoor lets only programs on this machine reach a Runtime API: a web page (a cross-site request, or its
// own name rebound to 127.0.0.1) could otherwise take an invocation, with the caller's event and access token, or
// post /init/error and kill the environment.
var runtimeAPIDoor = loopback.Door{Name: "the Lambda Runtime API"}

// runtimeAPI is the Runtime API the process talks to, behind runtimeAPIDoor.
func (env *environment) runtimeAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", env.handleNext)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", env.handleResponse)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", env.handleError)
	mux.HandleFunc("POST "+apiPrefix+"/init/error", env.handleInitError)
	return runtimeAPIDoor.Wrap(mux)
}

// exitError describes why the process ended, as Lambda does for a runtime that exits.
func (env *environment) exitError() error {
	env.mu.Lock()
	initErr := env.initErr
	env.mu.Unlock()
	if initErr != nil {
		return initErr
	}
	msg := "Runtime exited without providing a reason"
	if env.exitErr != nil {
		msg = "Runtime exited with error: " + env.exitErr.Error()
	}
	return &Error{Type: "Runtime.ExitError", Message: msg}
}

// dispatch hands the invocation to the process waiting in /invocation/next.
func (env *environment) dispatch(ctx context.Context, inv *invocation) error {
	select {
	case env.next <- inv:
		return nil
	case <-env.exitedCh:
		return env.exitError()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// takeCurrent clears and returns the invocation in flight; with a non-empty id only if it matches.
func (env *environment) takeCurrent(id string) *invocation {
	env.mu.Lock()
	defer env.mu.Unlock()
	inv := env.current
	if inv == nil || (id != "" && inv.id != id) {
		return nil
	}
	env.current = nil
	return inv
}

func (env *environment) kill() {
	env.mu.Lock()
	pid := env.pid
	env.mu.Unlock()
	if pid > 0 {
		killGroup(pid)
	}
}

// close kills the process group and waits for the process to be reaped.
func (env *environment) close() error {
	env.kill()
	select {
	case <-env.exitedCh:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("function %s: bootstrap process did not exit after SIGKILL", env.f.cfg.Name)
	}
	if env.srv != nil {
		_ = env.srv.Close()
	}
	return nil
}

func (env *environment) timedOut(inv *invocation) {
	if env.takeCurrent(inv.id) == nil {
		return
	}
	env.f.log.printf("%s Task timed out after %.2f seconds", inv.id, inv.timeout.Seconds())
	env.f.markDead(env)
	env.kill()
	inv.finish(result{err: &Error{
		Type:    "Sandbox.Timedout",
		Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, inv.timeout.Seconds()),
		timeout: true,
	}})
}

func (env *environment) handleNext(w http.ResponseWriter, r *http.Request) {
	env.readyOnce.Do(func() { close(env.ready) })
	var inv *invocation
	select {
	case inv = <-env.next:
	case <-env.exitedCh:
		return
	case <-r.Context().Done():
		return
	}
	if !env.begin(inv) {
		return
	}
	deadline := inv.started.Add(inv.timeout)
	h := w.Header()
	h.Set(HeaderRequestID, inv.id)
	h.Set(HeaderDeadlineMs, strconv.FormatInt(deadline.UnixMilli(), 10))
	h.Set(HeaderFunctionARN, env.f.arn)
	h.Set(HeaderTraceID, inv.trace)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// begin makes inv the invocation in flight and starts its timeout. If the process exited as the invocation was
// handed over, after the exit handler looked for an invocation to fail, begin fails it with the exit error
// itself (rather than leaving it to the timeout) and reports false.
func (env *environment) begin(inv *invocation) bool {
	inv.started = time.Now()
	env.mu.Lock()
	env.current = inv
	inv.timer = time.AfterFunc(inv.timeout, func() { env.timedOut(inv) })
	env.mu.Unlock()
	select {
	case <-env.exitedCh:
		if env.takeCurrent(inv.id) != nil {
			inv.finish(result{err: env.exitError()})
		}
		return false
	default:
		return true
	}
}

func (env *environment) handleResponse(w http.ResponseWriter, r *http.Request) {
	env.mu.Lock()
	inv := env.current
	env.mu.Unlock()
	if inv == nil || inv.id != r.PathValue("id") {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	if len(body) > MaxPayload {
		if env.takeCurrent(inv.id) != nil {
			inv.finish(result{err: &Error{Type: "Function.ResponseSizeTooLarge", Message: fmt.Sprintf("response payload size exceeded maximum allowed payload size (%d bytes)", MaxPayload)}})
		}
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response payload too large")
		return
	}
	// aws-lambda-go reports a failure while streaming the response in trailers.
	if errType := r.Trailer.Get(headerErrorType); errType != "" {
		if env.takeCurrent(inv.id) != nil {
			inv.finish(result{err: &Error{Type: errType, Message: "error while writing the response"}})
		}
		writeAccepted(w)
		return
	}
	if env.takeCurrent(inv.id) != nil {
		inv.finish(result{payload: body})
	}
	writeAccepted(w)
}

// errorBody is the JSON a runtime posts to /error and /init/error.
type errorBody struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

func readErrorBody(r *http.Request) *Error {
	var b errorBody
	raw, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
	if err := json.Unmarshal(raw, &b); err != nil {
		b.ErrorMessage = string(raw)
	}
	if b.ErrorType == "" {
		b.ErrorType = r.Header.Get(headerErrorType)
	}
	if b.ErrorType == "" {
		b.ErrorType = "Unhandled"
	}
	return &Error{Type: b.ErrorType, Message: b.ErrorMessage}
}

func (env *environment) handleError(w http.ResponseWriter, r *http.Request) {
	inv := env.takeCurrent(r.PathValue("id"))
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	inv.finish(result{err: readErrorBody(r)})
	writeAccepted(w)
}

func (env *environment) handleInitError(w http.ResponseWriter, r *http.Request) {
	e := readErrorBody(r)
	e.Message = fmt.Sprintf("init error (%s): %s", e.Type, e.Message)
	e.Type = "Runtime.InitError"
	env.f.log.printf("INIT failed: the runtime posted /init/error: %.500s", e.Message)
	env.mu.Lock()
	env.initErr = e
	env.mu.Unlock()
	writeAccepted(w)
	// Lambda discards an environment whose init failed.
	env.kill()
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{ErrorMessage: msg, ErrorType: typ})
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newTraceID builds an X-Ray trace header in the format Lambda passes: Root=1-<epoch hex>-<96 bit id>.
func newTraceID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:]))
}
