package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinary builds notesctl and checks what only the binary does: wiring Run's exit code to the process.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "notesctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
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
