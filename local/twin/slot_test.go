//go:build unix

package twin

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/authnotes/authnotes/local/lambdaruntime"
)

// testFunction starts a function running the lambdaruntime tests' bootstrap with MARK=mark in its environment.
func testFunction(t *testing.T, root, mark string, env map[string]string) *lambdaruntime.Function {
	t.Helper()
	vars := map[string]string{"MARK": mark}
	for k, v := range env {
		vars[k] = v
	}
	fn, err := lambdaruntime.Start(lambdaruntime.Config{Name: "f-" + mark, Dir: root, Env: vars, Log: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fn.Close() })
	return fn
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func buildTestBootstrap(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(root, "bootstrap"), "../lambdaruntime/testdata/fn")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the test bootstrap: %v\n%s", err, out)
	}
	return root
}

func TestSlot(t *testing.T) {
	root := buildTestBootstrap(t)
	t.Run("a swap drains the invocations in flight", func(t *testing.T) { testSwapDrainsInFlight(t, root) })
	t.Run("warm reports a failing init", func(t *testing.T) { testWarmReportsAFailingInit(t, root) })
}

// A swap sends new invocations to the new function while the one in flight finishes on the old, which is stopped
// only then.
func testSwapDrainsInFlight(t *testing.T, root string) {
	old := testFunction(t, root, "old", nil)
	s := newSlot(old)
	release := filepath.Join(t.TempDir(), "release")
	type result struct {
		mark string
		pid  int
		err  error
	}
	inFlight := make(chan result, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		out, err := s.Invoke(context.Background(), []byte(`{"action":"wait","file":"`+release+`"}`))
		mark, pid := markOf(out)
		inFlight <- result{mark, pid, err}
	}()
	<-started
	waitUntil(t, "the invocation to reach the old function", func() bool { return old.Processes() == 1 })

	next := testFunction(t, root, "new", nil)
	if err := next.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	g := s.swap(next)
	drained := make(chan error, 1)
	go func() { drained <- g.drain() }()

	out, err := s.Invoke(context.Background(), []byte(`{"action":"log"}`))
	if mark, _ := markOf(out); err != nil || mark != "new" {
		t.Errorf("Invoke after the swap = %q, %v; want the new function", mark, err)
	}
	select {
	case err := <-drained:
		t.Fatalf("drain() = %v while an invocation was in flight; want it to wait", err)
	default:
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := <-inFlight
	if r.err != nil || r.mark != "old" {
		t.Errorf("the invocation in flight during the swap = %q, %v; want it finished by the old function", r.mark, r.err)
	}
	if err := <-drained; err != nil {
		t.Errorf("drain() = %v", err)
	}
	// drain returns once the old process has been reaped.
	if err := syscall.Kill(r.pid, 0); err == nil {
		t.Errorf("the old function's process %d still runs after draining", r.pid)
	}
	if g := s.retire(); g.fn != next {
		t.Error("retire() did not return the function of the moment")
	}
	if _, err := s.Invoke(context.Background(), []byte(`{}`)); err == nil {
		t.Error("Invoke on a retired slot = nil error")
	}
}

// Warm reports a build that cannot start, so a reload keeps the old one.
func testWarmReportsAFailingInit(t *testing.T, root string) {
	fn := testFunction(t, root, "broken", map[string]string{"INIT_MODE": "panic"})
	if err := fn.Warm(context.Background()); err == nil {
		t.Error("Warm() of a function whose init fails = nil; want its error")
	}
}

// markOf is the MARK variable and the process ID of the environment that answered.
func markOf(payload []byte) (string, int) {
	var res struct {
		PID int
		Env map[string]string
	}
	if len(payload) == 0 || json.Unmarshal(payload, &res) != nil {
		return "", 0
	}
	return res.Env["MARK"], res.PID
}
