// Command notesctl is the authnotes command-line client: sign up, sign in with SRP, manage notes, and smoke-test a
// local twin or a deployed stack. `notesctl --help` lists the commands.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/authnotes/authnotes/cmd/notesctl/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	go func() {
		// After the first Ctrl-C, a second one ends the process at once (smoke's cleanup can take a while).
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
