// Package loopback tells whether a request reached a local server from this machine under a loopback name, and
// whether an address is a loopback one. The twin's servers use it against DNS rebinding: a page on
// attacker.example whose name is re-pointed at 127.0.0.1 reaches them from a loopback address, but its requests
// still carry its own host name.
package loopback

import (
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
