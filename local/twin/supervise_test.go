package twin

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeProc is a child process the test ends at will.
type fakeProc struct {
	id     int
	done   chan struct{}
	once   sync.Once
	closed bool
}

func (p *fakeProc) Done() <-chan struct{} { return p.done }
func (p *fakeProc) Err() error            { return errors.New("signal: killed") }
func (p *fakeProc) Output() string        { return "line one\nlast line" }
func (p *fakeProc) Close() error          { p.closed = true; p.die(); return nil }
func (p *fakeProc) die()                  { p.once.Do(func() { close(p.done) }) }

// children starts fakeProcs; a start fails while failing is set.
type children struct {
	mu      sync.Mutex
	started []*fakeProc
	failing bool
	next    chan *fakeProc // receives each started process
}

func (c *children) start(context.Context) (process, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failing {
		return nil, errors.New("dynalite exited before it was ready: EACCES")
	}
	p := &fakeProc{id: len(c.started), done: make(chan struct{})}
	c.started = append(c.started, p)
	c.next <- p
	return p, nil
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func keepT(t *testing.T, sup *supervisor, c *children) *keeper {
	t.Helper()
	k, err := sup.keep(context.Background(), "dynalite", c.start)
	if err != nil {
		t.Fatal(err)
	}
	<-c.next
	t.Cleanup(func() { _ = k.Close() })
	return k
}

func waitStarted(t *testing.T, c *children) *fakeProc {
	t.Helper()
	select {
	case p := <-c.next:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("the keeper did not restart the child")
		return nil
	}
}

func TestKeeperRestartsAChildThatDiesAndSaysSo(t *testing.T) {
	log := &syncLog{}
	sup := newSupervisor(log)
	c := &children{next: make(chan *fakeProc, 10)}
	k := keepT(t, sup, c)
	c.started[0].die()
	second := waitStarted(t, c)
	waitUntil(t, "the keeper to hold the restarted process", func() bool {
		return k.current() == second && strings.Contains(log.String(), "restarted")
	})
	for _, want := range []string{"twin: dynalite failed: signal: killed; restarting it (failure 1 of 3 within 1m0s)", "twin: dynalite restarted in "} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log = %q; want %q", log.String(), want)
		}
	}
	if err := k.Close(); err != nil || !second.closed {
		t.Errorf("Close() = %v, closed the running process %v; want nil, true", err, second.closed)
	}
	select {
	case <-sup.fatal:
		t.Errorf("the supervisor gave up after one failure: %v", sup.err)
	default:
	}
}

func TestRepeatedFailuresStopTheTwinWithTheLastOutput(t *testing.T) {
	sup := newSupervisor(&syncLog{})
	c := &children{next: make(chan *fakeProc, 10)}
	keepT(t, sup, c)
	c.started[0].die()
	waitStarted(t, c).die()
	waitStarted(t, c).die()
	waitFatal(t, sup)
	for _, want := range []string{"dynalite failed 3 times within 1m0s, the last time: signal: killed", "its last output:\n  line one\n  last line"} {
		if !strings.Contains(sup.err.Error(), want) {
			t.Errorf("fatal error = %q; want %q", sup.err, want)
		}
	}
	if len(c.started) != 3 {
		t.Errorf("%d processes started; want 3 (no restart after the third failure)", len(c.started))
	}
}

func TestARestartThatFailsIsAFailureToo(t *testing.T) {
	sup := newSupervisor(&syncLog{})
	c := &children{next: make(chan *fakeProc, 10)}
	keepT(t, sup, c)
	c.started[0].die()
	second := waitStarted(t, c)
	c.mu.Lock()
	c.failing = true
	c.mu.Unlock()
	second.die() // failure 2; its restart fails: failure 3
	waitFatal(t, sup)
	if want := "the last time: dynalite exited before it was ready: EACCES"; !strings.Contains(sup.err.Error(), want) {
		t.Errorf("fatal error = %q; want %q", sup.err, want)
	}
}

func waitFatal(t *testing.T, sup *supervisor) {
	t.Helper()
	select {
	case <-sup.fatal:
	case <-time.After(10 * time.Second):
		t.Fatal("three failures within a minute did not stop the twin")
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFailuresOutsideTheWindowAreForgiven(t *testing.T) {
	sup := newSupervisor(&syncLog{})
	now := time.Unix(0, 0)
	sup.now = func() time.Time { return now }
	for i := range 5 {
		if !sup.failed("function F", errors.New("init error"), "", "the next request starts a new process") {
			t.Fatalf("failure %d, 61 s after the one before, stopped the twin", i+1)
		}
		now = now.Add(61 * time.Second)
	}
	for range 3 {
		sup.failed("function F", errors.New("init error"), "", "")
	}
	if sup.failed("function G", errors.New("init error"), "", "") != true {
		t.Error("a failure of another child counted against function F's budget")
	}
	select {
	case <-sup.fatal:
		if !strings.Contains(sup.err.Error(), "function F failed 3 times") {
			t.Errorf("fatal error = %v; want function F's", sup.err)
		}
	default:
		t.Error("three failures within a minute did not stop the twin")
	}
}

func TestClosingAKeeperIsNoFailure(t *testing.T) {
	sup := newSupervisor(&syncLog{})
	c := &children{next: make(chan *fakeProc, 10)}
	k := keepT(t, sup, c)
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if len(c.started) != 1 || !c.started[0].closed {
		t.Errorf("Close started %d processes, closed the first: %v; want it closed and none restarted", len(c.started), c.started[0].closed)
	}
	sup.mu.Lock()
	defer sup.mu.Unlock()
	if len(sup.failures) != 0 {
		t.Errorf("failures after Close = %v; want none", sup.failures)
	}
}
