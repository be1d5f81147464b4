package gateway

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflight answers a CORS preflight request itself, as API Gateway does for an API with a CorsConfiguration
// (no route and no authorizer involved). An origin or method that is not allowed gets no CORS headers, which
// makes the browser refuse the actual request.
func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request) int {
	c := g.cfg.Cors
	origin := r.Header.Get("Origin")
	h := w.Header()
	if c.allowsOrigin(origin) && c.allowsMethod(r.Header.Get("Access-Control-Request-Method")) {
		h.Set("Access-Control-Allow-Origin", c.originValue(origin))
		if len(c.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		}
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

// corsHeaders replaces whatever CORS headers the integration returned with the API's own, for an allowed origin.
func (g *Gateway) corsHeaders(h http.Header, r *http.Request) {
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			delete(h, k)
		}
	}
	c := g.cfg.Cors
	origin := r.Header.Get("Origin")
	if origin == "" || !c.allowsOrigin(origin) {
		return
	}
	h.Set("Access-Control-Allow-Origin", c.originValue(origin))
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// allowsOrigin matches exactly, "*", or a wildcard subdomain pattern such as "https://*.example.com".
func (c *Cors) allowsOrigin(origin string) bool {
	for _, o := range c.AllowOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
		if prefix, suffix, ok := strings.Cut(o, "*"); ok && len(origin) > len(prefix)+len(suffix) &&
			strings.HasPrefix(strings.ToLower(origin), strings.ToLower(prefix)) && strings.HasSuffix(strings.ToLower(origin), strings.ToLower(suffix)) {
			return true
		}
	}
	return false
}

func (c *Cors) allowsMethod(method string) bool {
	return len(c.AllowMethods) == 0 || slices.ContainsFunc(c.AllowMethods, func(m string) bool {
		return m == "*" || strings.EqualFold(m, method)
	})
}

// originValue is "*" for a wildcard configuration without credentials, else the request's origin.
func (c *Cors) originValue(origin string) string {
	if slices.Contains(c.AllowOrigins, "*") && !c.AllowCredentials {
		return "*"
	}
	return origin
}
