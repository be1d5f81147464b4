package twin

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Supervision: no child of the twin dies unnoticed. A child process that exits on its own is restarted at once
// (keep), a function whose bootstrap cannot start is retried by the next request; each of these is a failure of
// the child, said in the log. A child that fails maxFailures times within failureWindow stops the whole twin, with
// the reason and the child's last output: a twin that stops is better than one that answers every request with an
// error while looking alive. A server of the twin's own that stops serving stops the twin the same way.
const (
	maxFailures   = 3
	failureWindow = time.Minute
)

// supervisor counts the failures of the twin's children and holds the error that stopped the twin.
type supervisor struct {
	log      io.Writer
	now      func() time.Time
	mu       sync.Mutex
	failures map[string][]time.Time // by child, within failureWindow
	once     sync.Once
	fatal    chan struct{} // closed by the first fatal error
	err      error         // set before fatal is closed
}

func newSupervisor(log io.Writer) *supervisor {
	return &supervisor{log: log, now: time.Now, failures: map[string][]time.Time{}, fatal: make(chan struct{})}
}

// failed records a failure of child and says so; output is the child's last lines. It reports whether the child
// may be restarted (next says how) or has used up its budget, which stops the twin.
func (s *supervisor) failed(child string, err error, output, next string) bool {
	now := s.now()
	s.mu.Lock()
	var recent []time.Time
	for _, at := range s.failures[child] {
		if now.Sub(at) < failureWindow {
			recent = append(recent, at)
		}
	}
	recent = append(recent, now)
	s.failures[child] = recent
	s.mu.Unlock()
	if len(recent) < maxFailures {
		fmt.Fprintf(s.log, "twin: %s failed: %v; %s (failure %d of %d within %s)\n", child, err, next, len(recent), maxFailures, failureWindow)
		return true
	}
	msg := fmt.Sprintf("%s failed %d times within %s, the last time: %v", child, len(recent), failureWindow, err)
	if output = strings.TrimSpace(output); output != "" {
		msg += "\nits last output:\n  " + strings.ReplaceAll(output, "\n", "\n  ")
	}
	s.stop(fmt.Errorf("%s", msg))
	return false
}

// stop records the error that ends the twin; the first one wins.
func (s *supervisor) stop(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.fatal)
	})
}

// process is a child process the supervisor restarts; *dynalite.Server is one.
type process interface {
	Done() <-chan struct{} // closed when the process has exited
	Err() error            // why it exited
	Output() string        // its last lines of output
	Close() error
}

// keeper keeps one child process running: when it exits on its own, start runs it again, until the child's
// failures stop the twin or Close stops the keeper.
type keeper struct {
	sup     *supervisor
	name    string
	start   func(context.Context) (process, error)
	mu      sync.Mutex
	cur     process
	cancel  context.CancelFunc // ends a restart under way
	closing chan struct{}
	stopped chan struct{} // closed when watch has returned
	once    sync.Once
}

// keep starts a child and watches it. The first start's error is returned as it is: nothing ran yet to restart.
func (s *supervisor) keep(ctx context.Context, name string, start func(context.Context) (process, error)) (*keeper, error) {
	p, err := start(ctx)
	if err != nil {
		return nil, err
	}
	restarts, cancel := context.WithCancel(context.Background())
	k := &keeper{sup: s, name: name, start: start, cur: p, cancel: cancel, closing: make(chan struct{}), stopped: make(chan struct{})}
	go k.watch(restarts)
	return k, nil
}

func (k *keeper) current() process {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cur
}

func (k *keeper) watch(ctx context.Context) {
	defer close(k.stopped)
	for {
		p := k.current()
		select {
		case <-k.closing:
			return
		case <-p.Done():
		}
		select {
		case <-k.closing: // Close stopped it
			return
		default:
		}
		err, output := p.Err(), p.Output()
		for {
			if !k.sup.failed(k.name, err, output, "restarting it") {
				return
			}
			began := time.Now()
			next, serr := k.start(ctx)
			if ctx.Err() != nil {
				if serr == nil {
					_ = next.Close()
				}
				return
			}
			if serr == nil {
				k.mu.Lock()
				k.cur = next
				k.mu.Unlock()
				fmt.Fprintf(k.sup.log, "twin: %s restarted in %.1fs\n", k.name, time.Since(began).Seconds())
				break
			}
			err, output = serr, "" // a start error carries the output that explains it
		}
	}
}

// Close stops watching and stops the child, unless it has exited already.
func (k *keeper) Close() error {
	k.once.Do(func() {
		close(k.closing)
		k.cancel()
	})
	<-k.stopped
	p := k.current()
	select {
	case <-p.Done():
		return nil // it died, and the supervisor said so
	default:
		return p.Close()
	}
}
