// Package gateway serves an API Gateway HTTP API locally: routes, the JWT authorizer with route scopes, the Lambda
// proxy integration with payload format 2.0, CORS, stage throttling, payload limits and access logs, with the
// statuses and bodies API Gateway answers with.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authnotes/authnotes/local/jwtauth"
	"github.com/authnotes/authnotes/local/lambdaruntime"
	"github.com/authnotes/authnotes/local/loopback"
)

// Limits of an HTTP API.
const (
	// MaxBody is the largest request body an HTTP API accepts (10 MB).
	MaxBody = 10 * 1024 * 1024
	// MaxIntegrationTimeout is the HTTP API's integration timeout (30 s).
	MaxIntegrationTimeout = 30 * time.Second
)

// Invoker runs a Lambda function synchronously: *lambdaruntime.Function implements it.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Route is one AWS::ApiGatewayV2::Route with its Lambda proxy integration.
type Route struct {
	// Key is the RouteKey: "POST /notes", "GET /notes/{id}", "ANY /{proxy+}" or "$default".
	Key string
	// Function is the integration's target.
	Function Invoker
	// Authorizer names an entry of Config.Authorizers; "" means AuthorizationType NONE.
	Authorizer string
	// Scopes are the route's AuthorizationScopes: the token must carry at least one of them.
	Scopes []string
	// Timeout is the integration's TimeoutInMillis. Default (0) and maximum: Config.IntegrationTimeout.
	Timeout time.Duration
}

// Authorizer is an AWS::ApiGatewayV2::Authorizer of type JWT.
type Authorizer struct {
	// IdentitySource lists where the token is read: "$request.header.Authorization" (the default) or
	// "$request.querystring.<name>".
	IdentitySource []string
	// Verifier checks the token against the authorizer's issuer and audiences.
	Verifier *jwtauth.Verifier
}

// Cors is the API's CorsConfiguration.
type Cors struct {
	AllowOrigins     []string
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	MaxAge           int
	AllowCredentials bool
}

// Throttle is the stage's DefaultRouteSettings throttling: a token bucket refilled at Rate per second holding at
// most Burst tokens.
type Throttle struct {
	Rate  float64
	Burst int
}

// Config describes the API.
type Config struct {
	// APIID, Stage, Region and AccountID fill the event's requestContext. Defaults: "local", "$default",
	// "us-east-1", "000000000000". A named stage (not $default) is the first path segment of every request, as in
	// the stage's invoke URL.
	APIID, Stage, Region, AccountID string
	Routes                          []Route
	// Authorizers by the ID routes refer to.
	Authorizers map[string]Authorizer
	// Cors, when set, makes the gateway answer preflight requests and add CORS headers.
	Cors *Cors
	// Throttle, when set, limits the request rate of the stage.
	Throttle *Throttle
	// AccessLogFormat is the stage's AccessLogSettings.Format; "" logs nothing.
	AccessLogFormat string
	// AccessLog receives one line per request. Default: discarded.
	AccessLog io.Writer
	// IntegrationTimeout bounds a function invocation. Default and maximum: MaxIntegrationTimeout.
	IntegrationTimeout time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Gateway is an http.Handler serving the API.
type Gateway struct {
	cfg       Config
	routes    []*route
	bucket    *bucket
	accessLog *accessLog
}

// New validates the configuration and returns the gateway.
func New(cfg Config) (*Gateway, error) {
	if cfg.APIID == "" {
		cfg.APIID = "local"
	}
	if cfg.Stage == "" {
		cfg.Stage = DefaultStage
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.IntegrationTimeout <= 0 || cfg.IntegrationTimeout > MaxIntegrationTimeout {
		cfg.IntegrationTimeout = MaxIntegrationTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Gateway{cfg: cfg}
	seen := map[string]bool{}
	for _, r := range cfg.Routes {
		pr, err := parseRoute(r)
		if err != nil {
			return nil, err
		}
		if seen[r.Key] {
			return nil, fmt.Errorf("route key %q: defined twice", r.Key)
		}
		seen[r.Key] = true
		if r.Function == nil {
			return nil, fmt.Errorf("route %q: no integration function", r.Key)
		}
		if r.Authorizer != "" {
			a, ok := cfg.Authorizers[r.Authorizer]
			if !ok {
				return nil, fmt.Errorf("route %q: unknown authorizer %q", r.Key, r.Authorizer)
			}
			if a.Verifier == nil {
				return nil, fmt.Errorf("authorizer %q: no verifier", r.Authorizer)
			}
			if pr.sources, err = identitySources(a.IdentitySource); err != nil {
				return nil, fmt.Errorf("authorizer %q: %w", r.Authorizer, err)
			}
			pr.verifier = a.Verifier
		}
		g.routes = append(g.routes, pr)
	}
	if t := cfg.Throttle; t != nil {
		g.bucket = newBucket(t.Rate, t.Burst, cfg.Now)
	}
	if cfg.AccessLogFormat != "" {
		w := cfg.AccessLog
		if w == nil {
			w = io.Discard
		}
		g.accessLog = newAccessLog(cfg.AccessLogFormat, w)
	}
	return g, nil
}

// DefaultStage is the stage served at the root of the invoke URL.
const DefaultStage = "$default"

// Messages API Gateway answers with.
const (
	msgNotFound     = "Not Found"
	msgUnauthorized = "Unauthorized"
	msgForbidden    = "Forbidden"
	msgThrottled    = "Too Many Requests"
	msgInternal     = "Internal Server Error"
	msgUnavailable  = "Service Unavailable"
	msgTooLarge     = "Request Entity Too Large"
)

// exchange is the state of one request, for the access log.
type exchange struct {
	requestID        string
	start            time.Time
	route            *route
	status           int
	responseLength   int
	errMessage       string
	errResponseType  string
	authorizerError  string
	integrationError string
	integrationStat  int
	integrationStart time.Time
	integrationEnd   time.Time
	claims           jwtauth.Claims
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{requestID: newRequestID(), start: g.cfg.Now()}
	w.Header().Set("Apigw-Requestid", x.requestID)
	g.serve(w, r, x)
	if g.accessLog != nil {
		g.accessLog.write(g.logVars(r, x))
	}
}

// door lets only this machine in, under a loopback host name (web pages too: the web app calls the API): a page
// that rebinds its own name to 127.0.0.1 is refused before it costs a throttling token or reaches a function.
var door = loopback.Door{Name: "the local HTTP API", Browsers: true}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, x *exchange) {
	if why := door.Refusal(r); why != "" {
		g.fail(w, r, x, http.StatusForbidden, msgForbidden+": "+why, "ACCESS_DENIED")
		return
	}
	if g.bucket != nil && !g.bucket.take() {
		g.fail(w, r, x, http.StatusTooManyRequests, msgThrottled, "THROTTLED")
		return
	}
	if g.cfg.Cors != nil && isPreflight(r) {
		x.status = g.preflight(w, r)
		return
	}
	routePath, inStage := g.stagePath(r.URL.EscapedPath())
	var rt *route
	var params map[string]string
	if inStage {
		rt, params = find(g.routes, r.Method, routePath)
	}
	if rt == nil {
		g.fail(w, r, x, http.StatusNotFound, msgNotFound, "RESOURCE_NOT_FOUND")
		return
	}
	x.route = rt
	if r.ContentLength > MaxBody {
		g.fail(w, r, x, http.StatusRequestEntityTooLarge, msgTooLarge, "REQUEST_TOO_LARGE")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		g.fail(w, r, x, http.StatusBadRequest, "Bad Request", "BAD_REQUEST_BODY")
		return
	}
	if len(body) > MaxBody {
		g.fail(w, r, x, http.StatusRequestEntityTooLarge, msgTooLarge, "REQUEST_TOO_LARGE")
		return
	}
	var jwt *jwtContext
	if rt.Authorizer != "" {
		var status int
		jwt, status = g.authorize(r.Context(), w, r, rt, x)
		if status != 0 {
			msg, typ := msgUnauthorized, "UNAUTHORIZED"
			if status == http.StatusForbidden {
				msg, typ = msgForbidden, "ACCESS_DENIED"
			}
			g.fail(w, r, x, status, msg, typ)
			return
		}
	}
	event, err := g.buildEvent(r, x, rt, params, body, jwt)
	if err != nil {
		g.fail(w, r, x, http.StatusInternalServerError, msgInternal, "INTEGRATION_FAILURE")
		return
	}
	timeout := g.cfg.IntegrationTimeout
	if rt.Timeout > 0 && rt.Timeout < timeout {
		timeout = rt.Timeout
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	x.integrationStart = g.cfg.Now()
	out, err := rt.Function.Invoke(ctx, event)
	x.integrationEnd = g.cfg.Now()
	if err != nil {
		x.integrationError = err.Error()
		if errors.Is(err, lambdaruntime.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			g.fail(w, r, x, http.StatusServiceUnavailable, msgUnavailable, "INTEGRATION_TIMEOUT")
			return
		}
		if errors.Is(err, lambdaruntime.ErrRequestTooLarge) {
			// A body under the API's 10 MB limit can still make an event over Lambda's 6 MB (base64 adds a third).
			g.fail(w, r, x, http.StatusRequestEntityTooLarge, msgTooLarge, "REQUEST_TOO_LARGE")
			return
		}
		g.fail(w, r, x, http.StatusInternalServerError, msgInternal, "INTEGRATION_FAILURE")
		return
	}
	x.integrationStat = http.StatusOK
	resp, err := parseResponse(out)
	if err != nil {
		x.integrationError = err.Error()
		g.fail(w, r, x, http.StatusInternalServerError, msgInternal, "INTEGRATION_FAILURE")
		return
	}
	h := w.Header()
	for k, v := range resp.headers {
		h.Set(k, v)
	}
	for _, c := range resp.cookies {
		h.Add("Set-Cookie", c)
	}
	if g.cfg.Cors != nil {
		// With CORS configured, API Gateway ignores the integration's CORS headers and sets its own.
		g.corsHeaders(h, r)
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
	x.status, x.responseLength = resp.status, len(resp.body)
}

// stagePath returns the path routes are matched against. A named stage is the first segment of the invoke URL
// ("/dev/notes"): routes match the rest ("/notes") while the event's rawPath keeps the whole path, as API Gateway
// sends it. The $default stage is served at the root.
func (g *Gateway) stagePath(path string) (string, bool) {
	if g.cfg.Stage == DefaultStage {
		return path, true
	}
	rest, ok := strings.CutPrefix(path, "/"+g.cfg.Stage)
	switch {
	case !ok:
		return "", false
	case rest == "":
		return "/", true
	case rest[0] != '/':
		return "", false // "/devx/notes" is not in stage "dev"
	}
	return rest, true
}

// fail writes one of API Gateway's own error responses.
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, x *exchange, status int, msg, responseType string) {
	raw, _ := json.Marshal(map[string]string{"message": msg})
	body := string(raw)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if g.cfg.Cors != nil {
		g.corsHeaders(h, r)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
	x.status, x.responseLength = status, len(body)
	x.errMessage, x.errResponseType = msg, responseType
}

// newRequestID makes an ID shaped like API Gateway's (16 base64 characters).
func newRequestID() string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// identitySources maps "$request.header.X" / "$request.querystring.X" to where the token is read.
func identitySources(sources []string) ([]identitySource, error) {
	if len(sources) == 0 {
		sources = []string{"$request.header.Authorization"}
	}
	out := make([]identitySource, 0, len(sources))
	for _, s := range sources {
		switch {
		case strings.HasPrefix(s, "$request.header."):
			out = append(out, identitySource{header: strings.TrimPrefix(s, "$request.header.")})
		case strings.HasPrefix(s, "$request.querystring."):
			out = append(out, identitySource{query: strings.TrimPrefix(s, "$request.querystring.")})
		default:
			return nil, fmt.Errorf("identity source %q: a JWT authorizer reads $request.header.<name> or $request.querystring.<name>", s)
		}
	}
	return out, nil
}

type identitySource struct{ header, query string }
