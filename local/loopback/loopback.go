// Package loopback tells whether a request reached a local server from this machine under a loopback name,
// whether a browser made it, and whether an address is a loopback one; Door puts both checks in front of a
// handler. The twin's servers use it against DNS rebinding (a page on attacker.example whose name is re-pointed at
// 127.0.0.1 reaches them from a loopback address, but its requests still carry its own host name) and, for those
// no web page has business with, against cross-site requests.
package loopback

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Host reports whether a Host header value, with or without a port, names this machine: "localhost" or a
// loopback IP address.
func Host(hostport string) bool {
	name := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		name = h
	}
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(name, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Request reports whether r comes from a loopback address and is addressed to a loopback name.
func Request(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return false
	}
	return Host(r.Host)
}

// Addr reports whether a listen address ("127.0.0.1:5173", "[::1]:0", "localhost:5173") is on loopback only.
func Addr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && host != "" && Host(host)
}

// browserHeaders are the request headers only browsers send (fetch metadata and Origin), in the order Browser
// names them; curl, the AWS SDKs and the Lambda runtime clients send none of them.
var browserHeaders = []string{"Origin", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User"}

// Browser returns the name of a header that shows a browser made r (Origin or any Sec-Fetch-* header), or "" when
// it carries none. Browsers add them to cross-site requests, preflights and same-origin POSTs, so a web page
// cannot hide behind a simple request.
func Browser(r *http.Request) string {
	for _, name := range browserHeaders {
		if _, ok := r.Header[name]; ok {
			return name
		}
	}
	for name := range r.Header {
		if strings.HasPrefix(name, "Sec-Fetch-") {
			return name
		}
	}
	return ""
}

// Door describes who may reach a local server: always only this machine under a loopback host name (localhost,
// 127.0.0.1, [::1]), and web pages only when Browsers is set.
type Door struct {
	// Name is the server in messages, e.g. "the Lambda Runtime API".
	Name string
	// Browsers lets requests from web pages in (the servers a web app calls); otherwise any browser header gets a
	// refusal.
	Browsers bool
}

// Refusal returns why r may not reach the server, or "" when it may.
func (d Door) Refusal(r *http.Request) string {
	if !d.Browsers {
		if h := Browser(r); h != "" {
			return fmt.Sprintf("%s refuses requests from web pages (%s header): only programs on this machine may use it", d.Name, h)
		}
	}
	if !Request(r) {
		return fmt.Sprintf("%s answers only this machine, under a loopback host name (localhost, 127.0.0.1, [::1]), not %.100q", d.Name, r.Host)
	}
	return ""
}

// Wrap answers requests the door refuses with 403 and the reason as plain text, before next sees them.
func (d Door) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := d.Refusal(r); why != "" {
			http.Error(w, why, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
