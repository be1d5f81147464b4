package e2e

import (
	"context"
	"net"
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

func TestStartStopsEverythingWhenThePortIsTaken(t *testing.T) {
	stage(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dbAddr := freeAddr(t)
	opts := twin.Options{
		Stage: "dev", RepoDir: repoDir, AssemblyDir: assemblyDir, NoSynth: true, StateDir: t.TempDir(),
		APIAddr: taken.Addr().String(), CognitoAddr: "127.0.0.1:0", DynamoDBAddr: dbAddr, Log: twinLog,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := twin.Start(ctx, opts); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Start on a taken API port = %v; want address already in use", err)
	}
	// dynalite was stopped: its address and the state directory can be used again at once.
	opts.APIAddr = "127.0.0.1:0"
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
