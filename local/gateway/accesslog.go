package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// accessLog writes one line per request in the stage's AccessLogSettings.Format, with every $context.<name>
// replaced by its value ("-" when it has none, as API Gateway writes).
type accessLog struct {
	parts []logPart
	out   io.Writer
	mu    sync.Mutex
}

type logPart struct {
	literal string
	name    string // the variable after "$context."; "" for a literal
}

var contextVar = regexp.MustCompile(`\$context\.[A-Za-z0-9_.]*[A-Za-z0-9_]`)

func newAccessLog(format string, out io.Writer) *accessLog {
	l := &accessLog{out: out}
	rest := format
	for {
		loc := contextVar.FindStringIndex(rest)
		if loc == nil {
			break
		}
		if loc[0] > 0 {
			l.parts = append(l.parts, logPart{literal: rest[:loc[0]]})
		}
		l.parts = append(l.parts, logPart{name: rest[loc[0]+len("$context.") : loc[1]]})
		rest = rest[loc[1]:]
	}
	if rest != "" {
		l.parts = append(l.parts, logPart{literal: rest})
	}
	return l
}

func (l *accessLog) write(value func(name string) string) {
	var b strings.Builder
	for _, p := range l.parts {
		if p.name == "" {
			b.WriteString(p.literal)
			continue
		}
		v := value(p.name)
		if v == "" {
			v = "-"
		}
		b.WriteString(jsonEscape(v))
	}
	b.WriteByte('\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.out, b.String())
}

// jsonEscape keeps the usual JSON log format parseable whatever a header contains.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// logVars resolves the $context variables of one exchange.
func (g *Gateway) logVars(r *http.Request, x *exchange) func(string) string {
	return func(name string) string {
		switch name {
		case "requestId", "extendedRequestId":
			return x.requestID
		case "apiId":
			return g.cfg.APIID
		case "stage":
			return g.cfg.Stage
		case "accountId":
			return g.cfg.AccountID
		case "domainName":
			return r.Host
		case "httpMethod":
			return r.Method
		case "path":
			return r.URL.EscapedPath()
		case "protocol":
			return r.Proto
		case "routeKey":
			if x.route != nil {
				return x.route.Key
			}
		case "status":
			return strconv.Itoa(x.status)
		case "responseLength":
			return strconv.Itoa(x.responseLength)
		case "requestTime":
			return x.start.UTC().Format(clfTime)
		case "requestTimeEpoch":
			return strconv.FormatInt(x.start.UnixMilli(), 10)
		case "identity.sourceIp":
			return sourceIP(r)
		case "identity.userAgent":
			return r.UserAgent()
		case "responseLatency":
			return strconv.FormatInt(g.cfg.Now().Sub(x.start).Milliseconds(), 10)
		case "integrationLatency", "integration.latency":
			if !x.integrationStart.IsZero() {
				return strconv.FormatInt(x.integrationEnd.Sub(x.integrationStart).Milliseconds(), 10)
			}
		case "integrationStatus", "integration.status", "integration.integrationStatus":
			if x.integrationStat != 0 {
				return strconv.Itoa(x.integrationStat)
			}
		case "integrationErrorMessage", "integration.error":
			return x.integrationError
		case "error.message":
			return x.errMessage
		case "error.responseType":
			return x.errResponseType
		case "authorizer.error":
			return x.authorizerError
		default:
			if claim, ok := strings.CutPrefix(name, "authorizer.claims."); ok && x.claims != nil {
				return claimString(x.claims[claim])
			}
		}
		return ""
	}
}
