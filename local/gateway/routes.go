package gateway

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/authnotes/authnotes/local/jwtauth"
)

// DefaultRouteKey is the catch-all route API Gateway uses when no other route matches.
const DefaultRouteKey = "$default"

// segment kinds, ordered by how specific they are: a literal beats a {param}, which beats a greedy {proxy+}.
const (
	segGreedy = iota
	segParam
	segLiteral
)

type segment struct {
	kind int
	text string // the literal, or the parameter's name
}

// route is a parsed route key ("GET /notes/{id}", "ANY /{proxy+}", "$default").
type route struct {
	Route
	method    string // upper case; "ANY" matches every method
	segments  []segment
	isDefault bool
	// verifier and sources are the route's authorizer (Route.Authorizer), looked up once by New.
	verifier *jwtauth.Verifier
	sources  []identitySource
}

func parseRoute(r Route) (*route, error) {
	pr := &route{Route: r}
	if r.Key == DefaultRouteKey {
		pr.isDefault = true
		return pr, nil
	}
	method, path, ok := strings.Cut(r.Key, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("route key %q: want \"METHOD /path\" or %q", r.Key, DefaultRouteKey)
	}
	pr.method = strings.ToUpper(method)
	if path == "/" {
		return pr, nil
	}
	parts := strings.Split(path[1:], "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return nil, fmt.Errorf("route key %q: a greedy path variable must be the last segment", r.Key)
			}
			pr.segments = append(pr.segments, segment{kind: segGreedy, text: p[1 : len(p)-2]})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			pr.segments = append(pr.segments, segment{kind: segParam, text: p[1 : len(p)-1]})
		case p == "":
			return nil, fmt.Errorf("route key %q: empty path segment", r.Key)
		default:
			pr.segments = append(pr.segments, segment{kind: segLiteral, text: p})
		}
	}
	return pr, nil
}

// match reports whether the request path matches and returns the path parameters.
func (r *route) match(method string, parts []string) (map[string]string, bool) {
	if r.isDefault || (r.method != "ANY" && r.method != method) {
		return nil, r.isDefault
	}
	var params map[string]string
	for i, s := range r.segments {
		if i >= len(parts) {
			return nil, false
		}
		switch s.kind {
		case segLiteral:
			if parts[i] != s.text {
				return nil, false
			}
		case segParam:
			if parts[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s.text] = unescape(parts[i])
		case segGreedy:
			rest := strings.Join(parts[i:], "/")
			if rest == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s.text] = unescape(rest)
			return params, true
		}
	}
	return params, len(parts) == len(r.segments)
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// moreSpecific orders two matching routes as API Gateway does: segment by segment a literal beats a path variable,
// which beats a greedy variable; then a named method beats ANY; $default comes last.
func moreSpecific(a, b *route) bool {
	if a.isDefault != b.isDefault {
		return b.isDefault
	}
	for i := 0; i < len(a.segments) && i < len(b.segments); i++ {
		if a.segments[i].kind != b.segments[i].kind {
			return a.segments[i].kind > b.segments[i].kind
		}
	}
	if len(a.segments) != len(b.segments) {
		return len(a.segments) > len(b.segments)
	}
	return a.method != "ANY" && b.method == "ANY"
}

// splitPath turns "/a/b" into ["a", "b"] and "/" into [].
func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// find returns the most specific route matching the request, or nil.
func find(routes []*route, method, rawPath string) (*route, map[string]string) {
	parts := splitPath(rawPath)
	var best *route
	var bestParams map[string]string
	for _, r := range routes {
		params, ok := r.match(method, parts)
		if ok && (best == nil || moreSpecific(r, best)) {
			best, bestParams = r, params
		}
	}
	return best, bestParams
}
