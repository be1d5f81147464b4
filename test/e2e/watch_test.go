package e2e

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/authnotes/authnotes/local/twin"
)

// TestWatchMode runs the twin in watch mode on a copy of the module and edits the copy as a developer would: a
// handler change is served without a restart, a compile error keeps the last good build serving, a fix reloads,
// and an infrastructure change (a route added with the construct's AddRoute, a throttle, the access tokens'
// validity) is synthesized and applied; users, tokens and notes survive, and requests in flight during the
// reloads all succeed. One synth (the infrastructure edit).
func TestWatchMode(t *testing.T) {
	skipShort(t)
	repo := copyModule(t)
	log := &syncBuffer{}
	tw := startWatching(t, repo, log, nil)
	e := newEnv(t, tw)
	e.signUp("watch@example.com")
	token := aws.ToString(e.signIn("watch@example.com").AccessToken)
	want(t, "create a note before the reloads", e.call("POST", "/notes", token, `{"title":"before","content":"kept"}`), http.StatusCreated, "")
	missing := func() reply { return e.call("GET", "/notes/01ARZ3NDEKTSV4RRFFQ69G5FAV", token, "") }
	wantIn(t, "a missing note", missing(), http.StatusNotFound, `"note not found"`)

	// Requests keep coming while the handlers are swapped; none may fail.
	load := startLoad(e, token, 2)

	errorsGo := filepath.Join(repo, "lambda", "internal", "httpapi", "errors.go")
	edit(t, errorsGo, `"note not found"`, `"note not found (reloaded once)"`)
	waitFor(t, "the edited handler to answer", func() bool { return strings.Contains(missing().body, "reloaded once") })
	if !strings.Contains(log.String(), "twin: reloaded ") {
		t.Errorf("the log has no reload line:\n%s", tail(log.String(), 20))
	}
	if got := e.listTitles(token, 10); len(got) != 1 || got[0] != "before" {
		t.Errorf("notes after the reload = %q; want [before] with the token issued before", got)
	}

	// A compile error: the compiler's message is printed, the last good build keeps answering.
	edit(t, errorsGo, `"note not found (reloaded once)"`, `"note not found (reloaded once)" + undefinedName`)
	waitFor(t, "the compile error in the log", func() bool { return strings.Contains(log.String(), "undefined: undefinedName") })
	if out := log.String(); !strings.Contains(out, "errors.go:") || !strings.Contains(out, "still serving the last good build") {
		t.Errorf("the compile error does not name the file and line and what keeps serving:\n%s", tail(out, 20))
	}
	wantIn(t, "the last good build after a compile error", missing(), http.StatusNotFound, "reloaded once")
	edit(t, errorsGo, `"note not found (reloaded once)" + undefinedName`, `"note not found (fixed)"`)
	waitFor(t, "the fixed handler to answer", func() bool { return strings.Contains(missing().body, "(fixed)") })

	if n, failed := load.stop(); failed != "" {
		t.Errorf("requests in flight during the reloads failed (%d sent): %s", n, failed)
	} else if n == 0 {
		t.Error("no request was sent during the reloads")
	}

	// Infrastructure: a route through AddRoute, a tighter throttle, shorter access tokens; one synth.
	stack := filepath.Join(repo, "stacks", "stack.go")
	edit(t, stack, `	api := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("NotesApi"), &cfg.Api)
`, `	api := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("NotesApi"), &cfg.Api)
	api.AddRoute(awsapigatewayv2.HttpMethod_GET, "/recent", awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("RecentIntegration"), api.Function("GET /notes"), nil))
`)
	edit(t, stack, "import (\n", "import (\n\t\"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2\"\n\t\"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations\"\n")
	config := filepath.Join(repo, "stacks", "config.go")
	edit(t, config, `				ThrottleRateLimit:     jsii.Number(100),
				ThrottleBurstLimit:    jsii.Number(200),
`, `				ThrottleRateLimit:     jsii.Number(1),
				ThrottleBurstLimit:    jsii.Number(3),
				AccessTokenValidity:   10 * time.Minute,
`)
	if !strings.Contains(readFile(t, config), "\t\"time\"\n") {
		edit(t, config, "import (\n", "import (\n\t\"time\"\n")
	}
	waitFor(t, "the infrastructure change to be applied", func() bool {
		out := log.String()
		if strings.Contains(out, "synth failed") {
			t.Fatalf("synth failed:\n%s", tail(out, 40))
		}
		return strings.Contains(out, "twin: applied NotesApi-dev")
	})
	r := e.call("GET", "/recent", token, "")
	wantIn(t, "the added route with the token issued before", r, http.StatusOK, `"before"`)
	throttled := false
	for range 10 {
		if e.call("GET", "/notes", token, "").status == http.StatusTooManyRequests {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Error("10 requests at once got no 429 after the throttle became 1 per second, burst 3")
	}
	fresh := claimsOf(t, aws.ToString(e.signIn("watch@example.com").AccessToken))
	if ttl := fresh["exp"].(float64) - fresh["iat"].(float64); ttl != 600 {
		t.Errorf("a new access token lives %vs; want 600 (10 minutes) after the reload", ttl)
	}
	if strings.Contains(log.String(), "twin: stopped") {
		t.Error("the twin restarted")
	}
}

// startWatching starts the twin in watch mode on a copy of the module; it stops when the test ends.
func startWatching(t testing.TB, repo string, log *syncBuffer, reloaded func(twin.Reload)) *twin.Twin {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tw, err := twin.Start(ctx, twin.Options{
		Stage: "dev", RepoDir: repo, AssemblyDir: filepath.Join(repo, "cdk.out"), NoSynth: true,
		StateDir: filepath.Join(t.TempDir(), "state"), APIAddr: "127.0.0.1:0", CognitoAddr: "127.0.0.1:0",
		DynamoDBAddr: "127.0.0.1:0", Watch: true, Reloaded: reloaded, Log: log,
	})
	if err != nil {
		t.Fatalf("start the twin: %v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		if err := tw.Close(); err != nil {
			t.Errorf("stop the twin: %v", err)
		}
		if t.Failed() {
			t.Logf("twin log:\n%s", tail(log.String(), 80))
		}
	})
	return tw
}

// copyModule copies the module's sources into a temporary folder with the e2e assembly as its cdk.out; npm
// packages and the web app's build are linked, not copied.
func copyModule(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "authnotes")
	err := filepath.WalkDir(repoDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoDir, path)
		if d.IsDir() {
			switch rel {
			case ".git", "node_modules", "cdk.out", ".local", "bin", "web", "test":
				return filepath.SkipDir
			}
			if strings.HasPrefix(rel, "cdk.") || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{"node_modules", "web"} {
		if err := os.Symlink(filepath.Join(repoDir, link), filepath.Join(dst, link)); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("cp", "-R", assemblyDir, filepath.Join(dst, "cdk.out")).CombinedOutput(); err != nil {
		t.Fatalf("copy the assembly: %v\n%s", err, out)
	}
	return dst
}

// wantIn checks a reply's status and that its body contains part.
func wantIn(t *testing.T, what string, r reply, status int, part string) {
	t.Helper()
	if r.status != status || !strings.Contains(r.body, part) {
		t.Errorf("%s = %d %s; want %d with %s", what, r.status, r.body, status, part)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit replaces old with new in a file of the copy, once, as an editor's save does.
func edit(t testing.TB, path, old, new string) {
	t.Helper()
	s := readFile(t, path)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(s, old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// load sends requests from a few clients until stop, recording the first failure. Each client pauses between
// requests so that together they stay below the dev stage's throttle (100 requests per second).
type load struct {
	sent   atomic.Int64
	mu     sync.Mutex
	failed string
	done   chan struct{}
	wg     sync.WaitGroup
}

func startLoad(e *env, token string, clients int) *load {
	l := &load{done: make(chan struct{})}
	httpc := &http.Client{Timeout: time.Minute}
	for range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.done:
					return
				default:
				}
				req, _ := http.NewRequest("GET", e.apiBase+"/notes", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := httpc.Do(req)
				l.sent.Add(1)
				status := 0
				if err == nil {
					status = resp.StatusCode
					resp.Body.Close()
				}
				if err != nil || status != http.StatusOK {
					l.mu.Lock()
					if l.failed == "" {
						l.failed = fmt.Sprintf("GET /notes = %d, %v", status, err)
					}
					l.mu.Unlock()
				}
				time.Sleep(40 * time.Millisecond)
			}
		}()
	}
	return l
}

func (l *load) stop() (int64, string) {
	close(l.done)
	l.wg.Wait()
	return l.sent.Load(), l.failed
}
