package dynamoguard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

const region = "eu-west-1"

var local = aws.Credentials{AccessKeyID: "LOCALTESTKEY00000000", SecretAccessKey: "test-secret-of-the-local-twin-0000000000"}

// upstream is a stand-in for dynalite: it records what reaches it and, like dynalite, allows every origin.
type upstream struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.requests = append(u.requests, r)
	u.bodies = append(u.bodies, string(body))
	u.mu.Unlock()
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = io.WriteString(w, `{}`)
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.requests)
}

// guarded serves a guard in front of a fresh upstream; clock shifts the guard's clock from the real one.
func guarded(t *testing.T, clock time.Duration) (*httptest.Server, *upstream) {
	t.Helper()
	up := &upstream{}
	dynalite := httptest.NewServer(up)
	t.Cleanup(dynalite.Close)
	g, err := New(Options{Credentials: local, Region: region, Upstream: dynalite.URL, Now: func() time.Time { return time.Now().Add(clock) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv, up
}

func client(endpoint string, creds aws.Credentials, region string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: region, BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.StaticCredentialsProvider{Value: creds},
	})
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSignedRequestsPassAndOthersGetDynamoDBErrors(t *testing.T) {
	srv, up := guarded(t, 0)
	other := aws.Credentials{AccessKeyID: "AKIAOTHERKEY00000000", SecretAccessKey: "x"}
	wrongSecret := aws.Credentials{AccessKeyID: local.AccessKeyID, SecretAccessKey: "not-the-secret"}
	withToken := aws.Credentials{AccessKeyID: local.AccessKeyID, SecretAccessKey: local.SecretAccessKey, SessionToken: "a-token"}
	tests := []struct {
		name   string
		db     *dynamodb.Client
		status int // 0: forwarded
		code   string
	}{
		{name: "the local credentials", db: client(srv.URL, local, region)},
		{name: "unknown access key", db: client(srv.URL, other, region), status: 400, code: "UnrecognizedClientException"},
		{name: "wrong secret", db: client(srv.URL, wrongSecret, region), status: 400, code: "InvalidSignatureException"},
		{name: "a session token the local credentials do not have", db: client(srv.URL, withToken, region), status: 400, code: "UnrecognizedClientException"},
		{name: "another region", db: client(srv.URL, local, "us-east-1"), status: 400, code: "InvalidSignatureException"},
		{name: "anonymous", db: dynamodb.New(dynamodb.Options{Region: region, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1, Credentials: aws.AnonymousCredentials{}}), status: 400, code: "MissingAuthenticationTokenException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			before := up.count()
			_, scanErr := tt.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("notes")})
			_, putErr := tt.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("notes"), Item: map[string]types.AttributeValue{
				"userId": &types.AttributeValueMemberS{Value: "victim"}, "noteId": &types.AttributeValueMemberS{Value: "planted"},
			}})
			for op, err := range map[string]error{"Scan": scanErr, "PutItem": putErr} {
				if got := errorCode(err); got != tt.code {
					t.Errorf("%s error = %v; want code %q", op, err, tt.code)
				}
				var re *awshttp.ResponseError
				if tt.status != 0 && errors.As(err, &re) && re.HTTPStatusCode() != tt.status {
					t.Errorf("%s status = %d; want %d", op, re.HTTPStatusCode(), tt.status)
				}
			}
			forwarded := up.count() - before
			if want := map[bool]int{true: 2, false: 0}[tt.code == ""]; forwarded != want {
				t.Errorf("%d requests reached dynalite; want %d", forwarded, want)
			}
		})
	}
}

// signedRequest is a Scan signed with the local credentials, as the SDK would send it.
func signedRequest(t testing.TB, url, body string, at time.Time) *http.Request {
	t.Helper()
	return signedOp(t, url, "Scan", body, at)
}

func signedOp(t testing.TB, url, op, body string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	if err := v4.NewSigner().SignHTTP(context.Background(), local, req, sha256Hex(body), Service, region, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

type refusalBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func send(t *testing.T, req *http.Request) (*http.Response, refusalBody) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var b refusalBody
	_ = json.Unmarshal(raw, &b)
	return resp, b
}

func TestRefusals(t *testing.T) {
	srv, up := guarded(t, 0)
	const scan = `{"TableName":"notes"}`
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		typ    string
		msg    string
	}{
		{name: "CORS preflight", status: 403, typ: "AccessDeniedException", msg: "web pages", req: func() *http.Request {
			req, _ := http.NewRequest(http.MethodOptions, srv.URL, nil)
			req.Header.Set("Origin", "https://evil.example")
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-amz-date,x-amz-target")
			return req
		}},
		{name: "signed request with Origin", status: 403, typ: "AccessDeniedException", msg: "Origin header", req: func() *http.Request {
			req := signedRequest(t, srv.URL, scan, time.Now())
			req.Header.Set("Origin", "http://localhost:5173")
			return req
		}},
		{name: "signed request with Sec-Fetch-Site", status: 403, typ: "AccessDeniedException", msg: "Sec-Fetch-Site header", req: func() *http.Request {
			req := signedRequest(t, srv.URL, scan, time.Now())
			req.Header.Set("Sec-Fetch-Site", "same-site")
			return req
		}},
		{name: "DNS rebinding: a signed request for another host name", status: 403, typ: "AccessDeniedException", msg: "loopback host", req: func() *http.Request {
			req := signedRequest(t, strings.Replace(srv.URL, "127.0.0.1", "rebind.example", 1), scan, time.Now())
			req.URL.Host = strings.TrimPrefix(srv.URL, "http://")
			return req
		}},
		{name: "unsigned Scan", status: 400, typ: "MissingAuthenticationTokenException", req: func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(scan))
			req.Header.Set("X-Amz-Target", "DynamoDB_20120810.Scan")
			return req
		}},
		{name: "made-up Authorization header", status: 400, typ: "IncompleteSignatureException", req: func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(scan))
			req.Header.Set("Authorization", "Bearer x")
			return req
		}},
		{name: "signature from 16 minutes ago", status: 400, typ: "InvalidSignatureException", msg: "Signature expired", req: func() *http.Request {
			return signedRequest(t, srv.URL, scan, time.Now().Add(-16*time.Minute))
		}},
		{name: "signature 16 minutes ahead", status: 400, typ: "InvalidSignatureException", msg: "not yet current", req: func() *http.Request {
			return signedRequest(t, srv.URL, scan, time.Now().Add(16*time.Minute))
		}},
		{name: "body changed after signing", status: 400, typ: "InvalidSignatureException", msg: "does not match", req: func() *http.Request {
			req := signedRequest(t, srv.URL, scan, time.Now())
			other := `{"TableName":"other"}`
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader(other)), int64(len(other))
			return req
		}},
		{name: "operation changed after signing", status: 400, typ: "InvalidSignatureException", msg: "does not match", req: func() *http.Request {
			req := signedRequest(t, srv.URL, scan, time.Now())
			req.Header.Set("X-Amz-Target", "DynamoDB_20120810.DeleteTable")
			return req
		}},
		{name: "body over 16 MB", status: 413, typ: "ValidationException", req: func() *http.Request {
			return signedRequest(t, srv.URL, `{"TableName":"`+strings.Repeat("x", MaxBody)+`"}`, time.Now())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := up.count()
			resp, body := send(t, tt.req())
			if resp.StatusCode != tt.status || body.Type != typePrefix+tt.typ || !strings.Contains(body.Message, tt.msg) {
				t.Errorf("response = %d %+v; want %d %s with a message containing %q", resp.StatusCode, body, tt.status, tt.typ, tt.msg)
			}
			for name := range resp.Header {
				if strings.HasPrefix(name, "Access-Control-") {
					t.Errorf("refusal carries %s: %s; want no CORS headers", name, resp.Header.Get(name))
				}
			}
			if n := up.count() - before; n != 0 {
				t.Errorf("%d requests reached dynalite; want none", n)
			}
		})
	}
}

func TestForwardedRequestsKeepWhatWasSignedAndLoseDynalitesCORS(t *testing.T) {
	srv, up := guarded(t, 0)
	const scan = `{"TableName":"notes"}`
	req := signedRequest(t, srv.URL, scan, time.Now())
	req.Header.Set("User-Agent", "added after signing") // unsigned headers may change on the way, as on AWS
	resp, _ := send(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("signed Scan = %d; want 200", resp.StatusCode)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("forwarded response carries Access-Control-Allow-Origin %q; want dynalite's CORS headers removed", got)
	}
	if up.count() != 1 || up.bodies[0] != scan || up.requests[0].Header.Get("X-Amz-Target") != "DynamoDB_20120810.Scan" {
		t.Errorf("dynalite got %d requests, body %q; want the signed Scan", up.count(), up.bodies)
	}
	// A host name like localhost is loopback too.
	local := signedRequest(t, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), scan, time.Now())
	if resp, body := send(t, local); resp.StatusCode != 200 {
		t.Errorf("signed Scan to localhost = %d %+v; want 200", resp.StatusCode, body)
	}
}

func TestDynaliteDownIsAServerError(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := dead.Addr().String()
	dead.Close()
	g, err := New(Options{Credentials: local, Region: region, Upstream: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	defer srv.Close()
	resp, body := send(t, signedRequest(t, srv.URL, `{}`, time.Now()))
	if resp.StatusCode != 503 || body.Type != typePrefix+"ServiceUnavailable" {
		t.Errorf("signed request with dynalite down = %d %+v; want 503 ServiceUnavailable (the SDKs retry it)", resp.StatusCode, body)
	}
}

// TestWedgedDynaliteIsAServerError: a dynalite that accepts connections but never answers (wedged) gets the caller
// a retryable 500 once the response timeout passes, not a request that hangs forever.
func TestWedgedDynaliteIsAServerError(t *testing.T) {
	wedged, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer wedged.Close()
	go func() {
		var held []net.Conn // accepted, read from never, answered never
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := wedged.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	const timeout = 50 * time.Millisecond
	g, err := New(Options{Credentials: local, Region: region, Upstream: "http://" + wedged.Addr().String(), ResponseTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	defer srv.Close()
	resp, body := send(t, signedRequest(t, srv.URL, `{}`, time.Now()))
	if resp.StatusCode != 500 || body.Type != typePrefix+"InternalServerError" || !strings.Contains(body.Message, "did not answer within 50ms: it is wedged") {
		t.Errorf("signed request with dynalite wedged = %d %+v; want 500 InternalServerError saying it did not answer within %s", resp.StatusCode, body, timeout)
	}
}

func TestForwardsOverAUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "dynalite.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	up := &upstream{}
	go func() { _ = http.Serve(ln, up) }()
	defer ln.Close()
	g, err := New(Options{Credentials: local, Region: region, Socket: sock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	defer srv.Close()
	if _, err := client(srv.URL, local, region).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables through the guard: %v", err)
	}
	if up.count() != 1 {
		t.Errorf("dynalite got %d requests; want 1", up.count())
	}
}

func TestRequestsFromAnotherMachineAreRefused(t *testing.T) {
	g, err := New(Options{Credentials: local, Region: region, Upstream: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	const scan = `{"TableName":"notes"}`
	for addr, want := range map[string]bool{"127.0.0.1:50000": true, "[::1]:50000": true, "192.0.2.7:50000": false} {
		req := signedRequest(t, "http://127.0.0.1:8000/", scan, time.Now())
		req.RemoteAddr = addr
		if ref := g.check(req, []byte(scan)); (ref == nil) != want {
			t.Errorf("signed Scan from %s: verdict %v; want forwarded %v", addr, ref, want)
		}
	}
}
