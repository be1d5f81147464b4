// Package dynalite runs dynalite, a DynamoDB-compatible server on Node.js, from
// the project's node_modules (pinned in package.json). The store tests and the
// local twin use it.
package dynalite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authnotes/authnotes/local/privatefs"
)

// Options configure Start.
type Options struct {
	// Addr is host:port to listen on. Default: "127.0.0.1:0" (a free port).
	Addr string
	// Socket, when set, is the path of a Unix socket to listen on instead of Addr: only processes that may open its
	// folder can connect, and no web page can (a loopback port is reachable from any page the browser shows).
	Socket string
	// Dir keeps the tables on disk (LevelDB) so a restart loses nothing. It is created, or tightened, to mode
	// 0700, and dynalite creates its files 0600. Default: "" (in memory).
	Dir string
	// Log receives dynalite's output. Default: discarded.
	Log io.Writer
	// CLI is the path of dynalite's cli.js. Default: node_modules/dynalite/cli.js
	// at the module root, found by walking up from the working directory to go.mod.
	CLI string
}

// Server is a running dynalite process.
type Server struct {
	cmd      *exec.Cmd
	endpoint string
	socket   string
	done     chan struct{} // closed when the process has exited
	waitErr  error
	once     sync.Once
	closeErr error

	mu   sync.Mutex
	tail []string // the last lines of output, for a message when it fails
}

// tailLines is how many lines of its output a Server keeps for Output.
const tailLines = 20

// readyTimeout is generous: a loaded 2-core machine can take seconds to start Node.
const readyTimeout = 60 * time.Second

// portAttempts bounds retries when a free port is taken between probing it and
// dynalite binding it (dynalite cannot be told to pick a port itself: --port 0
// means its default, 4567).
const portAttempts = 5

// Start launches dynalite and returns once it accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	cli, err := cliPath(opts.CLI)
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("dynalite needs Node.js, and node is not on PATH: install Node.js 20+ (for example apt-get install nodejs npm), then run `make deps` at the repository root")
	}
	if opts.Dir != "" {
		if err := privatefs.MkdirAll(opts.Dir); err != nil {
			return nil, fmt.Errorf("dynalite data directory: %w", err)
		}
	}
	if opts.Socket != "" {
		// A socket left by a killed dynalite would make the new one fail with EADDRINUSE.
		if err := os.Remove(opts.Socket); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("remove the old dynalite socket: %w", err)
		}
		return start(ctx, node, cli, "", opts.Socket, opts)
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dynalite address %q: %w", addr, err)
	}
	attempts := 1
	if port == "0" {
		attempts = portAttempts
	}
	for i := 1; ; i++ {
		p := port
		if port == "0" {
			if p, err = freePort(host); err != nil {
				return nil, err
			}
		}
		s, err := start(ctx, node, cli, host, p, opts)
		if err == nil || i >= attempts || !errors.Is(err, errAddrInUse) {
			return s, err
		}
	}
}

var errAddrInUse = errors.New("address already in use")

// start runs dynalite on host:port, or on the Unix socket port when host is "".
func start(ctx context.Context, node, cli, host, port string, opts Options) (*Server, error) {
	args := []string{cli, "--port", port, "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	s := &Server{done: make(chan struct{})}
	if host != "" {
		args = append(args, "--host", host)
		s.endpoint = "http://" + net.JoinHostPort(host, port)
	} else {
		s.socket = port
	}
	if opts.Dir != "" {
		args = append(args, "--path", opts.Dir)
	}
	cmd := privateCommand(node, args...)
	setProcAttr(cmd)
	s.cmd = cmd
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("dynalite stdout: %w", err)
	}
	cmd.Stderr = cmd.Stdout // one stream: startup errors arrive on stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dynalite (%s %s): %w", node, cli, err)
	}

	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.tail = append(s.tail, line)
			if len(s.tail) > tailLines {
				s.tail = s.tail[1:]
			}
			s.mu.Unlock()
			// The ready line is for Start, which returns the address; on a socket it even reads "localhost:undefined".
			if !signalled && strings.HasPrefix(line, "Dynalite listening at:") {
				signalled = true
				close(ready)
				continue
			}
			fmt.Fprintln(logw, line)
		}
		_, _ = io.Copy(logw, out)
		s.waitErr = cmd.Wait()
		close(s.done)
	}()

	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case <-ready:
		return s, nil
	case <-s.done:
		output := s.Output()
		if strings.Contains(output, "EADDRINUSE") {
			return nil, fmt.Errorf("dynalite on %s: %w: another program listens there (another twin, or a dynalite left running): stop it, or choose another address", s.address(), errAddrInUse)
		}
		return nil, fmt.Errorf("dynalite exited before it was ready (%v)%s; its last output:\n%s", s.waitErr, cause(output), indent(output))
	case <-ctx.Done():
		_ = s.Close()
		return nil, fmt.Errorf("start dynalite: %w", ctx.Err())
	case <-timer.C:
		_ = s.Close()
		return nil, fmt.Errorf("dynalite did not report ready on %s within %s", s.address(), readyTimeout)
	}
}

// Endpoint is the server's URL, e.g. http://127.0.0.1:8000; "" for a server on a Unix socket.
func (s *Server) Endpoint() string { return s.endpoint }

// Socket is the path of the server's Unix socket; "" for a server on TCP.
func (s *Server) Socket() string { return s.socket }

func (s *Server) address() string {
	if s.socket != "" {
		return s.socket
	}
	return s.endpoint
}

// Done is closed when the process has exited, on its own or by Close.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err says why the process exited, once Done is closed, with the likely cause when its output names one.
func (s *Server) Err() error {
	<-s.done
	err := s.waitErr
	if err == nil {
		err = errors.New("exited with status 0")
	}
	if c := cause(s.Output()); c != "" {
		return fmt.Errorf("%w%s", err, c)
	}
	return err
}

// causes are what Node.js or dynalite print for failures whose fix is known, and that fix.
var causes = []struct{ sign, fix string }{
	{"Cannot find module", "dynalite's npm packages are missing or incomplete: run `make deps` at the repository root"},
	{"SyntaxError", "this Node.js is too old for dynalite: install Node.js 20+"},
	{"ENOSPC", "the disk is full"},
	{"EACCES", "permission denied on dynalite's data folder or socket"},
}

// cause is ": <the fix>" for the first known failure in output, or "".
func cause(output string) string {
	for _, c := range causes {
		if strings.Contains(output, c.sign) {
			return ": " + c.fix
		}
	}
	return ""
}

// indent sets output off from the message that quotes it; "(none)" when there is none.
func indent(output string) string {
	if output = strings.TrimSpace(output); output == "" {
		return "  (none)"
	}
	return "  " + strings.ReplaceAll(output, "\n", "\n  ")
}

// Output is the last lines dynalite printed.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// Close stops dynalite and every process it started, and waits for it to exit.
func (s *Server) Close() error {
	s.once.Do(func() {
		select {
		case <-s.done:
			s.closeErr = fmt.Errorf("dynalite had already exited: %v", s.waitErr)
		default:
		}
		_ = signalGroup(s.cmd, terminate) // the group may outlive the leader
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = signalGroup(s.cmd, kill)
			<-s.done
		}
	})
	return s.closeErr
}

// cliPath returns the path of dynalite's cli.js or an error naming the fix.
func cliPath(explicit string) (string, error) {
	const fix = "run `make deps` at the repository root (it installs the pinned npm packages, dynalite among them)"
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("dynalite cli %s not found: %s", explicit, fix)
		}
		return explicit, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", fmt.Errorf("locate dynalite: %w", err)
	}
	cli := filepath.Join(root, "node_modules", "dynalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return "", fmt.Errorf("dynalite is not installed (%s is missing): %s", cli, fix)
	}
	return cli, nil
}

// moduleRoot walks up from the working directory to the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or above: run from inside the authnotes repository")
		}
		dir = parent
	}
}

// freePort asks the kernel for a free port on host.
func freePort(host string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("find a free port on %s: %w", host, err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}
