package webapp

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/constructs/notesweb/site"
)

var testConfig = site.Config{
	ApiUrl: "http://127.0.0.1:3000/", Region: "us-east-1", UserPoolId: "us-east-1_AbC123", UserPoolClientId: "client123",
	CognitoEndpoint: "http://127.0.0.1:9229",
	PasswordPolicy:  site.PasswordPolicy{MinLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true},
}

const indexHTML = `<!doctype html><script type="module" src="/assets/index-AbC123.js"></script>`

// build writes a small stand-in for web/dist.
func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"index.html":              indexHTML,
		"favicon.svg":             "<svg/>",
		"assets/index-AbC123.js":  "console.log(1)",
		"assets/index-AbC123.css": "body{}",
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// serve runs the app on a free loopback port.
func serve(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(dir, testConfig, "http://127.0.0.1:3000", "http://127.0.0.1:9229"); err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type answer struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, s *Server, method, path, host string) answer {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+strings.TrimPrefix(path, "/"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func TestServesTheBuild(t *testing.T) {
	s := serve(t, build(t))
	for _, tc := range []struct {
		name, path               string
		status                   int
		contentType, cache, body string
	}{
		{"root", "/", 200, "text/html; charset=utf-8", "no-cache", indexHTML},
		{"index.html", "/index.html", 200, "text/html; charset=utf-8", "no-cache", indexHTML},
		{"hashed script", "/assets/index-AbC123.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "console.log(1)"},
		{"hashed style", "/assets/index-AbC123.css", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable", "body{}"},
		{"public file", "/favicon.svg", 200, "image/svg+xml", "no-cache", "<svg/>"},
		{"an app page falls back to index.html", "/note/01M8A6F9VK6V4M3T2RC7XJ5ZP9", 200, "text/html; charset=utf-8", "no-cache", indexHTML},
		{"another app page", "/new-note", 200, "text/html; charset=utf-8", "no-cache", indexHTML},
		{"a missing asset is a 404", "/assets/index-gone.js", 404, "", "", ""},
		{"a missing file is a 404", "/logo.png", 404, "", "", ""},
		{"no directory listing", "/assets/", 404, "", "", ""},
		{"no way out of the build", "/../../../etc/passwd", 200, "text/html; charset=utf-8", "no-cache", indexHTML},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := get(t, s, http.MethodGet, tc.path, "")
			if a.status != tc.status {
				t.Fatalf("GET %s = %d; want %d", tc.path, a.status, tc.status)
			}
			if tc.status != 200 {
				return
			}
			if got := a.header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("GET %s Content-Type = %q; want %q", tc.path, got, tc.contentType)
			}
			if got := a.header.Get("Cache-Control"); got != tc.cache {
				t.Errorf("GET %s Cache-Control = %q; want %q", tc.path, got, tc.cache)
			}
			if a.body != tc.body {
				t.Errorf("GET %s body = %q; want %q", tc.path, a.body, tc.body)
			}
		})
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	s := serve(t, build(t))
	want := site.Headers("http://127.0.0.1:3000", "http://127.0.0.1:9229")
	if !strings.Contains(want["Content-Security-Policy"], "connect-src 'self' http://127.0.0.1:3000 http://127.0.0.1:9229;") {
		t.Fatalf("site.Headers CSP = %q; want the API and Cognito origins in connect-src", want["Content-Security-Policy"])
	}
	for _, path := range []string{"/", "/assets/index-AbC123.js", "/config.json", "/assets/gone.js", "/note/x"} {
		a := get(t, s, http.MethodGet, path, "")
		for k, v := range want {
			if got := a.header.Get(k); got != v {
				t.Errorf("GET %s %s = %q; want %q", path, k, got, v)
			}
		}
	}
}

func TestConfigJSON(t *testing.T) {
	s := serve(t, build(t))
	a := get(t, s, http.MethodGet, "/config.json", "")
	if a.status != 200 || a.header.Get("Content-Type") != "application/json" || a.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET /config.json = %d, %q, %q; want 200 application/json no-cache", a.status, a.header.Get("Content-Type"), a.header.Get("Cache-Control"))
	}
	var got site.Config
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatalf("config.json %q: %v", a.body, err)
	}
	if diff := cmp.Diff(testConfig, got); diff != "" {
		t.Errorf("config.json (-want +got):\n%s", diff)
	}
}

func TestRefusesOtherHostNames(t *testing.T) {
	s := serve(t, build(t))
	for host, want := range map[string]int{
		"localhost:" + s.Port():                200,
		"127.0.0.1:" + s.Port():                200,
		"rebound.attacker.example:" + s.Port(): 403,
		"attacker.example":                     403,
	} {
		if a := get(t, s, http.MethodGet, "/config.json", host); a.status != want {
			t.Errorf("GET /config.json with Host %s = %d; want %d", host, a.status, want)
		} else if want == 403 && strings.Contains(a.body, "apiUrl") {
			t.Errorf("GET /config.json with Host %s leaked the config: %q", host, a.body)
		}
	}
}

func TestOnlyReads(t *testing.T) {
	s := serve(t, build(t))
	if a := get(t, s, http.MethodHead, "/", ""); a.status != 200 || a.body != "" || a.header.Get("Content-Length") != strconv.Itoa(len(indexHTML)) {
		t.Errorf("HEAD / = %d, body %q, Content-Length %q; want 200, no body, %d", a.status, a.body, a.header.Get("Content-Length"), len(indexHTML))
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		if a := get(t, s, m, "/", ""); a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s / = %d, Allow %q; want 405, GET, HEAD", m, a.status, a.header.Get("Allow"))
		}
	}
}

func TestListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0"} {
		if s, err := Listen(addr); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			if s != nil {
				s.Close()
			}
			t.Errorf("Listen(%q) = %v; want a refusal naming loopback", addr, err)
		}
	}
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if want := "http://localhost:" + s.Port() + "/"; s.URL() != want {
		t.Errorf("URL() = %q; want %q", s.URL(), want)
	}
	if diff := cmp.Diff([]string{"http://localhost:" + s.Port(), "http://127.0.0.1:" + s.Port()}, s.Origins()); diff != "" {
		t.Errorf("Origins() (-want +got):\n%s", diff)
	}
	if _, err := Listen("127.0.0.1:" + s.Port()); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Listen on an address in use = %v; want address already in use", err)
	}
}

func TestNoBuildSaysHowToMakeOne(t *testing.T) {
	_, err := Handler(t.TempDir(), testConfig)
	if !errors.Is(err, ErrNoBuild) || !strings.Contains(err.Error(), "make web") {
		t.Errorf("Handler(empty dir) = %v; want ErrNoBuild naming `make web`", err)
	}
}
