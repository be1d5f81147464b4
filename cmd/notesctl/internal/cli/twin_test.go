package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authnotes/authnotes/cmd/notesctl/internal/cli"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/fakecfn"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/outbox"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/tokencache"
	"github.com/authnotes/authnotes/local/twin"
)

// The local twin runs the dev stage on free ports with its state in a temporary .local directory, started on first
// use (tests that need no stack do not pay for the synth) and stopped when the package's tests end.
var (
	twinOnce sync.Once
	twinErr  error
	running  *twin.Twin
	tmpRoot  string
	localDir string   // the temporary ".local": the twin's state is localDir/dev, as `make local` lays it out
	twinLog  *os.File // the twin's log; a failing test prints its tail
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if running != nil {
		if err := running.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "stop the twin:", err)
			code = 1
		}
	}
	if twinLog != nil {
		twinLog.Close()
	}
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

// localTwin returns the --local-dir of the running twin, starting it the first time.
func localTwin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the whole local twin; skipped with -short")
	}
	twinOnce.Do(func() { twinErr = startTwin() })
	if twinErr != nil {
		t.Fatalf("local twin: %v\n%s", twinErr, logTail())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("twin log (tail):\n%s", logTail())
		}
	})
	return localDir
}

func startTwin() error {
	repo, err := filepath.Abs("../../../..")
	if err != nil {
		return err
	}
	if tmpRoot, err = os.MkdirTemp("", "notesctl-twin-"); err != nil {
		return err
	}
	if twinLog, err = os.Create(filepath.Join(tmpRoot, "twin.log")); err != nil {
		return err
	}
	asm := filepath.Join(tmpRoot, "cdk.out")
	localDir = filepath.Join(tmpRoot, ".local")
	// Synthesize with the CDK CLI as `make local` does, into a private cloud assembly.
	if _, err := exec.LookPath("npx"); err != nil {
		return fmt.Errorf("npx is not on PATH: install Node.js 20+ (apt-get install -y nodejs npm), then run `npm ci`")
	}
	cmd := exec.Command("npx", "--no-install", "cdk", "synth", "NotesApi-dev", "--quiet", "-o", asm)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cdk synth NotesApi-dev: %w\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	running, err = twin.Start(ctx, twin.Options{
		Stage: "dev", RepoDir: repo, AssemblyDir: asm, NoSynth: true, StateDir: filepath.Join(localDir, "dev"),
		APIAddr: "127.0.0.1:0", CognitoAddr: "127.0.0.1:0", DynamoDBAddr: "127.0.0.1:0", Log: twinLog,
	})
	return err
}

func logTail() string {
	if twinLog == nil {
		return ""
	}
	b, _ := os.ReadFile(twinLog.Name())
	lines := strings.Split(string(b), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// local runs notesctl against the twin and fails the test unless it exits 0.
func local(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := notesctl(t, "", append([]string{"--local", "--local-dir", localDir}, args...)...)
	if code != 0 {
		t.Fatalf("notesctl --local %s = exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// localFails runs notesctl against the twin and wants exit 1 with wantErr on stderr.
func localFails(t *testing.T, wantErr string, args ...string) {
	t.Helper()
	code, stdout, stderr := notesctl(t, "", append([]string{"--local", "--local-dir", localDir}, args...)...)
	if code != 1 || !strings.Contains(stderr, wantErr) {
		t.Errorf("notesctl --local %s = exit %d, stdout %q, stderr %q; want exit 1 and %q", strings.Join(args, " "), code, stdout, stderr, wantErr)
	}
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return v
}

type jsonNote struct {
	NoteID  string `json:"noteId"`
	Title   string `json:"title"`
	Content string `json:"content"`
	Version int    `json:"version"`
}

// outboxCount is how many messages the local Cognito sent to user.
func outboxCount(t *testing.T, endpoint, user string) int {
	t.Helper()
	resp, err := http.Get(endpoint + "/_local/outbox?to=" + url.QueryEscape(user))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var box struct{ Messages []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&box); err != nil {
		t.Fatal(err)
	}
	return len(box.Messages)
}

func localOutputs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(localDir, "dev", "outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	return decode[map[string]string](t, string(b))
}

// TestTwinWalkthrough is the README's walk-through, checked: sign-up, confirmation, SRP sign-in, every notes
// command, automatic refresh, sign-out.
func TestTwinWalkthrough(t *testing.T) {
	localTwin(t)
	cfg := isolate(t)
	ctx := context.Background()
	const user = "walk@example.com"
	t.Setenv("NOTESCTL_PASSWORD", "Walk-through-9!")
	cognito := localOutputs(t)["CognitoEndpoint"]

	out := local(t, "signup", "-u", user)
	if !strings.Contains(out, "_local/outbox") || !strings.Contains(out, "confirm -u "+user) {
		t.Errorf("signup output %q; want the outbox hint and the next command", out)
	}
	localFails(t, "account not confirmed yet", "login", "-u", user)
	localFails(t, "wrong confirmation code", "confirm", "-u", user, "--code", "000000")
	if n := outboxCount(t, cognito, user); n != 1 {
		t.Fatalf("outbox has %d messages for %s after sign-up; want 1", n, user)
	}
	local(t, "confirm", "-u", user, "--resend")
	if n := outboxCount(t, cognito, user); n != 2 {
		t.Fatalf("outbox has %d messages for %s after --resend; want 2", n, user)
	}
	code, err := outbox.LatestCode(ctx, cognito, user)
	if err != nil {
		t.Fatal(err)
	}
	local(t, "confirm", "-u", user, "--code", code)
	// The dev client prevents user existence errors: confirming a confirmed user is answered like a wrong code, as
	// for a name nobody has, so the endpoint does not tell who has an account.
	localFails(t, "wrong confirmation code", "confirm", "-u", user, "--code", code)

	localFails(t, "incorrect username or password", "login", "-u", user, "--password", "Wrong-password-9!")
	out = local(t, "login", "-u", user)
	if !strings.Contains(out, "Signed in as "+user) {
		t.Errorf("login output %q; want the user", out)
	}
	cache := tokencache.New(filepath.Join(cfg, "config"))
	p := cache.Path("local-dev")
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token cache %s: %v, %v; want a 0600 file", p, fi, err)
	}

	who := decode[map[string]any](t, local(t, "--json", "whoami"))
	if who["username"] == "" || who["attributes"].(map[string]any)["email"] != user {
		t.Errorf("whoami --json = %v; want the user's attributes", who)
	}
	if _, ok := who["accessToken"]; ok {
		t.Error("whoami printed tokens without --show-tokens")
	}
	session, err := cache.Load("local-dev")
	if err != nil {
		t.Fatal(err)
	}
	out = local(t, "whoami")
	if strings.Contains(out, session.AccessToken) || strings.Contains(out, session.RefreshToken) {
		t.Error("whoami printed a token without --show-tokens")
	}
	if !strings.Contains(out, "signed in as:  "+user+"\n") || strings.Contains(out, "user name:") || !strings.Contains(out, "target:        local-dev") {
		t.Errorf("whoami =\n%s\nwant the sign-in name and the target, and no user name repeating the sub", out)
	}
	if out := local(t, "whoami", "--show-tokens"); !strings.Contains(out, session.AccessToken) {
		t.Error("whoami --show-tokens did not print the access token")
	}

	var ids []string
	for i := range 3 {
		n := decode[jsonNote](t, local(t, "--json", "notes", "create", "--title", fmt.Sprintf("note %d", i), "--content", fmt.Sprintf("text %d", i)))
		if n.NoteID == "" || n.Version != 1 {
			t.Fatalf("created %+v; want an id and version 1", n)
		}
		ids = append(ids, n.NoteID)
	}
	out = local(t, "notes", "list", "--limit", "2")
	if !strings.Contains(out, ids[2]) || !strings.Contains(out, ids[1]) || strings.Contains(out, ids[0]) || !strings.Contains(out, "More: notesctl --local --local-dir "+localDir+" notes list --limit 2 --cursor ") {
		t.Errorf("notes list --limit 2 =\n%s\nwant the two newest and a cursor hint", out)
	}
	page := decode[struct {
		Items      []jsonNote `json:"items"`
		NextCursor string     `json:"nextCursor"`
	}](t, local(t, "--json", "notes", "list", "--limit", "2"))
	rest := decode[struct{ Items []jsonNote }](t, local(t, "--json", "notes", "list", "--limit", "2", "--cursor", page.NextCursor))
	if len(page.Items) != 2 || len(rest.Items) != 1 || rest.Items[0].NoteID != ids[0] {
		t.Errorf("pages = %+v then %+v; want 2 then the oldest", page.Items, rest.Items)
	}
	all := decode[struct{ Items []jsonNote }](t, local(t, "--json", "notes", "list", "--all", "--limit", "1"))
	if len(all.Items) != 3 || all.Items[0].NoteID != ids[2] || all.Items[2].NoteID != ids[0] {
		t.Errorf("notes list --all = %+v; want the three notes newest first", all.Items)
	}

	// TAB after `notes get` offers the user's notes, with their titles.
	if out := local(t, "__complete", "notes", "get", ""); !strings.Contains(out, ids[0]+"\tnote 0\n") || !strings.Contains(out, ids[2]+"\tnote 2\n") {
		t.Errorf("__complete notes get = %q; want every note ID with its title", out)
	}
	out = local(t, "notes", "get", ids[0])
	if !strings.Contains(out, "version:  1") || !strings.Contains(out, "text 0") {
		t.Errorf("notes get = %q; want version 1 and the text", out)
	}
	edited := decode[jsonNote](t, local(t, "--json", "notes", "edit", ids[0], "--content", "new text"))
	if edited.Version != 2 || edited.Title != "note 0" || edited.Content != "new text" {
		t.Errorf("edit = %+v; want version 2, title kept, new text", edited)
	}
	stale := "note " + ids[0] + " is at version 2 now, not 1: someone changed it since"
	localFails(t, stale, "notes", "edit", ids[0], "--title", "stale", "--version", "1")
	localFails(t, "see it with `notesctl --local --local-dir "+localDir+" notes get "+ids[0]+"`, then try again", "notes", "edit", ids[0], "--title", "stale", "--version", "1")
	localFails(t, "nothing to change", "notes", "edit", ids[0])
	localFails(t, stale, "notes", "delete", ids[0], "--version", "1")
	local(t, "notes", "delete", ids[0], "--version", "2")
	localFails(t, "note "+ids[0]+" not found", "notes", "get", ids[0])

	// An access token about to expire is refreshed before the call, and the new one is cached.
	session, err = cache.Load("local-dev")
	if err != nil {
		t.Fatal(err)
	}
	expiring := session
	expiring.ExpiresAt = time.Now().Add(-time.Minute)
	if err := cache.Save("local-dev", expiring); err != nil {
		t.Fatal(err)
	}
	local(t, "notes", "list")
	refreshed, err := cache.Load("local-dev")
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.AccessToken == session.AccessToken || !refreshed.ExpiresAt.After(time.Now()) || refreshed.RefreshToken != session.RefreshToken {
		t.Errorf("after an expired token: cached expiry %v, token changed %v; want a fresh token, the refresh token kept",
			refreshed.ExpiresAt, refreshed.AccessToken != session.AccessToken)
	}

	local(t, "logout")
	localFails(t, "not signed in: run `notesctl --local --local-dir "+localDir+" login -u <you>`", "notes", "list")
	// The signed-out session's refresh token is dead at Cognito, not just forgotten here.
	if err := cache.Save("local-dev", expiring); err != nil {
		t.Fatal(err)
	}
	localFails(t, "run `notesctl --local --local-dir "+localDir+" login -u "+user+"` to sign in again", "notes", "list")

	// dev's app client allows USER_PASSWORD_AUTH, so --password-auth signs in too.
	local(t, "login", "-u", user, "--password-auth")
	if out := local(t, "notes", "list"); !strings.Contains(out, ids[1]) {
		t.Errorf("notes list after a password sign-in = %q; want the remaining notes", out)
	}

	// A session whose refresh fails is still signed out at Cognito with what is cached.
	live, err := cache.Load("local-dev")
	if err != nil {
		t.Fatal(err)
	}
	broken := live
	broken.RefreshToken, broken.ExpiresAt = "not-a-refresh-token", time.Now().Add(-time.Minute)
	if err := cache.Save("local-dev", broken); err != nil {
		t.Fatal(err)
	}
	if out := local(t, "logout"); !strings.Contains(out, "Signed out.") {
		t.Errorf("logout with a broken refresh token = %q; want Signed out.", out)
	}
	if err := cache.Save("local-dev", live); err != nil {
		t.Fatal(err)
	}
	localFails(t, "Access Token has been revoked: run `notesctl --local --local-dir "+localDir+" login -u <you>`", "whoami")
}

// TestTwinSmoke runs `notesctl smoke` against the twin: every step passes and the report lists them.
func TestTwinSmoke(t *testing.T) {
	localTwin(t)
	isolate(t)
	out := local(t, "smoke")
	t.Logf("notesctl --local smoke:\n%s", out)
	for _, step := range []string{"sign up user A", "confirm user A", "SRP sign-in user A", "create note", "edit note (If-Match)",
		"stale edit refused", "user B cannot reach A's note", "refresh session", "sign out (global + revoke)", "clean up: delete"} {
		if !strings.Contains(out, step) {
			t.Errorf("smoke report lacks %q:\n%s", step, out)
		}
	}
	if strings.Contains(out, "FAIL") || strings.Contains(out, "skipped") || !strings.Contains(out, "PASS:") {
		t.Errorf("smoke report:\n%s\nwant every step ok", out)
	}

	report := decode[struct {
		Passed bool
		Steps  []struct{ Step, Result string }
	}](t, local(t, "--json", "smoke"))
	if !report.Passed || len(report.Steps) < 15 {
		t.Errorf("smoke --json = %+v; want passed with every step", report)
	}
	for _, s := range report.Steps {
		if s.Result != "ok" {
			t.Errorf("smoke step %q = %s; want ok", s.Step, s.Result)
		}
	}
}

// TestTwinSmokeAsDeployed runs `notesctl smoke --stack …` the way it verifies a deployment: outputs from
// CloudFormation (a fake endpoint serving the twin's outputs), no local Cognito hint, so the throwaway users are
// confirmed with AdminConfirmSignUp using AWS credentials. The SDK's endpoint variable points Cognito at the twin.
func TestTwinSmokeAsDeployed(t *testing.T) {
	localTwin(t)
	dir := isolate(t)
	out := localOutputs(t)
	cognitoEndpoint := out["CognitoEndpoint"]
	delete(out, "CognitoEndpoint")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", fakecfn.Start(t, map[string]map[string]string{"NotesApi-dev": out}))
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", cognitoEndpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")

	code, stdout, stderr := notesctl(t, "", "smoke", "--stack", "NotesApi-dev", "--region", out["Region"])
	if code != 0 || !strings.Contains(stdout, "AdminConfirmSignUp") || !strings.Contains(stdout, "PASS:") {
		t.Errorf("smoke --stack = exit %d\nstdout: %s\nstderr: %s\nwant a pass with AdminConfirmSignUp", code, stdout, stderr)
	}

	// The same stack through a `cdk deploy --outputs-file` file, with the login cached under the stack's key.
	b, err := json.Marshal(map[string]map[string]string{"NotesApi-dev": out})
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, filepath.Join(dir, "cdk-outputs-dev.json"), string(b))
	code, stdout, stderr = notesctl(t, "", "--outputs", file, "--json", "smoke")
	if code != 0 || !decode[struct{ Passed bool }](t, stdout).Passed {
		t.Errorf("--outputs smoke = exit %d\nstdout: %s\nstderr: %s\nwant a pass", code, stdout, stderr)
	}
}

// TestTwinSmokeFailureCleansUp: when the API is down, or the run is interrupted (Ctrl-C) mid-way, smoke exits 1,
// marks the failed step and skips the rest, and still deletes the throwaway user it created.
func TestTwinSmokeFailureCleansUp(t *testing.T) {
	localTwin(t)
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	for _, interrupt := range []bool{false, true} {
		t.Run(fmt.Sprintf("interrupt=%v", interrupt), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := localOutputs(t)
			down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if interrupt {
					cancel() // as Ctrl-C would, while the first API call is in flight
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `{"message":"Service Unavailable"}`)
			}))
			t.Cleanup(down.Close)
			out["ApiUrl"] = down.URL + "/"
			t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", out["CognitoEndpoint"])
			b, err := json.Marshal(map[string]map[string]string{"NotesApi-dev": out})
			if err != nil {
				t.Fatal(err)
			}
			file := writeFile(t, filepath.Join(t.TempDir(), "outputs.json"), string(b))

			var stdout, stderr bytes.Buffer
			code := cli.Run(ctx, []string{"--outputs", file, "--json", "smoke"}, strings.NewReader(""), &stdout, &stderr)
			wantCode, wantErr := 1, "smoke test failed"
			if interrupt {
				wantCode, wantErr = 130, "interrupted: deleting the throwaway users (Ctrl-C again to leave them)"
			}
			if code != wantCode || !strings.Contains(stderr.String(), wantErr) {
				t.Fatalf("smoke = exit %d, stderr %q; want exit %d and %q", code, stderr.String(), wantCode, wantErr)
			}
			report := decode[struct {
				Passed bool
				Steps  []struct{ Step, Result, Detail string }
			}](t, stdout.String())
			results := map[string]string{}
			for _, s := range report.Steps {
				results[s.Step] = s.Result
			}
			want := map[string]string{
				"SRP sign-in user A": "ok", "create note": "FAIL", "list notes": "skipped", "sign up user B": "skipped",
				"clean up: delete user A": "ok",
			}
			for step, result := range want {
				if results[step] != result {
					t.Errorf("step %q = %q; want %q (report %+v)", step, results[step], result, report.Steps)
				}
			}
			if _, ok := results["clean up: delete user B"]; ok || report.Passed {
				t.Errorf("report %+v; want failed, and no cleanup for the user B that was never created", report)
			}
		})
	}
}

// TestTwinMistakes: what a newcomer reads after the usual mistakes — signing in before signing up, a wrong code
// until the code is spent, a wrong password until Cognito locks the user out.
func TestTwinMistakes(t *testing.T) {
	localTwin(t)
	isolate(t)
	const user = "mistakes@example.com"
	t.Setenv("NOTESCTL_PASSWORD", "Mistakes-are-9!")

	localFails(t, "sign in: incorrect username or password", "login", "-u", user)
	local(t, "signup", "-u", user)
	localFails(t, "sign up: that user already exists", "signup", "-u", user)
	cognito := localOutputs(t)["CognitoEndpoint"]
	code, err := outbox.LatestCode(context.Background(), cognito, user)
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	localFails(t, "wrong confirmation code: check the latest one, or run `notesctl --local --local-dir "+localDir+" confirm -u <you> --resend`", "confirm", "-u", user, "--code", wrong)
	for range 3 {
		notesctl(t, "", "--local", "--local-dir", localDir, "confirm", "-u", user, "--code", wrong)
	}
	localFails(t, "too many attempts (Attempt limit exceeded, please try after some time.): wait a while and try again, with a new code from `notesctl --local --local-dir "+localDir+" confirm -u <you> --resend`",
		"confirm", "-u", user, "--code", wrong)
	// Five wrong codes spend the code, as Cognito does: the right one is then refused as expired.
	localFails(t, "confirmation code expired: run `notesctl --local --local-dir "+localDir+" confirm -u <you> --resend`", "confirm", "-u", user, "--code", code)
	local(t, "confirm", "-u", user, "--resend")
	if code, err = outbox.LatestCode(context.Background(), cognito, user); err != nil {
		t.Fatal(err)
	}
	local(t, "confirm", "-u", user, "--code", code)
	// A resend for a confirmed user is a pretend delivery (user existence errors are prevented): nothing is sent.
	sent := outboxCount(t, cognito, user)
	local(t, "confirm", "-u", user, "--resend")
	if n := outboxCount(t, cognito, user); n != sent {
		t.Errorf("outbox has %d messages for %s after --resend of a confirmed user; want still %d", n, user, sent)
	}

	for range 5 {
		localFails(t, "incorrect username or password", "login", "-u", user, "--password", "Not-the-password-9!")
	}
	localFails(t, "too many failed sign-ins", "login", "-u", user)
}

// TestTwinLogoutOddCaches: logout still works with a token file others can read (it signs out at Cognito, since
// the session may have leaked) and with a damaged one (it forgets it and says the session may live on).
func TestTwinLogoutOddCaches(t *testing.T) {
	localTwin(t)
	cfg := isolate(t)
	const user = "odd-cache@example.com"
	t.Setenv("NOTESCTL_PASSWORD", "Odd-caches-are-9!")
	local(t, "signup", "-u", user)
	code, err := outbox.LatestCode(context.Background(), localOutputs(t)["CognitoEndpoint"], user)
	if err != nil {
		t.Fatal(err)
	}
	local(t, "confirm", "-u", user, "--code", code)
	cache := tokencache.New(filepath.Join(cfg, "config"))
	p := cache.Path("local-dev")

	local(t, "login", "-u", user)
	session, err := cache.Load("local-dev")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	localFails(t, "is readable by others (mode 0644)", "notes", "list")
	if out := local(t, "logout"); !strings.Contains(out, "Signed out.") {
		t.Errorf("logout with a 0644 token file = %q; want Signed out.", out)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("token file after logout: %v; want it gone", err)
	}
	// Signed out at Cognito, not just here: the leaked refresh token is dead.
	session.ExpiresAt = time.Now().Add(-time.Minute)
	if err := cache.Save("local-dev", session); err != nil {
		t.Fatal(err)
	}
	localFails(t, "Refresh Token has been revoked", "notes", "list")

	for _, damaged := range []string{`{"username":"odd`, `{}`} {
		writeFile(t, p, damaged)
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
		localFails(t, "is damaged", "notes", "list")
		localFails(t, "forgot the local session, but could not sign out at Cognito with it", "logout")
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("damaged token file %q after logout: %v; want it gone", damaged, err)
		}
		localFails(t, "not signed in", "notes", "list")
	}
}

// TestTwinJSONEverywhere: with --json every command prints one JSON document a script can parse, and nothing else.
func TestTwinJSONEverywhere(t *testing.T) {
	localTwin(t)
	isolate(t)
	const user = "json@example.com"
	t.Setenv("NOTESCTL_PASSWORD", "Json-everywhere-9!")
	cognito := localOutputs(t)["CognitoEndpoint"]
	js := func(wantKey string, args ...string) map[string]any {
		t.Helper()
		v := decode[map[string]any](t, local(t, append([]string{"--json"}, args...)...))
		if _, ok := v[wantKey]; !ok {
			t.Errorf("notesctl --json %s = %v; want key %q", strings.Join(args, " "), v, wantKey)
		}
		return v
	}
	if v := js("confirmed", "signup", "-u", user); v["confirmed"] != false || v["codeDestination"] == "" {
		t.Errorf("signup --json = %v; want unconfirmed with a code destination", v)
	}
	js("codeDestination", "confirm", "-u", user, "--resend")
	code, err := outbox.LatestCode(context.Background(), cognito, user)
	if err != nil {
		t.Fatal(err)
	}
	js("confirmed", "confirm", "-u", user, "--code", code)
	js("expiresAt", "login", "-u", user)
	js("attributes", "whoami")
	id, _ := js("noteId", "notes", "create", "--content", "c")["noteId"].(string)
	js("items", "notes", "list")
	js("version", "notes", "get", id)
	js("version", "notes", "edit", id, "--title", "t")
	if v := js("deleted", "notes", "delete", id); v["noteId"] != id {
		t.Errorf("delete --json = %v; want the note ID", v)
	}
	// In text, a note without a title is listed by the start of its text.
	local(t, "notes", "create", "--content", "no title here,\njust text")
	if out := local(t, "notes", "list"); !strings.Contains(out, `  "no title here, just text"`+"\n") {
		t.Errorf("notes list =\n%s\nwant the untitled note shown by its text", out)
	}
	js("signedOut", "logout")
	js("signedOut", "logout")
}
