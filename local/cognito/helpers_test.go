package cognito

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/authnotes/authnotes/local/cfn"
)

const (
	poolLogicalID   = "NotesApiUserPoolE4B5E1E2"
	clientLogicalID = "NotesApiUserPoolAppClient5F3C9A8D"
	goodPassword    = "Correct-horse-9!"
)

// clock is the endpoint's clock in tests: it starts at the real time and moves only when a test advances it (plus
// a microsecond per reading, so events stay ordered), so lockouts and expiries do not depend on how fast a loaded
// machine runs the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Microsecond)
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixtureSpecs reads the CDK-shaped template in testdata.
func fixtureSpecs(t testing.TB) []PoolSpec {
	t.Helper()
	asm, err := cfn.LoadAssembly("testdata/assembly")
	if err != nil {
		t.Fatal(err)
	}
	st, err := asm.Stack("NotesApi-dev")
	if err != nil {
		t.Fatal(err)
	}
	specs, err := SpecsFromStack(st)
	if err != nil {
		t.Fatal(err)
	}
	return specs
}

type env struct {
	t        testing.TB
	srv      *Server
	api      *cip.Client
	clock    *clock
	dir      string
	poolID   string
	clientID string
	specs    []PoolSpec
	console  io.Writer
	addr     string // "127.0.0.1:0" at first, then the port in use, so a restart keeps the issuer
	sweep    time.Duration
}

type envOption func(*env)

// withSpecs changes the fixture's pool and client configuration.
func withSpecs(edit func(p *PoolConfig, c *ClientConfig)) envOption {
	return func(e *env) { edit(&e.specs[0].Config, &e.specs[0].Clients[0].Config) }
}

// newEnv starts an endpoint on a free port with the fixture's pool, and an SDK client for it.
func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), dir: t.TempDir(), specs: fixtureSpecs(t), addr: "127.0.0.1:0"}
	for _, o := range opts {
		o(e)
	}
	e.start()
	return e
}

func (e *env) start() {
	e.t.Helper()
	srv, err := NewServer(Options{Addr: e.addr, StateDir: e.dir, Region: "eu-west-1", Pools: e.specs, Now: e.clock.Now, Outbox: e.console, SweepInterval: e.sweep})
	if err != nil {
		e.t.Fatalf("NewServer() error = %v", err)
	}
	e.srv = srv
	e.addr = strings.TrimPrefix(srv.URL(), "http://")
	e.t.Cleanup(func() { e.stop() })
	e.poolID, e.clientID = srv.PoolID(poolLogicalID), srv.ClientID(clientLogicalID)
	e.api = sdkClient(srv.URL())
}

// sdkClient is the AWS SDK's Cognito client pointed at url, with dummy credentials and no retries.
func sdkClient(url string) *cip.Client {
	return cip.NewFromConfig(aws.Config{
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		RetryMaxAttempts: 1,
	}, func(o *cip.Options) { o.BaseEndpoint = aws.String(url) })
}

func (e *env) stop() {
	if e.srv != nil {
		if err := e.srv.Close(); err != nil {
			e.t.Errorf("Close() error = %v", err)
		}
		e.srv = nil
	}
}

// restart stops the endpoint and starts a new one on the same state directory.
func (e *env) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

// lastCode reads the newest code sent to dest from GET /_local/outbox.
func (e *env) lastCode(dest string) string {
	e.t.Helper()
	msgs := e.outbox(dest)
	if len(msgs) == 0 {
		e.t.Fatalf("no message to %s in the outbox", dest)
	}
	return msgs[len(msgs)-1].Code
}

func (e *env) outbox(dest string) []Message {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL() + "/_local/outbox?to=" + dest)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Messages []Message }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		e.t.Fatal(err)
	}
	return out.Messages
}

// signUp registers and confirms a user through the public APIs.
func (e *env) signUp(email, password string) string {
	e.t.Helper()
	ctx := context.Background()
	out, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: &email, Password: &password})
	if err != nil {
		e.t.Fatalf("SignUp(%s) error = %v", email, err)
	}
	if _, err := e.api.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: &e.clientID, Username: &email, ConfirmationCode: aws.String(e.lastCode(email))}); err != nil {
		e.t.Fatalf("ConfirmSignUp(%s) error = %v", email, err)
	}
	return *out.UserSub
}

// signUpEveryKind registers a confirmed user, a disabled one and one that never confirmed.
func (e *env) signUpEveryKind(confirmed, disabled, unconfirmed string) {
	e.t.Helper()
	ctx := context.Background()
	e.signUp(confirmed, goodPassword)
	e.signUp(disabled, goodPassword)
	if _, err := e.api.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: &e.poolID, Username: &disabled}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: &unconfirmed, Password: aws.String(goodPassword)}); err != nil {
		e.t.Fatal(err)
	}
}

// passwordAuth signs in with USER_PASSWORD_AUTH.
func (e *env) passwordAuth(email, password string) (*cip.InitiateAuthOutput, error) {
	return e.api.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
}

// tokens signs in and fails the test unless tokens come back.
func (e *env) tokens(email, password string) *types.AuthenticationResultType {
	e.t.Helper()
	out, err := e.passwordAuth(email, password)
	if err != nil {
		e.t.Fatalf("InitiateAuth(%s) error = %v", email, err)
	}
	if out.AuthenticationResult == nil {
		e.t.Fatalf("InitiateAuth(%s) = challenge %s; want tokens", email, out.ChallengeName)
	}
	return out.AuthenticationResult
}

// wantAPIError checks that err is the service error typ (by its __type, as the SDK surfaces it).
func wantAPIError(t testing.TB, err error, typ string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil; want %s", typ)
	}
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != typ {
		t.Fatalf("error = %v; want %s", err, typ)
	}
}

func readState(t testing.TB, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// apiAnswer is an answer of the endpoint as read off the wire.
type apiAnswer struct {
	status  int
	typ     string // the error's __type; "" on success
	message string
	body    map[string]any
}

// sdkSignature is an Authorization header of the shape the SDKs send; the endpoint accepts any credentials.
const sdkSignature = "AWS4-HMAC-SHA256 Credential=local/20260101/eu-west-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=00"

// call sends one operation as a raw AWS JSON 1.1 request, so a test can send what an SDK would never build. body
// is sent as is when it is a []byte, else as its JSON; admin signs the request like an SDK.
func (e *env) call(op string, body any, admin bool) apiAnswer {
	e.t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			e.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL()+"/", bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if admin {
		req.Header.Set("Authorization", sdkSignature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	a := apiAnswer{status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&a.body); err != nil {
		e.t.Fatalf("%s: answer is not JSON: %v", op, err)
	}
	a.typ, _ = a.body["__type"].(string)
	a.message, _ = a.body["message"].(string)
	return a
}

// pending counts what the endpoint holds in memory for sign-ins and code requests in progress.
func (e *env) pending() (srpSignIns, challenges, lockouts, standIns int) {
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	return len(e.srv.srpPending), len(e.srv.challenges), len(e.srv.lockouts), len(e.srv.standIns)
}
