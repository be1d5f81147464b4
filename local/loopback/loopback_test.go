package loopback

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestBrowser(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"curl or an SDK", map[string]string{"User-Agent": "aws-sdk-go-v2", "Authorization": "AWS4-HMAC-SHA256 x"}, ""},
		{"cross-site fetch", map[string]string{"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"}, "Origin"},
		{"Origin only", map[string]string{"Origin": "null"}, "Origin"},
		{"empty Origin", map[string]string{"Origin": ""}, "Origin"},
		{"navigation", map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, "Sec-Fetch-Mode"},
		{"site only", map[string]string{"Sec-Fetch-Site": "same-origin"}, "Sec-Fetch-Site"},
		{"a future fetch metadata header", map[string]string{"Sec-Fetch-Storage-Access": "none"}, "Sec-Fetch-Storage-Access"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if got := Browser(r); got != tc.want {
				t.Errorf("Browser(%v) = %q; want %q", tc.headers, got, tc.want)
			}
		})
	}
}

func TestDoor(t *testing.T) {
	reached := 0
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++; io.WriteString(w, "ok") })
	for _, tc := range []struct {
		name     string
		browsers bool
		host     string
		origin   string
		want     int
		msg      string
	}{
		{"a program", false, "127.0.0.1:9001", "", http.StatusOK, ""},
		{"a web page", false, "127.0.0.1:9001", "https://attacker.example", http.StatusForbidden, "refuses requests from web pages (Origin header)"},
		{"a web page where they are let in", true, "localhost:9001", "http://localhost:5173", http.StatusOK, ""},
		{"DNS rebinding", false, "rebind.attacker.example:9001", "", http.StatusForbidden, `not "rebind.attacker.example:9001"`},
		{"DNS rebinding where web pages are let in", true, "rebind.attacker.example:9001", "http://rebind.attacker.example:9001", http.StatusForbidden, "answers only this machine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reached = 0
			r := httptest.NewRequest("POST", "/", nil)
			r.RemoteAddr, r.Host = "127.0.0.1:40000", tc.host
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			w := httptest.NewRecorder()
			Door{Name: "the test server", Browsers: tc.browsers}.Wrap(next).ServeHTTP(w, r)
			if w.Code != tc.want || !strings.Contains(w.Body.String(), tc.msg) {
				t.Errorf("status, body = %d, %q; want %d, containing %q", w.Code, w.Body, tc.want, tc.msg)
			}
			if wantReached := tc.want == http.StatusOK; (reached == 1) != wantReached {
				t.Errorf("handler reached %d times; want reached = %v", reached, wantReached)
			}
		})
	}
}
