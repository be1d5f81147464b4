package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		{"not signed in (outputs)", []string{"--outputs", outputs, "whoami"}, "not signed in: run `notesctl login`"},
		{"not signed in (stack)", []string{"--stack", "NotesApi-dev", "--region", "eu-west-1", "notes", "list"}, "not signed in: run `notesctl login`"},
		{"not signed in (local)", []string{"--local", "--local-dir", local, "notes", "get", "01J"}, "not signed in: run `notesctl login`"},
		{"no password without a terminal", []string{"--outputs", outputs, "login", "-u", "a@example.com"}, "no password: pass --password, set NOTESCTL_PASSWORD"},
		{"login needs a username", []string{"--outputs", outputs, "login"}, `required flag(s) "username" not set`},
		{"confirm needs a code or --resend", []string{"--outputs", outputs, "confirm", "-u", "a@example.com"}, "pass either --code CODE or --resend"},
		{"create needs text", []string{"--outputs", outputs, "notes", "create", "--title", "t"}, "a note needs text"},
		{"content and file", []string{"--outputs", outputs, "notes", "create", "--content", "c", "--file", "-"}, "pass --content or --file, not both"},
		{"list all and cursor", []string{"--outputs", outputs, "notes", "list", "--all", "--cursor", "x"}, "pass --all or --cursor, not both"},
		{"get needs an id", []string{"--outputs", outputs, "notes", "get"}, "accepts 1 arg(s), received 0"},
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
	if code != 1 || !strings.Contains(stderr, "cannot reach the API") || !strings.Contains(stderr, "make local") {
		t.Errorf("notes list against a closed port = exit %d, %q; want the cannot-reach hint", code, stderr)
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
}
