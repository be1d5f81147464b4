package dynalite

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func client(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

func startT(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStartServesDynamoDBAndCloseLeavesNoProcess(t *testing.T) {
	s := startT(t, Options{Addr: "127.0.0.1:0"})
	if !strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("Endpoint() = %q; want http://127.0.0.1:PORT", s.Endpoint())
	}
	if _, err := client(s.Endpoint()).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables() error = %v", err)
	}
	pgid := s.cmd.Process.Pid
	if err := s.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Close, signalling process group %d: %v; want ESRCH (no process left)", pgid, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() error = %v; want nil", err)
	}
}

func TestTwoServersGetDifferentPorts(t *testing.T) {
	a := startT(t, Options{})
	b := startT(t, Options{})
	if a.Endpoint() == b.Endpoint() {
		t.Errorf("two servers share %s", a.Endpoint())
	}
}

func TestDirKeepsTablesAcrossRestarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dynamodb")
	ctx := context.Background()
	first := startT(t, Options{Dir: dir})
	if _, err := client(first.Endpoint()).CreateTable(ctx, tableInput("Persisted")); err != nil {
		t.Fatalf("CreateTable() error = %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	second := startT(t, Options{Dir: dir})
	out, err := client(second.Endpoint()).ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil || len(out.TableNames) != 1 || out.TableNames[0] != "Persisted" {
		t.Errorf("ListTables() after restart = %v, %v; want [Persisted]", out.TableNames, err)
	}
}

func TestStartErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"missing cli.js", Options{CLI: filepath.Join(t.TempDir(), "node_modules", "dynalite", "cli.js")}, filepath.Join("node_modules", "dynalite", "cli.js") + " not found: run `make deps`"},
		{"bad address", Options{Addr: "127.0.0.1"}, "dynalite address"},
		{"port in use", Options{Addr: busy.Addr().String()}, "address already in use: another program listens there"},
		// npm ci interrupted: dynalite is there, one of its dependencies is not.
		{"missing dependency", Options{CLI: script(t, "require('leveldown-missing-for-the-test')")}, "run `make deps`"},
		{"missing dependency, the output", Options{CLI: script(t, "require('leveldown-missing-for-the-test')")}, "Cannot find module 'leveldown-missing-for-the-test'"},
		{"exits at once", Options{CLI: script(t, "console.log('line one'); console.error('the reason it stopped'); process.exit(3)")}, "exited before it was ready (exit status 3); its last output:\n  line one\n  the reason it stopped"},
		{"exits at once, silently", Options{CLI: script(t, "process.exit(4)")}, "(exit status 4); its last output:\n  (none)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Start(context.Background(), tc.opts)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Start() error = nil; want one mentioning %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start() error = %v; want it to mention %q", err, tc.want)
			}
		})
	}
}

// script writes a stand-in for dynalite's cli.js.
func script(t *testing.T, js string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cli.js")
	if err := os.WriteFile(path, []byte(js+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStartWithoutNode(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(context.Background(), Options{})
	if err == nil || !strings.Contains(err.Error(), "install Node.js") || !strings.Contains(err.Error(), "`make deps`") {
		t.Errorf("Start() without node error = %v; want one naming how to install Node.js", err)
	}
}

func TestDataAndSocketArePrivate(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "dynamodb")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // an older twin made it so
		t.Fatal(err)
	}
	sock := filepath.Join(state, "dynalite.sock")
	s := startT(t, Options{Dir: dir, Socket: sock})
	if s.Socket() != sock || s.Endpoint() != "" {
		t.Errorf("Socket(), Endpoint() = %q, %q; want %q, \"\"", s.Socket(), s.Endpoint(), sock)
	}
	db := socketClient(sock)
	if _, err := db.CreateTable(context.Background(), tableInput("Private")); err != nil {
		t.Fatalf("CreateTable over the socket: %v", err)
	}
	if err := filepath.WalkDir(state, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == state {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %o; want no access for group and others", path, perm)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestKilledServerReportsItAndRestartsOnTheSameSocket(t *testing.T) {
	state := t.TempDir()
	opts := Options{Dir: filepath.Join(state, "dynamodb"), Socket: filepath.Join(state, "dynalite.sock")}
	s := startT(t, opts)
	if _, err := socketClient(opts.Socket).CreateTable(context.Background(), tableInput("Kept")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done() not closed 10 s after SIGKILL")
	}
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Err() = %v; want the kill", err)
	}
	if out := s.Output(); !strings.Contains(out, "Dynalite listening") {
		t.Errorf("Output() = %q; want dynalite's last lines", out)
	}
	// The killed process left its socket file behind; a new server takes the path over, with the data.
	again := startT(t, opts)
	out, err := socketClient(again.Socket()).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil || len(out.TableNames) != 1 {
		t.Errorf("ListTables() after the restart = %v, %v; want [Kept]", out, err)
	}
}

func socketClient(sock string) *dynamodb.Client {
	var d net.Dialer
	httpc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "unix", sock)
	}}}
	return dynamodb.New(dynamodb.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String("http://dynalite"), HTTPClient: httpc,
	})
}

func tableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}
}

// TestErrNamesTheCauseOfALaterDeath: when dynalite dies after it was ready, Err says why and, when its output shows
// a known cause, what it is.
func TestErrNamesTheCauseOfALaterDeath(t *testing.T) {
	cli := script(t, "console.log('Dynalite listening at: http://localhost:undefined'); setTimeout(() => { console.error('Error: ENOSPC: no space left on device, write'); process.exit(1) }, 10)")
	s, err := Start(context.Background(), Options{CLI: cli, Socket: filepath.Join(t.TempDir(), "d.sock")})
	if err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	if got := s.Err().Error(); got != "exit status 1: the disk is full" {
		t.Errorf("Err() = %q; want %q", got, "exit status 1: the disk is full")
	}
	if got := s.Output(); !strings.Contains(got, "ENOSPC") {
		t.Errorf("Output() = %q; want the line that says ENOSPC", got)
	}
}
