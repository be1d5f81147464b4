package twin

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/authnotes/authnotes/local/dynalite"
	"github.com/authnotes/authnotes/local/dynamoguard"
)

// maxSocketPath leaves room below the 104–108 bytes a Unix socket path may have (sun_path, with its NUL).
const maxSocketPath = 100

// openDynamoDB gets the stage's local credentials, starts dynalite (supervised: restarted on the same data and
// socket when it dies) and serves the guard in front of it on the DynamoDB address.
func (t *Twin) openDynamoDB(ctx context.Context) error {
	log := t.opts.Log
	t.dynamo.profile = "authnotes-twin-" + t.opts.Stage
	t.dynamo.credentialsFile = dynamoguard.CredentialsPath(t.opts.StateDir)
	creds, created, err := dynamoguard.LoadOrCreateCredentials(t.dynamo.credentialsFile, t.dynamo.profile)
	if err != nil {
		return err
	}
	t.dynamo.credentials = creds
	if created {
		fmt.Fprintf(log, "twin: new local credentials for DynamoDB in %s (profile %s)\n", t.dynamo.credentialsFile, t.dynamo.profile)
	}
	ln, err := net.Listen("tcp", t.opts.DynamoDBAddr)
	if err != nil {
		return fmt.Errorf("listen on %s for DynamoDB: %w (is another twin running? move it with --dynamodb)", t.opts.DynamoDBAddr, err)
	}
	sock, err := t.socketPath()
	if err != nil {
		_ = ln.Close()
		return err
	}
	t.dynamoSocket = sock
	dir := filepath.Join(t.opts.StateDir, "dynamodb")
	dopts := dynalite.Options{Socket: sock, Dir: dir, Log: prefixed(log, "[dynalite] ")}
	t.db, err = t.sup.keep(ctx, "dynalite", func(ctx context.Context) (process, error) {
		s, err := dynalite.Start(ctx, dopts)
		if err != nil {
			return nil, err
		}
		return s, nil
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	guard, err := dynamoguard.New(dynamoguard.Options{Credentials: creds, Region: t.region, Socket: sock})
	if err != nil {
		_ = ln.Close()
		return err
	}
	t.dynamo.endpoint = "http://" + ln.Addr().String()
	t.guard = &http.Server{Handler: guard, ReadHeaderTimeout: 10 * time.Second}
	t.serve("DynamoDB guard", t.guard, ln)
	fmt.Fprintf(log, "twin: DynamoDB on %s (signed requests only), dynalite on %s, data in %s\n", t.dynamo.endpoint, sock, dir)
	return nil
}

// socketPath is where dynalite listens: in the state directory, or, when that path is too long for a socket, in a
// private temporary directory that Close removes.
func (t *Twin) socketPath() (string, error) {
	if sock := filepath.Join(t.opts.StateDir, "dynalite.sock"); len(sock) <= maxSocketPath {
		return sock, nil
	}
	dir, err := os.MkdirTemp("", "authnotes-twin-") // mode 0700
	if err != nil {
		return "", fmt.Errorf("a directory for dynalite's socket: %w", err)
	}
	t.socketDir = dir
	return filepath.Join(dir, "dynalite.sock"), nil
}
