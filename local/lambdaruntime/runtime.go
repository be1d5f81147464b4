// Package lambdaruntime runs Lambda functions built for the provided.al2023 runtime (a `bootstrap` executable) on
// this machine: it serves the Lambda Runtime API (2018-06-01) to each execution environment and keeps a pool of
// bootstrap processes per function, reusing warm ones, starting more under concurrent load up to a limit, replacing
// crashed ones and enforcing the function timeout by killing the process.
package lambdaruntime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Limits Lambda applies to synchronous invocations.
const (
	// MaxPayload is the largest synchronous request or response payload Lambda accepts (6 MB).
	MaxPayload = 6 * 1024 * 1024
	// DefaultInitTimeout is Lambda's limit for the init phase of an execution environment.
	DefaultInitTimeout = 10 * time.Second
	// DefaultTimeout is a function's timeout when the template sets none (Lambda's default, 3 s).
	DefaultTimeout = 3 * time.Second
	// DefaultMaxConcurrency bounds the number of processes per function when Config.MaxConcurrency is 0.
	DefaultMaxConcurrency = 8
)

// ErrTimeout marks an invocation that ran past the function timeout; errors.Is(err, ErrTimeout) reports it.
var ErrTimeout = errors.New("function timed out")

// ErrRequestTooLarge marks an invocation refused because its payload exceeds MaxPayload; errors.Is(err,
// ErrRequestTooLarge) reports it, so a caller can answer 413 as API Gateway does.
var ErrRequestTooLarge = errors.New("request payload too large")

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("function closed")

// Error is a failed invocation as Lambda reports it: the error the handler returned (posted by the runtime to
// /invocation/{id}/error), the runtime's init error, or a failure of the execution environment itself.
type Error struct {
	// Type is the errorType: the handler's (for example "errorString"), or Lambda's own: "Runtime.ExitError",
	// "Runtime.InitError", "Sandbox.Timedout", "Function.ResponseSizeTooLarge", "Request.TooLarge".
	Type    string
	Message string
	timeout bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Type, e.Message)
}

// Is makes errors.Is(err, ErrTimeout) true for timeouts and errors.Is(err, ErrRequestTooLarge) for refused payloads.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrTimeout:
		return e.timeout
	case ErrRequestTooLarge:
		return e.Type == typeRequestTooLarge
	}
	return false
}

// typeRequestTooLarge is the errorType of an invocation whose payload exceeds MaxPayload.
const typeRequestTooLarge = "Request.TooLarge"

// Config describes one function.
type Config struct {
	// Name is the function name (AWS_LAMBDA_FUNCTION_NAME) and the prefix of its log lines.
	Name string
	// Dir is the task root: the directory holding the `bootstrap` executable.
	Dir string
	// Handler is the template's Handler property (_HANDLER); provided runtimes ignore it.
	Handler string
	// Env is the function's own environment (the template's Environment.Variables, resolved).
	Env map[string]string
	// MemoryMB is reported in AWS_LAMBDA_FUNCTION_MEMORY_SIZE. Default: 128.
	MemoryMB int
	// Timeout is the function timeout. Default: DefaultTimeout.
	Timeout time.Duration
	// InitTimeout bounds the time from process start to its first call to /invocation/next.
	// Default: DefaultInitTimeout.
	InitTimeout time.Duration
	// MaxConcurrency bounds the number of processes. Default: DefaultMaxConcurrency.
	MaxConcurrency int
	// Region and Account build the function ARN and AWS_REGION. Default region: us-east-1; account: 000000000000.
	Region, Account string
	// LogFormat and LogLevel come from the template's LoggingConfig (LogFormat, ApplicationLogLevel).
	LogFormat, LogLevel string
	// SystemLogLevel is LoggingConfig.SystemLogLevel: at WARN or above Lambda writes no REPORT lines, and neither
	// does the runtime. Default: INFO.
	SystemLogLevel string
	// LogGroup is AWS_LAMBDA_LOG_GROUP_NAME. Default: /aws/lambda/<Name>.
	LogGroup string
	// DynamoDBEndpoint, when set, becomes AWS_ENDPOINT_URL_DYNAMODB so the AWS SDK talks to the local DynamoDB.
	DynamoDBEndpoint string
	// Credentials become AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (when set) AWS_SESSION_TOKEN, as Lambda passes
	// the execution role's: the twin gives its local credentials, which its DynamoDB accepts. Default: none set.
	Credentials aws.Credentials
	// StartFailed, when set, is called each time an execution environment fails to start: its bootstrap cannot be
	// run, exits or reports an init error before asking for an invocation, or does not ask within InitTimeout. The
	// invocation gets the error either way; StartFailed lets a supervisor notice a function that never starts.
	StartFailed func(err error)
	// Log receives the processes' stdout and stderr and the runtime's own lines, each prefixed with
	// "[Name] ". Default: os.Stderr.
	Log io.Writer
}

func (c *Config) withDefaults() (Config, error) {
	cfg := *c
	if cfg.Name == "" {
		return cfg, errors.New("lambdaruntime: function name is empty")
	}
	bootstrap := filepath.Join(cfg.Dir, "bootstrap")
	info, err := os.Stat(bootstrap)
	if err != nil {
		return cfg, fmt.Errorf("function %s: %w (the asset directory must hold the bootstrap executable)", cfg.Name, err)
	}
	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return cfg, fmt.Errorf("function %s: %s is not an executable file", cfg.Name, bootstrap)
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = 128
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = DefaultInitTimeout
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = DefaultMaxConcurrency
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.LogGroup == "" {
		cfg.LogGroup = "/aws/lambda/" + cfg.Name
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	cfg.Env = maps.Clone(cfg.Env)
	return cfg, nil
}

// ARN is the function's ARN as Lambda passes it in Lambda-Runtime-Invoked-Function-Arn.
func (c *Config) ARN() string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", c.Region, c.Account, c.Name)
}

// Function is a running function: a pool of execution environments.
type Function struct {
	cfg     Config
	log     *prefixWriter
	arn     string
	reports bool                      // write REPORT lines (SystemLogLevel DEBUG or INFO)
	seq     int                       // environments started, numbers log streams
	idle    []*environment            // warm environments waiting for an invocation
	all     map[*environment]struct{} // environments starting, idle or busy: counted against MaxConcurrency
	// freed is closed (and replaced) whenever an environment becomes idle or goes away, waking waiters.
	freed  chan struct{}
	closed bool
	mu     sync.Mutex
}

// Start validates the configuration and returns the function; processes start on demand.
func Start(cfg Config) (*Function, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Function{
		cfg:     c,
		log:     newPrefixWriter(c.Log, c.Name),
		arn:     c.ARN(),
		reports: c.SystemLogLevel == "" || c.SystemLogLevel == "DEBUG" || c.SystemLogLevel == "INFO",
		all:     map[*environment]struct{}{},
		freed:   make(chan struct{}),
	}, nil
}

// Name is the function name.
func (f *Function) Name() string { return f.cfg.Name }

// Invoke runs one synchronous invocation (RequestResponse) and returns the function's response payload. A function
// error is an *Error; a timeout also matches ErrTimeout. If ctx ends first, Invoke returns ctx.Err() while the
// environment finishes the invocation in the background, as Lambda does.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if len(payload) > MaxPayload {
		return nil, &Error{Type: typeRequestTooLarge, Message: fmt.Sprintf("request payload of %d bytes exceeds the %d byte limit", len(payload), MaxPayload)}
	}
	env, err := f.acquire(ctx)
	if err != nil {
		return nil, err
	}
	inv := newInvocation(payload, f.cfg.Timeout)
	if err := env.dispatch(ctx, inv); err != nil {
		f.release(env)
		return nil, err
	}
	select {
	case res := <-inv.done:
		f.release(env)
		if f.reports {
			f.log.printf("REPORT RequestId: %s\tDuration: %.2f ms", inv.id, float64(time.Since(inv.started).Microseconds())/1000)
		}
		return res.payload, res.err
	case <-ctx.Done():
		go func() {
			<-inv.done
			f.release(env)
		}()
		return nil, ctx.Err()
	}
}

// Warm starts one execution environment unless one is idle, and keeps it for the next invocation. It returns the
// start's error (the bootstrap cannot run, exits or fails its init), so a caller can try a new build before sending
// it traffic.
func (f *Function) Warm(ctx context.Context) error {
	env, err := f.acquire(ctx)
	if err != nil {
		return err
	}
	f.release(env)
	return nil
}

// acquire takes an idle environment, starts a new one below the concurrency limit, or waits for one.
func (f *Function) acquire(ctx context.Context) (*environment, error) {
	for {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			return nil, fmt.Errorf("invoke %s: %w", f.cfg.Name, ErrClosed)
		}
		if n := len(f.idle); n > 0 {
			env := f.idle[n-1] // the most recently used is the warmest
			f.idle = f.idle[:n-1]
			env.inUse = true
			f.mu.Unlock()
			return env, nil
		}
		if len(f.all) < f.cfg.MaxConcurrency {
			f.seq++
			env := &environment{
				f:        f,
				seq:      f.seq,
				next:     make(chan *invocation),
				ready:    make(chan struct{}),
				exitedCh: make(chan struct{}),
				inUse:    true,
			}
			f.all[env] = struct{}{}
			f.mu.Unlock()
			if err := f.startEnvironment(ctx, env); err != nil {
				return nil, err
			}
			return env, nil
		}
		freed := f.freed
		f.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release returns an environment to the pool after an invocation, or forgets it if its process is gone.
func (f *Function) release(env *environment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	env.inUse = false
	if env.dead || f.closed {
		f.forgetLocked(env)
		return
	}
	f.idle = append(f.idle, env)
	f.broadcastLocked()
}

// markDead keeps an environment whose process is gone or being killed from being handed out again.
func (f *Function) markDead(env *environment) {
	f.mu.Lock()
	env.dead = true
	f.mu.Unlock()
}

// exited is called when an environment's process ends; an idle one leaves the pool at once, a busy one when its
// invocation is released.
func (f *Function) exited(env *environment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	env.dead = true
	if env.inUse {
		return
	}
	for i, e := range f.idle {
		if e == env {
			f.idle = append(f.idle[:i], f.idle[i+1:]...)
			break
		}
	}
	f.forgetLocked(env)
}

func (f *Function) forgetLocked(env *environment) {
	if _, ok := f.all[env]; !ok {
		return
	}
	delete(f.all, env)
	f.broadcastLocked()
}

func (f *Function) broadcastLocked() {
	close(f.freed)
	f.freed = make(chan struct{})
}

// Processes reports how many bootstrap processes are running (starting, idle or busy).
func (f *Function) Processes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.all)
}

// Close kills every process group of the function and waits for them to exit.
func (f *Function) Close() error {
	f.mu.Lock()
	f.closed = true
	envs := make([]*environment, 0, len(f.all))
	for env := range f.all {
		envs = append(envs, env)
	}
	f.idle = nil
	f.broadcastLocked()
	f.mu.Unlock()
	var errs []error
	for _, env := range envs {
		if err := env.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// environment variables Lambda sets for provided runtimes, plus the local endpoint and credentials.
func (f *Function) environ(runtimeAPI string, seq int, started time.Time) []string {
	c := &f.cfg
	env := maps.Clone(c.Env)
	if env == nil {
		env = map[string]string{}
	}
	reserved := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME":        c.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       c.LogGroup,
		"AWS_LAMBDA_LOG_STREAM_NAME":      fmt.Sprintf("%s/[$LATEST]local%06d", started.UTC().Format("2006/01/02"), seq),
		"AWS_REGION":                      c.Region,
		"AWS_DEFAULT_REGION":              c.Region,
		"_HANDLER":                        c.Handler,
		"LAMBDA_TASK_ROOT":                c.Dir,
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"PATH":                            os.Getenv("PATH"),
	}
	if c.LogFormat != "" {
		reserved["AWS_LAMBDA_LOG_FORMAT"] = c.LogFormat
	}
	if c.LogLevel != "" {
		reserved["AWS_LAMBDA_LOG_LEVEL"] = c.LogLevel
	}
	if c.DynamoDBEndpoint != "" {
		reserved["AWS_ENDPOINT_URL_DYNAMODB"] = c.DynamoDBEndpoint
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": c.Credentials.AccessKeyID, "AWS_SECRET_ACCESS_KEY": c.Credentials.SecretAccessKey, "AWS_SESSION_TOKEN": c.Credentials.SessionToken,
	} {
		if v != "" {
			reserved[k] = v
		} else {
			delete(env, k) // never the template's own: Lambda reserves these names
		}
	}
	// Lambda refuses templates that set reserved keys, so the runtime's values win here.
	maps.Copy(env, reserved)
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}
