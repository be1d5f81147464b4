package gateway

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/authnotes/authnotes/local/jwtauth"
)

// jwtContext is what a successful JWT authorization puts into the event's requestContext.authorizer.jwt.
type jwtContext struct {
	claims jwtauth.Claims
	scopes []string // the token's scopes, reported when the route requires scopes
}

// authorize applies the route's JWT authorizer. It returns a non-zero status (401 or 403) when the request is
// refused, setting WWW-Authenticate as RFC 6750 describes.
func (g *Gateway) authorize(ctx context.Context, w http.ResponseWriter, r *http.Request, rt *route, x *exchange) (*jwtContext, int) {
	var token string
	for _, s := range rt.sources {
		v := ""
		if s.header != "" {
			v = strings.Join(r.Header.Values(s.header), ",")
		} else {
			v = r.URL.Query().Get(s.query)
		}
		if v == "" {
			x.authorizerError = "missing identity source " + s.header + s.query
			return nil, http.StatusUnauthorized
		}
		if token == "" {
			token = v
		}
	}
	// API Gateway accepts the token with or without the "Bearer " scheme.
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	// A JWKS fetch fills the key cache every request shares: a client that hangs up must not abort it (the cache
	// would then wait before fetching again and refuse valid tokens meanwhile). The key source bounds the fetch.
	claims, err := rt.verifier.Verify(context.WithoutCancel(ctx), token)
	if err != nil {
		x.authorizerError = err.Error()
		desc := "the token is not valid"
		if errors.Is(err, jwtauth.ErrExpired) {
			desc = "the token has expired"
		}
		w.Header().Set("Www-Authenticate", `Bearer scope="" error="invalid_token" error_description="`+desc+`"`)
		return nil, http.StatusUnauthorized
	}
	x.claims = claims
	scopes := tokenScopes(claims)
	if len(rt.Scopes) == 0 {
		return &jwtContext{claims: claims}, 0
	}
	if !slices.ContainsFunc(rt.Scopes, func(s string) bool { return slices.Contains(scopes, s) }) {
		x.authorizerError = "insufficient scope"
		w.Header().Set("Www-Authenticate", `Bearer scope="`+strings.Join(rt.Scopes, " ")+`" error="insufficient_scope" error_description="expected scopes: [`+strings.Join(rt.Scopes, " ")+`]"`)
		return nil, http.StatusForbidden
	}
	return &jwtContext{claims: claims, scopes: scopes}, 0
}

// tokenScopes reads `scope` (space-separated, as Cognito writes it) or `scp` (a list or a string), the two claims
// API Gateway looks at.
func tokenScopes(c jwtauth.Claims) []string {
	if s := c.Scopes(); len(s) > 0 {
		return s
	}
	switch v := c["scp"].(type) {
	case string:
		return strings.Fields(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
