package gateway

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// The payload format 2.0 event, field for field as API Gateway sends it (aws-lambda-go's
// events.APIGatewayV2HTTPRequest decodes it).
type event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	RequestContext        requestContext    `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type requestContext struct {
	AccountID    string          `json:"accountId"`
	APIID        string          `json:"apiId"`
	Authorizer   *authorizerInfo `json:"authorizer,omitempty"`
	DomainName   string          `json:"domainName"`
	DomainPrefix string          `json:"domainPrefix"`
	HTTP         httpInfo        `json:"http"`
	RequestID    string          `json:"requestId"`
	RouteKey     string          `json:"routeKey"`
	Stage        string          `json:"stage"`
	Time         string          `json:"time"`
	TimeEpoch    int64           `json:"timeEpoch"`
}

type authorizerInfo struct {
	JWT jwtInfo `json:"jwt"`
}

type jwtInfo struct {
	Claims map[string]string `json:"claims"`
	Scopes []string          `json:"scopes"`
}

type httpInfo struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// clfTime is the requestContext.time layout ("12/Mar/2020:19:03:58 +0000").
const clfTime = "02/Jan/2006:15:04:05 -0700"

func (g *Gateway) buildEvent(r *http.Request, x *exchange, rt *route, params map[string]string, body []byte, jwt *jwtContext) ([]byte, error) {
	ip := sourceIP(r)
	headers := make(map[string]string, len(r.Header)+4)
	var cookies []string
	for k, vs := range r.Header {
		name := strings.ToLower(k)
		if name == "cookie" {
			// Payload 2.0 moves cookies out of the headers into their own list.
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[name] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	if len(body) > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	if prev := headers["x-forwarded-for"]; prev != "" {
		headers["x-forwarded-for"] = prev + ", " + ip
	} else {
		headers["x-forwarded-for"] = ip
	}
	headers["x-forwarded-proto"] = "http"
	if _, port, err := net.SplitHostPort(localAddr(r)); err == nil {
		headers["x-forwarded-port"] = port
	}
	headers["x-amzn-trace-id"] = "Root=1-" + strconv.FormatInt(x.start.Unix(), 16) + "-" + traceSuffix(x.requestID)

	var query map[string]string
	if r.URL.RawQuery != "" {
		query = map[string]string{}
		for k, vs := range r.URL.Query() {
			query[k] = strings.Join(vs, ",")
		}
	}
	domain := r.Host
	prefix, _, _ := strings.Cut(domain, ".")
	ev := event{
		Version:               "2.0",
		RouteKey:              rt.Key,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: requestContext{
			AccountID:    g.cfg.AccountID,
			APIID:        g.cfg.APIID,
			DomainName:   domain,
			DomainPrefix: prefix,
			HTTP: httpInfo{
				Method:    r.Method,
				Path:      r.URL.EscapedPath(),
				Protocol:  r.Proto,
				SourceIP:  ip,
				UserAgent: r.UserAgent(),
			},
			RequestID: x.requestID,
			RouteKey:  rt.Key,
			Stage:     g.cfg.Stage,
			Time:      x.start.UTC().Format(clfTime),
			TimeEpoch: x.start.UnixMilli(),
		},
	}
	if jwt != nil {
		ev.RequestContext.Authorizer = &authorizerInfo{JWT: jwtInfo{Claims: stringClaims(jwt.claims), Scopes: jwt.scopes}}
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return json.Marshal(ev)
}

// traceSuffix derives the 24 hex digits of an X-Ray trace ID from the request ID.
func traceSuffix(requestID string) string {
	raw, _ := base64.StdEncoding.DecodeString(requestID)
	s := fmt.Sprintf("%x", raw)
	for len(s) < 24 {
		s += "0"
	}
	return s[:24]
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func localAddr(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return a.String()
	}
	return ""
}

// isText reports whether API Gateway passes a body of this content type as text; anything else (including a body
// without content type) reaches the function base64-encoded.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"),
		mt == "application/json", mt == "application/xml", mt == "application/javascript",
		mt == "application/ecmascript":
		return true
	}
	return false
}

// stringClaims renders claims as API Gateway does in requestContext.authorizer.jwt.claims: strings as they are,
// numbers without exponent, arrays as "[a b]".
func stringClaims(c map[string]any) map[string]string {
	out := make(map[string]string, len(c))
	for k, v := range c {
		out[k] = claimString(v)
	}
	return out
}

func claimString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case nil:
		return ""
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// response is a function result mapped by the payload 2.0 rules.
type response struct {
	status  int
	headers map[string]string
	cookies []string
	body    []byte
}

// parseResponse maps a function's payload: an object with statusCode is a structured response; any other valid
// JSON is returned as the body with status 200 and content-type application/json (the inferred format).
func parseResponse(out []byte) (*response, error) {
	if !json.Valid(out) {
		return nil, fmt.Errorf("function returned invalid JSON")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(out, &probe); err != nil || probe["statusCode"] == nil {
		return &response{status: http.StatusOK, headers: map[string]string{"Content-Type": "application/json"}, body: out}, nil
	}
	var s struct {
		StatusCode      int               `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Cookies         []string          `json:"cookies"`
		Body            *string           `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(out, &s); err != nil {
		return nil, fmt.Errorf("malformed structured response: %w", err)
	}
	if s.StatusCode < 100 || s.StatusCode > 599 {
		return nil, fmt.Errorf("malformed structured response: statusCode %d", s.StatusCode)
	}
	res := &response{status: s.StatusCode, headers: s.Headers, cookies: s.Cookies}
	if s.Body != nil {
		res.body = []byte(*s.Body)
		if s.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*s.Body)
			if err != nil {
				return nil, fmt.Errorf("malformed structured response: body is not base64: %w", err)
			}
			res.body = b
		}
	}
	return res, nil
}
