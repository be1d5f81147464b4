// Command twin runs a synthesized stage of the notes API offline (`make local STAGE=dev`): Cognito, the HTTP API
// with its JWT authorizer, the Lambda functions, DynamoDB and the web app, all on 127.0.0.1. Ctrl-C stops
// everything.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/authnotes/authnotes/local/twin"
)

func main() {
	var opts twin.Options
	flag.StringVar(&opts.Stage, "stage", "dev", "stage to run: the stack NotesApi-<stage>")
	flag.StringVar(&opts.AssemblyDir, "cdk-out", "", "cloud assembly directory (default: cdk.out in the repository)")
	flag.BoolVar(&opts.NoSynth, "no-synth", false, "use the cloud assembly as it is, even if the sources changed")
	flag.StringVar(&opts.StateDir, "state", "", "state directory (default: .local/<stage> in the repository)")
	flag.StringVar(&opts.APIAddr, "api", twin.DefaultAPIAddr, "address of the HTTP API")
	flag.StringVar(&opts.CognitoAddr, "cognito", twin.DefaultCognitoAddr, "address of the Cognito endpoint")
	flag.StringVar(&opts.DynamoDBAddr, "dynamodb", twin.DefaultDynamoDBAddr, "address of DynamoDB (the guard in front of dynalite)")
	flag.StringVar(&opts.WebAddr, "web", twin.DefaultWebAddr, "address of the web app, loopback only ('' serves none)")
	flag.StringVar(&opts.WebDir, "web-dir", "", "the web app's build (default: web/dist in the repository, made by `make web`)")
	flag.BoolVar(&opts.NoThrottle, "no-throttle", false, "ignore the stage's throttling (for load tests)")
	flag.BoolVar(&opts.Watch, "watch", true, "rebuild and swap changed handlers, synthesize and apply a changed stack, while running (docs/watch-mode.md)")
	flag.Parse()
	if err := run(opts); err != nil {
		if !errors.Is(err, errStoppedItself) {
			fmt.Fprintln(os.Stderr, "twin:", err)
		}
		os.Exit(1)
	}
}

// errStoppedItself is returned when the twin stopped on its own; it has logged why.
var errStoppedItself = errors.New("the twin stopped itself")

func run(opts twin.Options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t, err := twin.Start(ctx, opts)
	if err != nil {
		return err
	}
	out := t.Outputs()
	credsFile, profile := t.CredentialsFile()
	fmt.Fprintf(os.Stderr, `
The %s stage runs offline:
%s  API              %s
  Cognito          %s   (user pool %s, app client %s)
  DynamoDB         %s   (table %s)
                   takes requests signed with profile %s of %s
  outputs          %s

Try it, in another terminal:
  curl -i %snotes
      → 401 {"message":"Unauthorized"}: every route needs a Cognito access token
%s  docs/local.md, "Walk-through with curl" → the same by hand

%sCtrl-C stops everything; data stays in the state directory.
`, opts.Stage, webLine(out["WebUrl"]), out["ApiUrl"], out["CognitoEndpoint"], out["UserPoolId"], out["UserPoolClientId"],
		t.DynamoDBEndpoint(), out["TableName"], profile, credsFile, t.OutputsPath(), out["ApiUrl"], smokeHint(t.OutputsPath(), opts.Stage, out["CognitoEndpoint"]), watchLine(opts.Watch))
	select {
	case <-t.Done(): // a child kept failing: the twin said why and stopped everything
		return errStoppedItself
	case <-ctx.Done():
	}
	stop() // a second Ctrl-C ends the process at once
	fmt.Fprintln(os.Stderr, "\ntwin: stopping")
	return t.Close()
}

// watchLine says what watch mode does, when it is on.
func watchLine(on bool) string {
	if !on {
		return ""
	}
	return "Edit a handler and save: the twin rebuilds it and serves it, keeping users and notes (docs/watch-mode.md).\n"
}

// webLine names the web app, when the twin serves one.
func webLine(url string) string {
	if url == "" {
		return ""
	}
	return "  Web app          " + url + "   (open it in a browser; sign-up codes are in the outbox below)\n"
}

// smokeHint suggests the notesctl smoke test against this twin. notesctl reads <local-dir>/<stage>/outputs.json and
// finds the repository's .local by itself, so another state directory needs --local-dir, and one not named after
// the stage cannot be used with --local at all.
func smokeHint(outputsPath, stage, cognitoEndpoint string) string {
	dir := filepath.Dir(outputsPath)
	if filepath.Base(dir) != stage {
		return ""
	}
	cmd := "go run ./cmd/notesctl --local --stage " + stage
	if parent := filepath.Dir(dir); filepath.Base(parent) != ".local" {
		cmd += " --local-dir " + parent
	}
	return "  " + cmd + " smoke\n      → signs up throwaway users (codes from " + cognitoEndpoint +
		"/_local/outbox), signs in with SRP, calls every route\n"
}
