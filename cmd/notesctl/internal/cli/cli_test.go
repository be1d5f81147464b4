package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/cmd/notesctl/internal/cli"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/fakecfn"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/tokencache"
)

// notesctl runs the command tree in-process, as the binary would, and returns its exit code and output.
func notesctl(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// isolate gives the test its own token cache and keeps the caller's AWS settings and password out.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("NOTESCTL_CONFIG_DIR", filepath.Join(dir, "config"))
	t.Setenv("NOTESCTL_PASSWORD", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "aws-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	return dir
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestErrorsSayWhatToDo(t *testing.T) {
	dir := isolate(t)
	outputs := writeFile(t, filepath.Join(dir, "cdk-outputs-dev.json"),
		`{"NotesApi-dev":{"ApiUrl":"https://abc.execute-api.eu-west-1.amazonaws.com/","UserPoolId":"eu-west-1_AbCdEfGhI","UserPoolClientId":"abcdefghijklmnopqrstuvwxyz","TableName":"T","Region":"eu-west-1"}}`)
	local := filepath.Join(dir, ".local")
	writeFile(t, filepath.Join(local, "dev", "outputs.json"),
		`{"ApiUrl":"http://127.0.0.1:1/","UserPoolId":"us-east-1_AbCdEfGhI","UserPoolClientId":"c","TableName":"T","Region":"us-east-1","CognitoEndpoint":"http://127.0.0.1:1"}`)
	spaced := filepath.Join(dir, "my twin", ".local")
	writeFile(t, filepath.Join(spaced, "qa", "outputs.json"),
		`{"ApiUrl":"http://127.0.0.1:1/","UserPoolId":"us-east-1_AbCdEfGhI","UserPoolClientId":"c","TableName":"T","Region":"us-east-1","CognitoEndpoint":"http://127.0.0.1:1"}`)
	cfn := fakecfn.Start(t, map[string]map[string]string{"NotesApi-dev": {
		"ApiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/", "UserPoolId": "eu-west-1_AbCdEfGhI",
		"UserPoolClientId": "abcdefghijklmnopqrstuvwxyz", "TableName": "T", "Region": "eu-west-1",
	}})
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", cfn)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no target", []string{"whoami"}, "no target: pass --local"},
		{"two targets", []string{"--local", "--outputs", outputs, "whoami"}, "choose one target"},
		{"local stage not running", []string{"--local", "--local-dir", local, "--stage", "prod", "whoami"}, "make local STAGE=prod"},
		{"outputs file without the stack", []string{"--outputs", outputs, "--stack", "NotesApi-prod", "whoami"}, "has no stack NotesApi-prod"},
		{"stack missing in region", []string{"--stack", "NotesApi-x", "--region", "eu-west-1", "whoami"}, "stack NotesApi-x not found in region eu-west-1"},
		{"stack without a region", []string{"--stack", "NotesApi-dev", "whoami"}, "pass --region or set AWS_REGION"},
		{"not signed in (outputs)", []string{"--outputs", outputs, "whoami"}, "not signed in: run `notesctl --outputs " + outputs + " login -u <you>`"},
		{"not signed in (stack)", []string{"--stack", "NotesApi-dev", "--region", "eu-west-1", "notes", "list"}, "not signed in: run `notesctl --stack NotesApi-dev --region eu-west-1 login -u <you>`"},
		{"not signed in (local)", []string{"--local", "--local-dir", local, "notes", "get", "01J"}, "not signed in: run `notesctl --local --local-dir " + local + " login -u <you>`"},
		{"not signed in (quoted)", []string{"--local", "--local-dir", spaced, "--stage", "qa", "notes", "list"}, "not signed in: run `notesctl --local --stage qa --local-dir '" + spaced + "' login -u <you>`"},
		{"no password without a terminal", []string{"--outputs", outputs, "login", "-u", "a@example.com"}, "no password: pass --password, set NOTESCTL_PASSWORD"},
		{"login needs a username", []string{"--outputs", outputs, "login"}, `required flag(s) "username" not set`},
		{"confirm needs a code or --resend", []string{"--outputs", outputs, "confirm", "-u", "a@example.com"}, "pass either --code CODE or --resend"},
		{"create needs text", []string{"--outputs", outputs, "notes", "create", "--title", "t"}, "a note needs text"},
		{"content and file", []string{"--outputs", outputs, "notes", "create", "--content", "c", "--file", "-"}, "pass --content or --file, not both"},
		{"list all and cursor", []string{"--outputs", outputs, "notes", "list", "--all", "--cursor", "x"}, "pass --all or --cursor, not both"},
		{"get needs an id", []string{"--outputs", outputs, "notes", "get"}, "accepts 1 arg(s), received 0: the note ID (from `notesctl --outputs " + outputs + " notes list`)"},
		{"get with an empty id", []string{"--outputs", outputs, "notes", "get", ""}, "the note ID is empty"},
		{"delete with a blank id", []string{"--outputs", outputs, "notes", "delete", " "}, "the note ID is empty"},
		{"no timeout", []string{"--outputs", outputs, "--timeout", "0s", "whoami"}, "--timeout 0s: want a positive duration"},
		{"mistyped notes command", []string{"--outputs", outputs, "notes", "show", "01J"}, `unknown command "show" for "notesctl notes"`},
		{"unknown shell", []string{"completion", "tcsh"}, `unknown command "tcsh" for "notesctl completion"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := notesctl(t, "", tt.args...)
			if code != 1 || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("notesctl %v = exit %d, stderr %q; want exit 1 and %q", tt.args, code, stderr, tt.wantErr)
			}
			if stdout != "" {
				t.Errorf("notesctl %v printed %q on stdout; want nothing", tt.args, stdout)
			}
		})
	}
}

// TestStackWithoutCredentials: with no AWS credentials anywhere (and no instance metadata), --stack says so and
// points at --outputs, before any CloudFormation call.
func TestStackWithoutCredentials(t *testing.T) {
	isolate(t)
	code, stdout, stderr := notesctl(t, "", "--stack", "NotesApi-dev", "--region", "eu-west-1", "notes", "list")
	if code != 1 || !strings.Contains(stderr, "no AWS credentials to read stack NotesApi-dev") || !strings.Contains(stderr, "--outputs FILE") {
		t.Errorf("--stack without credentials = exit %d, stderr %q; want the no-credentials error", code, stderr)
	}
	if strings.Contains(stdout+stderr, "SDK ") {
		t.Errorf("output carries the SDK's own log lines: %q", stdout+stderr)
	}
}

// TestNoteTextTooLarge: text over 1 MiB from stdin or a file is refused before any request, naming where it came
// from and the API's limit.
func TestNoteTextTooLarge(t *testing.T) {
	dir := isolate(t)
	outputs := writeFile(t, filepath.Join(dir, "o.json"),
		`{"NotesApi-dev":{"ApiUrl":"http://127.0.0.1:1/","UserPoolId":"eu-west-1_AbCdEfGhI","UserPoolClientId":"c","Region":"eu-west-1"}}`)
	huge := strings.Repeat("a", 1<<20+1)
	file := writeFile(t, filepath.Join(dir, "huge.md"), huge)
	for _, tt := range []struct{ stdin, file, want string }{
		{huge, "-", "note text in stdin is over 1 MiB: the API takes at most 64 KiB (65,536 bytes)"},
		{"", file, "note text in " + file + " is over 1 MiB"},
	} {
		code, _, stderr := notesctl(t, tt.stdin, "--outputs", outputs, "notes", "create", "--file", tt.file)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("notes create --file %s (1 MiB + 1) = exit %d, %q; want exit 1 and %q", tt.file, code, stderr, tt.want)
		}
	}
}

func TestUnreachableAPI(t *testing.T) {
	dir := isolate(t)
	local := filepath.Join(dir, ".local")
	writeFile(t, filepath.Join(local, "dev", "outputs.json"),
		`{"ApiUrl":"http://127.0.0.1:1/","UserPoolId":"us-east-1_AbCdEfGhI","UserPoolClientId":"c","Region":"us-east-1","CognitoEndpoint":"http://127.0.0.1:1"}`)
	cache := tokencache.New(filepath.Join(dir, "config"))
	if err := cache.Save("local-dev", tokencache.Tokens{AccessToken: "a", RefreshToken: "r", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := notesctl(t, "", "--local", "--local-dir", local, "notes", "list")
	if code != 1 || !strings.Contains(stderr, "cannot reach the API") || !strings.HasSuffix(stderr, "check the target and your network; is `make local` running?\n") {
		t.Errorf("notes list against a closed port = exit %d, %q; want the cannot-reach hint", code, stderr)
	}
	code, _, stderr = notesctl(t, "", "--local", "--local-dir", local, "login", "-u", "a@example.com", "--password", "p")
	if code != 1 || !strings.Contains(stderr, "sign in: cannot reach Cognito") || !strings.HasSuffix(stderr, "; is `make local` running?\n") {
		t.Errorf("login against a closed port = exit %d, %q; want the cannot-reach hint", code, stderr)
	}
	// An AWS target has no twin to start.
	outputs := writeFile(t, filepath.Join(dir, "o.json"),
		`{"NotesApi-dev":{"ApiUrl":"http://127.0.0.1:1/","UserPoolId":"us-east-1_AbCdEfGhI","UserPoolClientId":"c","Region":"us-east-1"}}`)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://127.0.0.1:1")
	code, _, stderr = notesctl(t, "", "--outputs", outputs, "login", "-u", "a@example.com", "--password", "p")
	if code != 1 || !strings.Contains(stderr, "cannot reach Cognito") || strings.Contains(stderr, "make local") {
		t.Errorf("login against a closed port (AWS target) = exit %d, %q; want the cannot-reach hint without make local", code, stderr)
	}

	// logout forgets the session even so, and says how to end it at Cognito later.
	code, _, stderr = notesctl(t, "", "--local", "--local-dir", local, "logout")
	if code != 1 || !strings.Contains(stderr, "signing out at Cognito failed") || !strings.Contains(stderr, "then `notesctl --local --local-dir "+local+" logout` (its global sign-out ends every session)") {
		t.Errorf("logout with Cognito down = exit %d, %q; want the failure and how to sign out later", code, stderr)
	}
	if _, err := cache.Load("local-dev"); !errors.Is(err, tokencache.ErrNotSignedIn) {
		t.Errorf("session after logout with Cognito down: %v; want it forgotten", err)
	}
}

func TestLogoutWhenSignedOutIsFine(t *testing.T) {
	dir := isolate(t)
	outputs := writeFile(t, filepath.Join(dir, "o.json"),
		`{"NotesApi-dev":{"ApiUrl":"https://abc.execute-api.eu-west-1.amazonaws.com/","UserPoolId":"eu-west-1_AbCdEfGhI","UserPoolClientId":"c","Region":"eu-west-1"}}`)
	code, stdout, stderr := notesctl(t, "", "--outputs", outputs, "logout")
	if code != 0 || !strings.Contains(stdout, "Not signed in") {
		t.Errorf("logout while signed out = exit %d, %q, %q; want exit 0 and a note", code, stdout, stderr)
	}
}

func TestCompletion(t *testing.T) {
	isolate(t)
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, stdout, stderr := notesctl(t, "", "completion", shell)
		if code != 0 || !strings.Contains(stdout, "notesctl") {
			t.Errorf("completion %s = exit %d, %d bytes, stderr %q; want a script", shell, code, len(stdout), stderr)
		}
	}
	// What the shell scripts ask for at each TAB (`notesctl __complete ARGS…`): candidates, then ":directive".
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--stage", ""}, "dev\nstaging\nprod\n:4\n"},
		{[]string{"--stack", "NotesApi-"}, "NotesApi-dev\nNotesApi-staging\nNotesApi-prod\n:4\n"},
		{[]string{"--outputs", ""}, "json\n:8\n"},                                          // files ending .json
		{[]string{"--local-dir", ""}, ":16\n"},                                             // directories
		{[]string{"notes", "create", "--file", ""}, ":0\n"},                                // any file
		{[]string{"--local", "notes", "get", ""}, ":4\n"},                                  // not signed in: no IDs, no files
		{[]string{"notes", ""}, "create\tCreate a note (--content TEXT or --file PATH)\n"}, // subcommands
	}
	for _, tt := range tests {
		code, stdout, _ := notesctl(t, "", append([]string{"__complete"}, tt.args...)...)
		if code != 0 || !strings.HasPrefix(stdout, tt.want) {
			t.Errorf("__complete %q = exit %d, %q; want %q", tt.args, code, stdout, tt.want)
		}
	}
}

// silentServer accepts connections and never answers, like a firewall that swallows packets after the handshake.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// TestSilentEndpointsTimeOut: a Cognito, API or CloudFormation endpoint that never answers ends in an error
// naming --timeout, instead of a command that hangs forever (the SDK's HTTP client has no timeout of its own).
func TestSilentEndpointsTimeOut(t *testing.T) {
	dir := isolate(t)
	silent := silentServer(t)
	local := filepath.Join(dir, ".local")
	writeFile(t, filepath.Join(local, "dev", "outputs.json"),
		`{"ApiUrl":"`+silent+`/","UserPoolId":"us-east-1_AbCdEfGhI","UserPoolClientId":"c","Region":"us-east-1","CognitoEndpoint":"`+silent+`"}`)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", silent)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	fresh := tokencache.Tokens{AccessToken: "a", RefreshToken: "r", ExpiresAt: time.Now().Add(time.Hour)}
	expired := fresh
	expired.ExpiresAt = time.Now().Add(-time.Hour)
	cache := tokencache.New(filepath.Join(dir, "config"))

	tests := []struct {
		name    string
		session *tokencache.Tokens
		args    []string
		wantErr string
	}{
		{"login", nil, []string{"--local", "--local-dir", local, "login", "-u", "a@example.com", "--password", "p"}, "Cognito did not answer in time"},
		{"refresh", &expired, []string{"--local", "--local-dir", local, "notes", "list"}, "Cognito did not answer in time"},
		{"api", &fresh, []string{"--local", "--local-dir", local, "notes", "list"}, "the API did not answer in time"},
		{"smoke", nil, []string{"--local", "--local-dir", local, "smoke"}, "smoke test failed"},
		{"stack", nil, []string{"--stack", "NotesApi-dev", "--region", "eu-west-1", "whoami"}, "CloudFormation did not answer in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := cache.Delete("local-dev"); err != nil {
				t.Fatal(err)
			}
			if tt.session != nil {
				if err := cache.Save("local-dev", *tt.session); err != nil {
					t.Fatal(err)
				}
			}
			code, _, stderr := notesctl(t, "", append([]string{"--timeout", "200ms"}, tt.args...)...)
			if code != 1 || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("notesctl %v = exit %d, stderr %q; want exit 1 and %q", tt.args, code, stderr, tt.wantErr)
			}
		})
	}
}

// TestHelp: every command's --help says what it does and shows at least one example to copy.
func TestHelp(t *testing.T) {
	isolate(t)
	for _, cmd := range []string{"", "signup", "confirm", "login", "logout", "whoami", "notes create", "notes list",
		"notes get", "notes edit", "notes delete", "smoke"} {
		args := append(strings.Fields(cmd), "--help")
		code, stdout, stderr := notesctl(t, "", args...)
		if code != 0 || !strings.Contains(stdout, "Examples:\n  notesctl ") || !strings.Contains(stdout, "Usage:") {
			t.Errorf("notesctl %s --help = exit %d, stderr %q:\n%s\nwant usage and examples", cmd, code, stderr, stdout)
		}
	}
}

// TestEditSendsTheVersionItRead: `notes edit` without --version still sends If-Match with the version it just read,
// so a change made between its read and its write is refused rather than overwritten; --version overrides it.
func TestEditSendsTheVersionItRead(t *testing.T) {
	dir := isolate(t)
	var mu sync.Mutex
	var ifMatch []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPut {
			mu.Lock()
			ifMatch = append(ifMatch, r.Header.Get("If-Match"))
			mu.Unlock()
		}
		w.Header().Set("ETag", `"7"`)
		io.WriteString(w, `{"noteId":"01JD7Q6R0Z8XKJ3Y4M5N6P7Q8R","title":"t","content":"c","version":7}`)
	}))
	t.Cleanup(api.Close)
	outputs := writeFile(t, filepath.Join(dir, "o.json"),
		`{"NotesApi-dev":{"ApiUrl":"`+api.URL+`/","UserPoolId":"eu-west-1_AbCdEfGhI","UserPoolClientId":"c","Region":"eu-west-1"}}`)
	cache := tokencache.New(filepath.Join(dir, "config"))
	if err := cache.Save("stack-NotesApi-dev-eu-west-1", tokencache.Tokens{AccessToken: "a", RefreshToken: "r", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--content", "new"}, {"--content", "new", "--version", "5"}} {
		if code, _, stderr := notesctl(t, "", append([]string{"--outputs", outputs, "notes", "edit", "01JD7Q6R0Z8XKJ3Y4M5N6P7Q8R"}, args...)...); code != 0 {
			t.Fatalf("notes edit %v = exit %d, %q", args, code, stderr)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{`"7"`, `"5"`}, ifMatch); diff != "" {
		t.Errorf("If-Match sent by notes edit (-want +got):\n%s", diff)
	}
}
