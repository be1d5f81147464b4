package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestTwinCommandLeavesNoProcesses runs the twin as `make local` does, as its own process (cmd/twin), and stops it
// twice: with Ctrl-C, which must stop dynalite and every bootstrap cleanly, and with SIGKILL, after which the kernel
// must take them down too (no orphans either way). The data written before the first stop is there after it.
func TestTwinCommandLeavesNoProcesses(t *testing.T) {
	stage(t) // skips with -short
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc to find the twin's children")
	}
	bin := filepath.Join(t.TempDir(), "twin")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/twin").CombinedOutput(); err != nil {
		t.Fatalf("build cmd/twin: %v\n%s", err, out)
	}
	state := filepath.Join(t.TempDir(), "dev")
	run := func() (*exec.Cmd, *syncBuffer, *env) {
		t.Helper()
		log := &syncBuffer{}
		cmd := exec.Command(bin, "--stage", "dev", "--cdk-out", assemblyDir, "--no-synth", "--state", state,
			"--api", "127.0.0.1:0", "--cognito", "127.0.0.1:0", "--dynamodb", "127.0.0.1:0", "--web", "127.0.0.1:0")
		cmd.Dir = repoDir
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		// outputs.json is written last, once everything serves (a stale one was removed before the start).
		var out map[string]string
		waitFor(t, "the twin to write outputs.json\n"+log.String(), func() bool {
			raw, err := os.ReadFile(filepath.Join(state, "outputs.json"))
			return err == nil && json.Unmarshal(raw, &out) == nil && strings.Contains(log.String(), "Ctrl-C stops everything")
		})
		return cmd, log, envFromOutputs(t, out)
	}

	cmd, log, e := run()
	e.signUp("erin@example.com")
	access := aws.ToString(e.signIn("erin@example.com").AccessToken)
	want(t, "POST /notes", e.call("POST", "/notes", access, `{"title":"kept","content":"c"}`), 201, "")
	if procs := processesUsing(t, state); len(procs) < 2 {
		t.Fatalf("processes using %s = %v; want dynalite and the CreateNote bootstrap", state, procs)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the twin exited with %v after Ctrl-C; want 0\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "twin: stopped") {
		t.Errorf("the twin did not report a clean stop:\n%s", log.String())
	}
	if procs := processesUsing(t, state); len(procs) > 0 {
		t.Errorf("after Ctrl-C these processes still run: %v", procs)
	}

	if err := os.Remove(filepath.Join(state, "outputs.json")); err != nil {
		t.Fatal(err)
	}
	cmd, _, e = run()
	access = aws.ToString(e.signIn("erin@example.com").AccessToken)
	r := e.call("GET", "/notes", access, "")
	want(t, "GET /notes after a restart of the command", r, 200, "")
	if !strings.Contains(r.body, `"kept"`) {
		t.Errorf("after a restart GET /notes = %s; want the note written before Ctrl-C", r.body)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exitErr) {
		t.Fatalf("wait for the killed twin: %v", err)
	}
	// The kernel delivers the parent-death signal asynchronously.
	waitFor(t, "the twin's children to exit after SIGKILL", func() bool { return len(processesUsing(t, state)) == 0 })
}

// processesUsing lists the processes (other than this one) whose command line mentions dir: dynalite gets its
// data directory there, bootstraps run from the host builds under it.
func processesUsing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Trim(e.Name(), "0123456789") != "" || e.Name() == "self" {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(raw) == 0 {
			continue // gone, or a zombie
		}
		if line := strings.ReplaceAll(string(raw), "\x00", " "); strings.Contains(line, dir) {
			if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && isZombie(string(stat)) {
				continue
			}
			out = append(out, e.Name()+" "+line)
		}
	}
	return out
}

// isZombie reads the state field of /proc/<pid>/stat ("pid (comm) S ...").
func isZombie(stat string) bool {
	i := strings.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// waitFor polls cond with a generous deadline for a loaded machine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
