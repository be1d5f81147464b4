package e2e

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authnotes/authnotes/local/twin"
)

func TestStartRefusesAnUnknownStage(t *testing.T) {
	stage(t) // skips with -short
	_, err := twin.Start(context.Background(), twin.Options{
		Stage: "qa", RepoDir: repoDir, AssemblyDir: assemblyDir, NoSynth: true, StateDir: t.TempDir(),
		APIAddr: "127.0.0.1:0", CognitoAddr: "127.0.0.1:0", DynamoDBAddr: "127.0.0.1:0", Log: twinLog,
	})
	if err == nil || !strings.Contains(err.Error(), "NotesApi-dev") {
		t.Errorf("Start(stage qa) = %v; want an error listing the stacks there are (NotesApi-dev)", err)
	}
}

func TestStartRefusesATakenPort(t *testing.T) {
	stage(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, err = twin.Start(context.Background(), twin.Options{
		Stage: "dev", RepoDir: repoDir, AssemblyDir: assemblyDir, NoSynth: true, StateDir: t.TempDir(),
		APIAddr: taken.Addr().String(), CognitoAddr: "127.0.0.1:0", DynamoDBAddr: "127.0.0.1:0", Log: twinLog,
	})
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "--api") {
		t.Fatalf("Start on a taken API port = %v; want address already in use, naming --api", err)
	}
}

func TestStartStopsEverythingWhenItFailsHalfway(t *testing.T) {
	stage(t)
	// The Cognito state is unreadable: Start fails after dynalite is up.
	state := t.TempDir()
	cognitoState := filepath.Join(state, "cognito", "cognito.json")
	if err := os.MkdirAll(filepath.Dir(cognitoState), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cognitoState, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := twin.Options{
		Stage: "dev", RepoDir: repoDir, AssemblyDir: assemblyDir, NoSynth: true, StateDir: state,
		APIAddr: freeAddr(t), CognitoAddr: "127.0.0.1:0", DynamoDBAddr: freeAddr(t), Log: twinLog,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := twin.Start(ctx, opts); err == nil || !strings.Contains(err.Error(), "cognito") {
		t.Fatalf("Start with a corrupt Cognito state = %v; want an error about it", err)
	}
	// dynalite was stopped: the same addresses and state directory work at once.
	if err := os.Remove(cognitoState); err != nil {
		t.Fatal(err)
	}
	tw, err := twin.Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start after the failed start: %v", err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
