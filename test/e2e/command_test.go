package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestTwinCommandLeavesNoProcesses runs the twin as `make local` does, as its own process (cmd/twin), and stops it
// twice: with Ctrl-C, which must stop dynalite and every bootstrap cleanly, and with SIGKILL, after which the kernel
// must take them down too (no orphans either way). The data written before the first stop is there after it.
func TestTwinCommandLeavesNoProcesses(t *testing.T) {
	bin := twinCommand(t) // skips with -short
	state := commandState()

	p := runTwinCommand(t, bin, state)
	e := p.env
	e.signUp("erin@example.com")
	access := aws.ToString(e.signIn("erin@example.com").AccessToken)
	want(t, "POST /notes", e.call("POST", "/notes", access, `{"title":"kept","content":"c"}`), 201, "")
	if procs := processesUsing(t, state); len(procs) < 2 {
		t.Fatalf("processes using %s = %v; want dynalite and the CreateNote bootstrap", state, procs)
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("the twin exited with %v after Ctrl-C; want 0\n%s", err, p.log.String())
	}
	if !strings.Contains(p.log.String(), "twin: stopped") {
		t.Errorf("the twin did not report a clean stop:\n%s", p.log.String())
	}
	if procs := processesUsing(t, state); len(procs) > 0 {
		t.Errorf("after Ctrl-C these processes still run: %v", procs)
	}

	p = runTwinCommand(t, bin, state)
	access = aws.ToString(p.env.signIn("erin@example.com").AccessToken)
	r := p.env.call("GET", "/notes", access, "")
	want(t, "GET /notes after a restart of the command", r, 200, "")
	if !strings.Contains(r.body, `"kept"`) {
		t.Errorf("after a restart GET /notes = %s; want the note written before Ctrl-C", r.body)
	}
	p.kill(t)
}

// twinCommand builds cmd/twin once for the package.
func twinCommand(t *testing.T) string {
	t.Helper()
	stage(t) // skips with -short
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc to find the twin's children")
	}
	twinBin.once.Do(func() {
		twinBin.path = filepath.Join(filepath.Dir(stateDir), "bin", "twin")
		if out, err := exec.Command("go", "build", "-o", twinBin.path, "../../cmd/twin").CombinedOutput(); err != nil {
			twinBin.err = fmt.Errorf("build cmd/twin: %v\n%s", err, out)
		}
	})
	if twinBin.err != nil {
		t.Fatal(twinBin.err)
	}
	return twinBin.path
}

var twinBin struct {
	once sync.Once
	path string
	err  error
}

// commandState is the state directory the tests that run cmd/twin share, so the host builds happen once.
func commandState() string { return filepath.Join(filepath.Dir(stateDir), "command", "dev") }

// twinProcess is cmd/twin running as its own process.
type twinProcess struct {
	cmd    *exec.Cmd
	log    *syncBuffer
	env    *env
	state  string
	exited chan struct{}
	err    error // how it exited, once exited is closed
}

// wait waits for the process to exit and returns its exit error.
func (p *twinProcess) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(2 * time.Minute):
		t.Fatalf("the twin did not exit\n%s", tail(p.log.String(), 40))
		return nil
	}
}

// kill SIGKILLs the twin and waits until the kernel has taken its children down too (the parent-death signal
// arrives asynchronously).
func (p *twinProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if err := p.wait(t); !errors.As(err, &exitErr) {
		t.Fatalf("wait for the killed twin: %v", err)
	}
	waitFor(t, "the twin's children to exit after SIGKILL", func() bool { return len(processesUsing(t, p.state)) == 0 })
}

// runTwinCommand starts cmd/twin on state, on free ports, and waits until it serves; the test's cleanup kills it.
func runTwinCommand(t *testing.T, bin, state string, flags ...string) *twinProcess {
	t.Helper()
	// outputs.json is written last, once everything serves: one left by an earlier run must not count.
	if err := os.Remove(filepath.Join(state, "outputs.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	args := append([]string{"--stage", "dev", "--cdk-out", assemblyDir, "--no-synth", "--state", state,
		"--api", "127.0.0.1:0", "--cognito", "127.0.0.1:0", "--dynamodb", "127.0.0.1:0", "--web", "127.0.0.1:0"}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoDir
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &twinProcess{cmd: cmd, log: log, state: state, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.exited })
	var out map[string]string
	waitFor(t, "the twin to write outputs.json", func() bool {
		raw, err := os.ReadFile(filepath.Join(state, "outputs.json"))
		select {
		case <-p.exited:
			t.Fatalf("the twin exited while starting: %v\n%s", p.err, log.String())
		default:
		}
		return err == nil && json.Unmarshal(raw, &out) == nil && strings.Contains(log.String(), "Ctrl-C stops everything")
	})
	p.env = envFromOutputs(t, out)
	return p
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

// waitFor polls cond with a generous deadline for a loaded machine, every 10ms so that a benchmark's time is
// close to the event's.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTwinCommandStopsWhenAChildKeepsFailing: a child that fails three times within a minute stops the twin with a
// non-zero exit and the reason, instead of leaving it up and failing every request: a function whose bootstrap is
// gone, and dynalite killed again and again.
func TestTwinCommandStopsWhenAChildKeepsFailing(t *testing.T) {
	bin := twinCommand(t)
	state := commandState()
	tests := []struct {
		name  string
		fail  func(t *testing.T, p *twinProcess)
		wants []string
	}{
		{name: "a function that cannot start", fail: func(t *testing.T, p *twinProcess) {
			bootstraps, err := filepath.Glob(filepath.Join(state, "build", "*CreateNote*", "bootstrap"))
			if err != nil || len(bootstraps) != 1 {
				t.Fatalf("CreateNote's host build: %v, %v; want one bootstrap", bootstraps, err)
			}
			away := bootstraps[0] + ".away"
			if err := os.Rename(bootstraps[0], away); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Rename(away, bootstraps[0]) })
			user := fmt.Sprintf("cannot-start-%d@example.com", time.Now().UnixNano())
			p.env.signUp(user)
			access := aws.ToString(p.env.signIn(user).AccessToken)
			for i := range 3 {
				want(t, fmt.Sprintf("POST /notes %d without a bootstrap", i+1), p.env.call("POST", "/notes", access, `{"title":"t","content":"c"}`), 500, "")
			}
		}, wants: []string{"function NotesApi-dev-CreateNote failed 3 times within 1m0s", "bootstrap: no such file or directory"}},
		{name: "dynalite killed again and again", fail: func(t *testing.T, p *twinProcess) {
			for i := 1; i <= 3; i++ {
				if err := syscall.Kill(dynalitePID(t, state), syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				if i < 3 {
					waitFor(t, "dynalite's restart", func() bool { return strings.Count(p.log.String(), "twin: dynalite restarted") == i })
				}
			}
		}, wants: []string{"dynalite failed 3 times within 1m0s, the last time: signal: killed", "its last output:", "Dynalite listening"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := runTwinCommand(t, bin, state)
			tt.fail(t, p)
			var exitErr *exec.ExitError
			if err := p.wait(t); !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
				t.Fatalf("the twin exited with %v; want exit status 1\n%s", err, tail(p.log.String(), 30))
			}
			for _, want := range append(tt.wants, "twin: stopped") {
				if !strings.Contains(p.log.String(), want) {
					t.Errorf("the twin's output lacks %q:\n%s", want, tail(p.log.String(), 30))
				}
			}
			if procs := processesUsing(t, state); len(procs) > 0 {
				t.Errorf("after the twin stopped itself these processes still run: %v", procs)
			}
		})
	}
}
