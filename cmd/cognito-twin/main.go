// Command cognito-twin runs the Cognito-compatible endpoint of a synthesized stage on its own, without the rest
// of the local twin: `go run ./cmd/cognito-twin --stage dev`. It reads the user pool and app client from
// cdk.out, keeps users under .local/<stage>/cognito, and prints every code it "sends". Ctrl-C stops it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/authnotes/authnotes/local/cfn"
	"github.com/authnotes/authnotes/local/cognito"
)

type options struct {
	stage, assemblyDir, addr, stateDir string
	corsOrigins                        []string
}

func main() {
	var o options
	flag.StringVar(&o.stage, "stage", "dev", "stage to serve: the user pools of stack NotesApi-<stage>")
	flag.StringVar(&o.assemblyDir, "cdk-out", "cdk.out", "cloud assembly directory written by `make synth`")
	flag.StringVar(&o.addr, "addr", cognito.DefaultAddr, "address to listen on")
	flag.StringVar(&o.stateDir, "state", "", "state directory (default: .local/<stage>/cognito)")
	origins := flag.String("cors-origins", "http://localhost:5173", "comma-separated browser origins allowed to call the endpoint from a web page (default: the dev web app's)")
	flag.Parse()
	o.corsOrigins = strings.FieldsFunc(*origins, func(r rune) bool { return r == ',' || r == ' ' })
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cognito-twin:", err)
		os.Exit(1)
	}
}

func run(o options, out io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := start(o, out)
	if err != nil {
		return err
	}
	<-ctx.Done()
	fmt.Fprintln(out, "cognito-twin: stopping")
	return srv.Close()
}

// start loads the stage's user pools and starts serving them, printing what it serves.
func start(o options, out io.Writer) (*cognito.Server, error) {
	if o.stateDir == "" {
		o.stateDir = filepath.Join(".local", o.stage, "cognito")
	}
	asm, err := cfn.LoadAssembly(o.assemblyDir)
	if errors.Is(err, cfn.ErrNoAssembly) {
		return nil, fmt.Errorf("no cloud assembly in %s: run `make synth` first (or pass --cdk-out)", o.assemblyDir)
	}
	if err != nil {
		return nil, err
	}
	st, err := asm.Stack("NotesApi-" + o.stage)
	if err != nil {
		return nil, err
	}
	specs, err := cognito.SpecsFromStack(st)
	if err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("stack %s has no AWS::Cognito::UserPool to serve", st.Name)
	}
	region := st.Region
	if region == "" {
		region = "us-east-1"
	}
	srv, err := cognito.NewServer(cognito.Options{Addr: o.addr, StateDir: o.stateDir, Region: region, Pools: specs, Outbox: out, CORSOrigins: o.corsOrigins})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "cognito-twin: stack %s, state in %s\n  endpoint     %s\n", st.Name, o.stateDir, srv.URL())
	for _, p := range specs {
		id := srv.PoolID(p.LogicalID)
		fmt.Fprintf(out, "  user pool    %s (%s)\n  issuer       %s\n  jwks         %s\n", id, p.LogicalID, srv.Issuer(id), srv.JWKSURL(id))
		for _, c := range p.Clients {
			fmt.Fprintf(out, "  app client   %s (%s)\n", srv.ClientID(c.LogicalID), c.LogicalID)
		}
	}
	fmt.Fprintf(out, "  outbox       %s/_local/outbox (codes are also printed here)\n", srv.URL())
	if len(o.corsOrigins) > 0 {
		fmt.Fprintf(out, "  web pages    %s may call it (--cors-origins)\n", strings.Join(o.corsOrigins, ", "))
	}
	return srv, nil
}
