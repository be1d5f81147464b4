// Package cli is notesctl's command tree: target flags, Cognito account commands, notes commands and the smoke
// test. main only calls Run; tests call Run in-process with their own arguments and buffers.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go/logging"
	"github.com/spf13/cobra"

	"github.com/authnotes/authnotes/client"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/account"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/target"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/tokencache"
)

// app holds the global flags and what they resolve to.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	local    bool
	stage    string
	localDir string
	outputs  string
	stack    string
	region   string
	json     bool
	timeout  time.Duration
}

// exitInterrupted is the shell's code for a command ended by Ctrl-C (128 + SIGINT), so scripts can tell it apart.
const exitInterrupted = 130

// Run executes notesctl with args (without the program name) and returns the process exit code: 0 on success,
// exitInterrupted when ctx was cancelled (Ctrl-C), 1 otherwise.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	cmd := a.rootCmd()
	cmd.SetArgs(args)
	cmd.SetIn(stdin)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.InitDefaultCompletionCmd() // after SetOut: the completion commands keep the writer they were made with
	refuseUnknownSubcommands(cmd)
	if err := cmd.ExecuteContext(ctx); err != nil {
		msg := a.withTargetFlags(err.Error())
		var netErr *net.OpError
		if a.local && errors.As(err, &netErr) && !netErr.Timeout() {
			// Nothing listens where the twin's outputs point: almost always a twin that is no longer running.
			msg += "; is `make local` running?"
		}
		fmt.Fprintf(stderr, "notesctl: %s\n", msg)
		if ctx.Err() != nil {
			return exitInterrupted
		}
		return 1
	}
	return 0
}

// withTargetFlags puts the user's target flags into the commands an error suggests ("run `notesctl login -u <you>`"
// becomes "run `notesctl --local login -u <you>`"), so the suggestion can be pasted as is. The packages that word
// the hints (account, tokencache) know nothing of flags; this is the one place that does.
func (a *app) withTargetFlags(msg string) string {
	if !a.local && a.outputs == "" && a.stack == "" {
		return msg
	}
	return strings.ReplaceAll(msg, "`notesctl ", "`notesctl "+a.targetArgs()+" ")
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "notesctl",
		Short: "Use and verify the authnotes API: sign up, sign in, manage notes, smoke-test a deployment",
		Long: `notesctl talks to one authnotes stack: the local twin (--local, started by ` + "`make local`" + `),
a deployment's outputs file (--outputs cdk-outputs-dev.json), or a deployed stack (--stack NotesApi-dev --region R,
read through CloudFormation with your AWS credentials). Sessions are cached per target in your config directory.`,
		Example: `  notesctl --local signup -u alice@example.com      # then confirm with the code, then login
  notesctl --local notes list
  notesctl --outputs cdk-outputs-dev.json smoke
  notesctl --stack NotesApi-dev --region eu-west-1 --json smoke`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if a.timeout <= 0 {
				return fmt.Errorf("--timeout %s: want a positive duration, such as 20s or 1m", a.timeout)
			}
			return nil
		},
	}
	f := root.PersistentFlags()
	f.BoolVar(&a.local, "local", false, "use the local twin started by 'make local' (reads .local/<stage>/outputs.json)")
	f.StringVar(&a.stage, "stage", "dev", "the local twin's stage (with --local)")
	f.StringVar(&a.localDir, "local-dir", "", "the twin's state directory (with --local; default: the nearest .local from the current directory up)")
	f.StringVar(&a.outputs, "outputs", "", "a FILE written by 'cdk deploy --outputs-file' (e.g. cdk-outputs-dev.json from 'make deploy')")
	f.StringVar(&a.stack, "stack", "", "a deployed stack, e.g. NotesApi-dev (read from CloudFormation, or picks a stack in --outputs)")
	f.StringVar(&a.region, "region", "", "the stack's AWS region (with --stack; default: your AWS config)")
	f.BoolVar(&a.json, "json", false, "print JSON for scripts instead of text")
	f.DurationVar(&a.timeout, "timeout", 20*time.Second, "give up on a request to Cognito, CloudFormation or the API after this long (per attempt)")
	_ = root.RegisterFlagCompletionFunc("stage", fixedCompletions("dev", "staging", "prod"))
	_ = root.RegisterFlagCompletionFunc("stack", fixedCompletions("NotesApi-dev", "NotesApi-staging", "NotesApi-prod"))
	_ = root.MarkPersistentFlagFilename("outputs", "json")
	_ = root.MarkPersistentFlagDirname("local-dir")
	root.AddCommand(a.signupCmd(), a.confirmCmd(), a.loginCmd(), a.logoutCmd(), a.whoamiCmd(), a.notesCmd(), a.smokeCmd())
	return root
}

// fixedCompletions completes a flag from a fixed list (the stage names the CDK app defines).
func fixedCompletions(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// refuseUnknownSubcommands makes every command group (notes, completion) refuse an argument that names no
// subcommand: cobra would print the group's help and exit 0 for `notes show ID`, which a script takes for success.
func refuseUnknownSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		if c.HasSubCommands() && !c.Runnable() {
			c.Args = cobra.NoArgs
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
		refuseUnknownSubcommands(c)
	}
}

// target resolves the chosen target.
func (a *app) target(ctx context.Context) (target.Target, error) {
	switch {
	case a.local && (a.outputs != "" || a.stack != ""):
		return target.Target{}, errors.New("choose one target: --local, --outputs FILE or --stack NAME")
	case a.local:
		dir := a.localDir
		if dir == "" {
			wd, err := os.Getwd()
			if err != nil {
				return target.Target{}, fmt.Errorf("find .local: %w", err)
			}
			if dir, err = target.FindLocalDir(wd); err != nil {
				return target.Target{}, err
			}
		}
		return target.Local(dir, a.stage)
	case a.outputs != "":
		return target.OutputsFile(a.outputs, a.stack)
	case a.stack != "":
		cfg, err := a.awsConfig(ctx, a.region)
		if err != nil {
			return target.Target{}, err
		}
		if cfg.Region == "" {
			return target.Target{}, fmt.Errorf("no region for stack %s: pass --region or set AWS_REGION", a.stack)
		}
		// Asked first, so a machine without credentials gets that said, not a DescribeStacks error chain.
		err = errors.New("no credentials provider")
		if cfg.Credentials != nil {
			_, err = cfg.Credentials.Retrieve(ctx)
		}
		if err != nil {
			return target.Target{}, fmt.Errorf("no AWS credentials to read stack %s (%w): configure them (`aws configure`, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or pass --outputs FILE, which needs none", a.stack, err)
		}
		cfn := cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) { o.HTTPClient = a.awsHTTP() })
		return target.Stack(ctx, cfn, a.stack, cfg.Region)
	}
	return target.Target{}, errors.New("no target: pass --local (the twin from `make local`), --outputs FILE, or --stack NotesApi-<stage> --region R")
}

// targetArgs repeats the target flags, for the next command a message suggests.
func (a *app) targetArgs() string {
	var args []string
	switch {
	case a.local:
		args = append(args, "--local")
		if a.stage != "dev" {
			args = append(args, "--stage", shellQuote(a.stage))
		}
		if a.localDir != "" {
			args = append(args, "--local-dir", shellQuote(a.localDir))
		}
	case a.outputs != "":
		args = append(args, "--outputs", shellQuote(a.outputs))
		if a.stack != "" {
			args = append(args, "--stack", shellQuote(a.stack))
		}
	default:
		args = append(args, "--stack", shellQuote(a.stack))
		if a.region != "" {
			args = append(args, "--region", shellQuote(a.region))
		}
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it, so a suggested command can be pasted.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// session is everything a command needs to act on the target.
type session struct {
	target  target.Target
	account *account.Account
	cache   *tokencache.Cache
	tokens  *tokencache.Source
}

func (a *app) session(ctx context.Context) (*session, error) {
	t, err := a.target(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := tokencache.DefaultDir()
	if err != nil {
		return nil, err
	}
	acct, err := a.newAccount(ctx, t)
	if err != nil {
		return nil, err
	}
	cache := tokencache.New(dir)
	return &session{
		target: t, account: acct, cache: cache,
		tokens: &tokencache.Source{Cache: cache, Key: t.Key, Refresher: acct},
	}, nil
}

// awsConfig loads the user's AWS configuration (region may be empty: the profile's). The SDK's own log lines
// (such as its IMDSv1 fallback warning) stay out of notesctl's output; the errors say what failed.
func (a *app) awsConfig(ctx context.Context, region string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}

// awsHTTP is the HTTP client of every AWS SDK client: the SDK's default has no timeout at all.
func (a *app) awsHTTP() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTimeout(a.timeout)
}

// apiClient is a notes API client for the target with the given tokens.
func (a *app) apiClient(t target.Target, tokens client.TokenSource) (*client.Client, error) {
	return client.New(t.ApiURL, tokens, client.WithHTTPClient(&http.Client{Timeout: a.timeout}))
}

// newAccount is the Cognito side of the target.
func (a *app) newAccount(ctx context.Context, t target.Target) (*account.Account, error) {
	idp, err := account.NewIdentityProvider(ctx, t.Region, t.CognitoEndpoint, a.timeout)
	if err != nil {
		return nil, err
	}
	return &account.Account{IDP: idp, PoolID: t.UserPoolID, ClientID: t.UserPoolClientID}, nil
}

// notesAPI is the notes client for the target's signed-in user.
func (a *app) notesAPI(ctx context.Context) (*client.Client, error) {
	s, err := a.session(ctx)
	if err != nil {
		return nil, err
	}
	return a.apiClient(s.target, s.tokens)
}

// print writes v as JSON with --json, else the text.
func (a *app) print(v any, text string) error {
	if a.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, err := io.WriteString(a.stdout, text)
	return err
}
