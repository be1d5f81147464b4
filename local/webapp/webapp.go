// Package webapp serves the built notes web app (web/dist) on loopback for the local twin, the way CloudFront
// serves it in AWS: /config.json generated for this stage, index.html for the app's own paths (SPA fallback),
// hashed assets cached for good and the rest revalidated, and the security headers of package site on every
// answer. It answers only to loopback host names, against DNS rebinding.
package webapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/authnotes/authnotes/constructs/notesweb/site"
	"github.com/authnotes/authnotes/local/loopback"
)

// DefaultAddr is the web app's address in the local twin (ARCHITECTURE.md); the browser opens it as
// http://localhost:5173, the origin the dev stage's CORS allows.
const DefaultAddr = "127.0.0.1:5173"

// Cache-Control values: Vite names every file under assets/ after a hash of its content, so those never change;
// everything else (index.html, config.json, favicon) is revalidated on each load, so a new build shows at once.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// contentTypes are set explicitly for what a Vite build holds, rather than from the system's MIME tables, which
// differ between machines.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".webp":        "image/webp",
	".woff2":       "font/woff2",
	".txt":         "text/plain; charset=utf-8",
	".webmanifest": "application/manifest+json",
}

// Server is the web app's listener, bound before it serves so the twin knows its origin (for CORS) early.
type Server struct {
	ln   net.Listener
	http *http.Server
	done chan struct{}
}

// Listen binds addr, which must be a loopback address: the app and its config are for this machine only.
func Listen(addr string) (*Server, error) {
	if !loopback.Addr(addr) {
		return nil, fmt.Errorf("web app address %q is not a loopback address: the twin serves the web app to this machine only (use 127.0.0.1:PORT)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s for the web app: %w (is another twin running?)", addr, err)
	}
	return &Server{ln: ln}, nil
}

// Port is the port the server listens on.
func (s *Server) Port() string {
	_, port, _ := net.SplitHostPort(s.ln.Addr().String())
	return port
}

// URL is the app's address as a browser opens it: http://localhost:<port>/.
func (s *Server) URL() string { return "http://localhost:" + s.Port() + "/" }

// Origins are the browser origins the app has when opened from this server: localhost and the listening IP.
func (s *Server) Origins() []string {
	return []string{"http://localhost:" + s.Port(), "http://" + s.ln.Addr().String()}
}

// Serve starts serving the build in dir with cfg as /config.json and the security headers for an app that
// calls connectSrc (the API and Cognito origins).
func (s *Server) Serve(dir string, cfg site.Config, connectSrc ...string) error {
	h, err := Handler(dir, cfg, connectSrc...)
	if err != nil {
		return err
	}
	s.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		_ = s.http.Serve(s.ln) // http.ErrServerClosed on Close
	}()
	return nil
}

// Close stops serving (or releases the address when Serve never ran).
func (s *Server) Close() error {
	if s.http == nil {
		return s.ln.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		s.http.Close() // idle keep-alive connections of a browser hold Shutdown; nothing is lost by cutting them
	}
	<-s.done
	return nil
}

// ErrNoBuild means the build directory holds no index.html.
var ErrNoBuild = errors.New("the web app is not built")

// CheckBuild reports ErrNoBuild, with how to build it, when dir holds no index.html.
func CheckBuild(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		return fmt.Errorf("%w: %s has no index.html; build it with `make web` (needs npm)", ErrNoBuild, dir)
	}
	return nil
}

// Handler serves the build in dir. The files are read on each request, so a rebuild shows without a restart.
func Handler(dir string, cfg site.Config, connectSrc ...string) (http.Handler, error) {
	if err := CheckBuild(dir); err != nil {
		return nil, err
	}
	config, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", site.ConfigPath, err)
	}
	return &handler{files: os.DirFS(dir), config: append(config, '\n'), headers: site.Headers(connectSrc...)}, nil
}

// door lets in only this machine under a loopback host name; the app is for the browser, so web pages may.
var door = loopback.Door{Name: "the local web app", Browsers: true}

type handler struct {
	files   fs.FS
	config  []byte
	headers map[string]string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range h.headers {
		w.Header().Set(k, v)
	}
	if why := door.Refusal(r); why != "" {
		http.Error(w, why, http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == site.ConfigPath {
		w.Header().Set("Cache-Control", cacheRevalidate)
		w.Header().Set("Content-Type", "application/json")
		http.ServeContent(w, r, "config.json", time.Time{}, bytes.NewReader(h.config))
		return
	}
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	f, info, ok := h.open(name)
	if !ok {
		// A missing file with an extension, or anything under assets/, is a broken link to a file: 404. Any other
		// path is one of the app's own pages (/note/…), which index.html renders.
		if name == "assets" || strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
			http.NotFound(w, r)
			return
		}
		name = "index.html"
		if f, info, ok = h.open(name); !ok {
			http.NotFound(w, r)
			return
		}
	}
	defer f.Close()
	cache := cacheRevalidate
	if strings.HasPrefix(name, "assets/") {
		cache = cacheImmutable
	}
	w.Header().Set("Cache-Control", cache)
	ct := contentTypes[path.Ext(name)]
	if ct == "" {
		ct = mime.TypeByExtension(path.Ext(name))
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	http.ServeContent(w, r, name, info.ModTime(), f)
}

// file is what os.DirFS opens: a seekable file, as http.ServeContent needs for ranges and HEAD.
type file interface {
	fs.File
	io.ReadSeeker
}

// open opens a regular file of the build; directories and invalid names are not files.
func (h *handler) open(name string) (file, fs.FileInfo, bool) {
	if !fs.ValidPath(name) {
		return nil, nil, false
	}
	opened, err := h.files.Open(name)
	if err != nil {
		return nil, nil, false
	}
	f, seekable := opened.(file)
	info, err := opened.Stat()
	if !seekable || err != nil || !info.Mode().IsRegular() {
		opened.Close()
		return nil, nil, false
	}
	return f, info, true
}
