// Package dynamoguard is the door of the twin's local DynamoDB. dynalite answers any request, from any web page
// (it allows every origin in CORS) and without checking signatures; the guard stands in front of it and forwards
// only what DynamoDB itself would accept from the twin's local credentials:
//
//   - no request from a browser: any Origin or Sec-Fetch-* header (preflights included) gets 403, without CORS
//     headers, so a page the developer visits cannot read or write the table;
//   - no request from another machine, nor for a Host other than a loopback name or address, so DNS rebinding (a
//     site's name resolving to 127.0.0.1) fails;
//   - an AWS Signature Version 4 made with the local credentials, for this region and service, dated within 15
//     minutes, verified by re-signing a copy of the request with the AWS SDK's own signer; failures get DynamoDB's
//     error types (MissingAuthenticationTokenException, UnrecognizedClientException, InvalidSignatureException,
//     IncompleteSignatureException);
//   - a request body of at most 16 MB, DynamoDB's largest request.
package dynamoguard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/authnotes/authnotes/local/loopback"
)

const (
	// Service is the signing name of DynamoDB, the service a credential scope must name.
	Service = "dynamodb"
	// MaxBody is the largest request body forwarded: DynamoDB's request size limit (BatchWriteItem, 16 MB).
	MaxBody = 16 << 20
	// MaxSkew is how far a request's X-Amz-Date may be from the guard's clock, as on AWS.
	MaxSkew = 15 * time.Minute
	// DefaultResponseTimeout is how long the guard waits for dynalite to start answering a forwarded request. It
	// answers in milliseconds, even a 16 MB BatchWriteItem; a dynalite that takes this long is wedged.
	DefaultResponseTimeout = 10 * time.Second
)

// Options configure New.
type Options struct {
	// Credentials are the only ones accepted. Required.
	Credentials aws.Credentials
	// Region is the region a credential scope must name. Required.
	Region string
	// Socket is the Unix socket dynalite listens on; Upstream is used when it is empty.
	Socket string
	// Upstream is dynalite's URL, for a dynalite on TCP.
	Upstream string
	// Now is the clock signatures are dated against. Default: time.Now.
	Now func() time.Time
	// ResponseTimeout bounds the wait for dynalite's response headers: a dynalite that accepts requests but never
	// answers gets the caller a retryable 500 instead of a request that hangs forever. Default:
	// DefaultResponseTimeout.
	ResponseTimeout time.Duration
}

// Guard is an http.Handler that verifies each request and forwards the accepted ones to dynalite.
type Guard struct {
	creds  aws.Credentials
	region string
	now    func() time.Time
	// signer is the guard's own: the SDK signer caches derived keys by access key ID, region and service, not by
	// secret, so a signer shared with other credentials of the same key ID would sign with their secret.
	signer *v4.Signer
	proxy  *httputil.ReverseProxy
}

// New returns a guard for dynalite at opts.Socket or opts.Upstream.
func New(opts Options) (*Guard, error) {
	if opts.Credentials.AccessKeyID == "" || opts.Credentials.SecretAccessKey == "" {
		return nil, errors.New("dynamoguard: credentials are required")
	}
	if opts.Region == "" {
		return nil, errors.New("dynamoguard: region is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ResponseTimeout <= 0 {
		opts.ResponseTimeout = DefaultResponseTimeout
	}
	// Many idle connections: every function process and the developer's tools share the guard, and a connection
	// opened per request would cost more than the request.
	transport := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, DisableCompression: true,
		ResponseHeaderTimeout: opts.ResponseTimeout}
	target := &url.URL{Scheme: "http", Host: "dynalite"}
	switch {
	case opts.Socket != "":
		var d net.Dialer
		transport.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", opts.Socket)
		}
	case opts.Upstream != "":
		u, err := url.Parse(opts.Upstream)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("dynamoguard: upstream %q is not a URL", opts.Upstream)
		}
		target = u
	default:
		return nil, errors.New("dynamoguard: a socket or an upstream URL is required")
	}
	g := &Guard{creds: opts.Credentials, region: opts.Region, now: opts.Now, signer: v4.NewSigner()}
	g.proxy = &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport:      transport,
		ModifyResponse: stripCORS,
		ErrorHandler:   upstreamFailed(opts.ResponseTimeout),
		BufferPool:     &bufferPool{},
	}
	return g, nil
}

// bufferPool reuses the proxy's copy buffers: without it each response allocates 32 KB.
type bufferPool struct{ sync.Pool }

func (p *bufferPool) Get() []byte {
	if b, ok := p.Pool.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

func (p *bufferPool) Put(b []byte) { p.Pool.Put(&b) }

// Refusal is the guard's answer to a request it does not forward: an HTTP status and a DynamoDB error. Messages
// quote caller input with a precision (%.100q), so a refusal stays small whatever the request.
type Refusal struct {
	Status  int
	Type    string // the exception name, e.g. UnrecognizedClientException
	Message string
}

func (r *Refusal) Error() string { return r.Type + ": " + r.Message }

// typePrefix is the namespace DynamoDB gives its authentication errors' __type.
const typePrefix = "com.amazon.coral.service#"

// write answers with the refusal as DynamoDB's JSON error, and no CORS headers.
func (r *Refusal) write(w http.ResponseWriter) {
	body, _ := json.Marshal(map[string]string{"__type": typePrefix + r.Type, "message": r.Message})
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(r.Status)
	_, _ = w.Write(body)
}

func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ref := checkCaller(r); ref != nil {
		ref.write(w)
		return
	}
	body, ref := readBody(w, r)
	if ref == nil {
		ref = g.verify(r, body)
	}
	if ref != nil {
		ref.write(w)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	g.proxy.ServeHTTP(w, r)
}

// check is the guard's verdict on a request whose body has been read: nil to forward it, or the refusal.
func (g *Guard) check(r *http.Request, body []byte) *Refusal {
	if ref := checkCaller(r); ref != nil {
		return ref
	}
	if len(body) > MaxBody {
		return tooLarge()
	}
	return g.verify(r, body)
}

// door refuses web pages and names that are not this machine's.
var door = loopback.Door{Name: "the local DynamoDB"}

// checkCaller refuses web pages and names that are not this machine's.
func checkCaller(r *http.Request) *Refusal {
	if why := door.Refusal(r); why != "" {
		return &Refusal{Status: http.StatusForbidden, Type: "AccessDeniedException", Message: why}
	}
	return nil
}

// readBody reads at most MaxBody bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Refusal) {
	if r.ContentLength > MaxBody {
		return nil, tooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, tooLarge()
	case err != nil:
		return nil, &Refusal{Status: http.StatusBadRequest, Type: "SerializationException", Message: "cannot read the request body: " + err.Error()}
	}
	return body, nil
}

func tooLarge() *Refusal {
	return &Refusal{Status: http.StatusRequestEntityTooLarge, Type: "ValidationException",
		Message: fmt.Sprintf("the request is larger than DynamoDB's limit of %d bytes", MaxBody)}
}

// stripCORS removes dynalite's Access-Control-* headers (it allows every origin): the guard's answers never let a
// web page read them, even if a browser's request got this far.
func stripCORS(resp *http.Response) error {
	for name := range resp.Header {
		if strings.HasPrefix(name, "Access-Control-") {
			resp.Header.Del(name)
		}
	}
	return nil
}

// upstreamFailed answers when dynalite cannot be reached (503: it is not running, the twin restarts it), did not
// start answering within timeout (500: it is wedged, and the request may or may not have been applied) or failed
// while answering (500), as DynamoDB's own server errors, which the AWS SDKs retry.
func upstreamFailed(timeout time.Duration) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, _ *http.Request, err error) {
		ref := &Refusal{Status: http.StatusInternalServerError, Type: "InternalServerError",
			Message: "the local DynamoDB (dynalite) failed while answering: " + err.Error()}
		var ne net.Error
		switch {
		case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT):
			ref = &Refusal{Status: http.StatusServiceUnavailable, Type: "ServiceUnavailable",
				Message: "the local DynamoDB (dynalite) is not running; the twin restarts it: retry"}
		case errors.As(err, &ne) && ne.Timeout():
			ref.Message = fmt.Sprintf("the local DynamoDB (dynalite) did not answer within %s: it is wedged (the request may or may not have been applied); restart the twin if this repeats", timeout)
		}
		ref.write(w)
	}
}
