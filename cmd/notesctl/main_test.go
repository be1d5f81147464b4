package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// notesctlBinary builds notesctl once per test run.
func notesctlBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "notesctl-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "notesctl")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// TestBinary checks what only the binary does: wiring Run's exit code to the process.
func TestBinary(t *testing.T) {
	bin := notesctlBinary(t)
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"--help"}, 0, "smoke"},
		{[]string{"whoami"}, 1, "notesctl: no target: pass --local"},
		{[]string{"no-such-command"}, 1, `unknown command "no-such-command"`},
	}
	for _, tt := range tests {
		cmd := exec.Command(bin, tt.args...)
		cmd.Env = []string{"NOTESCTL_CONFIG_DIR=" + t.TempDir(), "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.wantCode || !strings.Contains(string(out), tt.wantOut) {
			t.Errorf("notesctl %v = exit %d, %q; want exit %d and %q", tt.args, code, out, tt.wantCode, tt.wantOut)
		}
	}
}

// TestSecondInterruptEndsSmoke: the first Ctrl-C makes smoke clean up; when the cleanup hangs (here a Cognito that
// never answers a sign-in), a second Ctrl-C ends the process at once instead of waiting out the cleanup's minute.
func TestSecondInterruptEndsSmoke(t *testing.T) {
	bin := notesctlBinary(t)
	signIns := make(chan struct{}, 10)
	release := make(chan struct{})
	cognito := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService."); op {
		case "SignUp":
			io.WriteString(w, `{"UserConfirmed":false,"UserSub":"0b0e4c6a-0000-4000-8000-000000000000"}`)
		case "AdminConfirmSignUp":
			io.WriteString(w, `{}`)
		case "InitiateAuth":
			io.Copy(io.Discard, r.Body) // the server notices a hang-up only once the body is read
			signIns <- struct{}{}
			select { // never answers
			case <-r.Context().Done():
			case <-release:
			}
		default:
			http.Error(w, `{"__type":"InvalidParameterException","message":"unexpected `+op+`"}`, http.StatusBadRequest)
		}
	}))
	t.Cleanup(cognito.Close)
	t.Cleanup(func() { close(release) }) // runs before Close
	dir := t.TempDir()
	outputs := filepath.Join(dir, "outputs.json")
	if err := os.WriteFile(outputs, []byte(`{"NotesApi-dev":{"ApiUrl":"http://127.0.0.1:1/","UserPoolId":"us-east-1_AbCdEfGhI","UserPoolClientId":"c","Region":"us-east-1"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--outputs", outputs, "smoke")
	cmd.Env = []string{
		"NOTESCTL_CONFIG_DIR=" + filepath.Join(dir, "config"), "HOME=" + dir, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=" + cognito.URL, "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret",
	}
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitSignIn := func(what string) {
		t.Helper()
		select {
		case <-signIns:
		case err := <-done:
			t.Fatalf("notesctl smoke ended before %s: %v\n%s", what, err, stderr.String())
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Fatalf("no sign-in reached Cognito for %s", what)
		}
	}
	waitSignIn("the first Ctrl-C")
	cmd.Process.Signal(os.Interrupt)
	waitSignIn("the cleanup") // the cleanup signs in again to delete the user, and hangs there
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
			t.Errorf("notesctl smoke after a second Ctrl-C = %v; want ended by SIGINT", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("notesctl smoke still runs after a second Ctrl-C\n%s", stderr.String())
	}
}
