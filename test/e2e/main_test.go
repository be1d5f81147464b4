// Package e2e runs the dev stage in the local twin, exactly as `make local` does but on free ports with a
// temporary state directory, and drives it as a client would: the AWS SDK for Go v2 and the project's SRP client
// against the Cognito endpoint, plain HTTP against the API.
package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/authnotes/authnotes/local/twin"
)

var (
	repoDir     string // the repository root
	tmpDir      string // the package's temporary directory, removed at the end
	assemblyDir string // cdk.out synthesized once for the package
	stateDir    string // the twin's state, kept across restarts
	current     *twin.Twin
	twinLog     = &syncBuffer{}
)

// The golden files live in ../testdata and are regenerated with `go test ./test/... -update`; the flag is
// accepted here too so that command also runs (and does not break on) this package, which has no golden files.
var _ = flag.Bool("update", false, "accepted for `go test ./test/... -update`; e2e has no golden files")

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips itself
	}
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	var err error
	if repoDir, err = filepath.Abs("../.."); err != nil {
		return 1, err
	}
	if tmpDir, err = os.MkdirTemp("", "authnotes-e2e-"); err != nil {
		return 1, err
	}
	defer os.RemoveAll(tmpDir)
	assemblyDir, stateDir = filepath.Join(tmpDir, "cdk.out"), filepath.Join(tmpDir, "state")
	if err := synth(); err != nil {
		return 1, err
	}
	code := m.Run()
	stopBrowser()
	for _, tw := range []*twin.Twin{current, unthrottled.tw} {
		if tw != nil {
			if err := tw.Close(); err != nil {
				return 1, fmt.Errorf("stop the twin: %w", err)
			}
		}
	}
	return code, nil
}

// synth synthesizes the dev stage with the CDK CLI, as `make local` would, once for all tests.
func synth() error {
	if _, err := exec.LookPath("npx"); err != nil {
		return fmt.Errorf("npx is not on PATH: install Node.js 20+ (apt-get install -y nodejs npm), then run `npm ci`")
	}
	start := time.Now()
	cmd := exec.Command("npx", "--no-install", "cdk", "synth", "NotesApi-dev", "--quiet", "-o", assemblyDir)
	cmd.Dir = repoDir
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cdk synth NotesApi-dev: %w\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "e2e: synthesized NotesApi-dev in %.1fs\n", time.Since(start).Seconds())
	return nil
}

// stage returns the running twin, starting it on the shared state directory when none runs.
func stage(t *testing.T) *twin.Twin {
	t.Helper()
	skipShort(t)
	if current == nil {
		startTwin(t, "")
	}
	return current
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end tests start the whole twin; skipped with -short")
	}
}

// startTwin starts the twin on the shared state directory, serving the web app on webAddr unless it is "".
func startTwin(t *testing.T, webAddr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tw, err := twin.Start(ctx, twin.Options{
		Stage: "dev", RepoDir: repoDir, AssemblyDir: assemblyDir, NoSynth: true, StateDir: stateDir,
		APIAddr: "127.0.0.1:0", CognitoAddr: "127.0.0.1:0", DynamoDBAddr: "127.0.0.1:0", WebAddr: webAddr, Log: twinLog,
	})
	if err != nil {
		t.Fatalf("start the twin: %v\n%s", err, twinLog.String())
	}
	current = tw
}

// restartTwin stops the twin and starts it again on the same state directory (new ports).
func restartTwin(t *testing.T) {
	t.Helper()
	if err := current.Close(); err != nil {
		t.Fatalf("stop the twin: %v", err)
	}
	current = nil
	startTwin(t, "")
}

// syncBuffer collects the twin's log; a failing test prints it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
