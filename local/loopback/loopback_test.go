package loopback

import (
	"net/http/httptest"
	"testing"
)

func TestHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LOCALHOST:5173", true},
		{"127.0.0.1:5173", true},
		{"127.8.9.10", true},
		{"[::1]:5173", true},
		{"::1", true},
		{"attacker.example", false},
		{"attacker.example:5173", false},
		{"localhost.attacker.example", false},
		{"10.0.0.5:5173", false},
		{"0.0.0.0:5173", false},
		{"", false},
	} {
		if got := Host(tc.host); got != tc.want {
			t.Errorf("Host(%q) = %v; want %v", tc.host, got, tc.want)
		}
	}
}

func TestRequest(t *testing.T) {
	for _, tc := range []struct {
		remote, host string
		want         bool
	}{
		{"127.0.0.1:40000", "localhost:5173", true},
		{"[::1]:40000", "[::1]:5173", true},
		{"127.0.0.1:40000", "rebound.attacker.example:5173", false}, // DNS rebinding
		{"192.168.1.20:40000", "localhost:5173", false},             // another machine
		{"garbage", "localhost", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr, r.Host = tc.remote, tc.host
		if got := Request(r); got != tc.want {
			t.Errorf("Request(from %s to %s) = %v; want %v", tc.remote, tc.host, got, tc.want)
		}
	}
}

func TestAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:5173", true},
		{"127.0.0.1:0", true},
		{"[::1]:5173", true},
		{"localhost:5173", true},
		{"0.0.0.0:5173", false},
		{":5173", false},
		{"192.168.1.2:5173", false},
		{"127.0.0.1", false},
	} {
		if got := Addr(tc.addr); got != tc.want {
			t.Errorf("Addr(%q) = %v; want %v", tc.addr, got, tc.want)
		}
	}
}
