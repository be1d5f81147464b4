package twin

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/authnotes/authnotes/local/cfn"
	"github.com/authnotes/authnotes/local/gateway"
)

func writeFile(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestStaleness(t *testing.T) {
	synthAt := time.Now().Add(-time.Hour)
	before, after := synthAt.Add(-time.Minute), synthAt.Add(time.Minute)
	tests := []struct {
		name    string
		files   map[string]time.Time
		noSynth bool
		want    string
	}{
		{name: "never synthesized", noSynth: true, want: "has no manifest.json"},
		{name: "up to date", files: map[string]time.Time{"app.go": before, "stacks/stack.go": before, "lambda/x/main.go": before}},
		{name: "construct changed", files: map[string]time.Time{"app.go": before, "constructs/notesapi/props.go": after}, want: "constructs/notesapi/props.go changed after the last synth"},
		{name: "handler changed", files: map[string]time.Time{"lambda/createnote/main.go": after}, want: "lambda/createnote/main.go changed"},
		{name: "go.sum changed", files: map[string]time.Time{"go.sum": after}, want: "go.sum changed"},
		{name: "tests, testdata and the twin do not count", files: map[string]time.Time{
			"stacks/stack_test.go": after, "lambda/x/testdata/e.json": after, "local/twin/twin.go": after, "README.md": after,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := t.TempDir()
			asm := filepath.Join(repo, "cdk.out")
			if !tt.noSynth {
				writeFile(t, filepath.Join(asm, "manifest.json"), "{}", synthAt)
			}
			for f, m := range tt.files {
				writeFile(t, filepath.Join(repo, f), "x", m)
			}
			got, err := staleness(repo, asm)
			if err != nil {
				t.Fatal(err)
			}
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("staleness() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestPrerequisitesNameTheFix(t *testing.T) {
	repo := t.TempDir() // no node_modules
	t.Setenv("PATH", t.TempDir())
	err := checkPrerequisites(repo, true)
	if err == nil {
		t.Fatal("checkPrerequisites() = nil with nothing installed")
	}
	for _, want := range []string{"node is not on PATH: install Node.js", "node_modules/dynalite is missing: run `npm ci`", "npx is not on PATH", "node_modules/aws-cdk) is missing: run `npm ci`", "go is not on PATH: install Go"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestSynthRunsTheCDKCLI(t *testing.T) {
	bin := t.TempDir()
	argsFile := filepath.Join(t.TempDir(), "args")
	// A stand-in npx records its arguments and working directory.
	script := "#!/bin/sh\necho \"$PWD $*\" > " + argsFile + "\n"
	if err := os.WriteFile(filepath.Join(bin, "npx"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	repo := t.TempDir()
	var log strings.Builder
	if err := synth(context.Background(), repo, "/tmp/out", "NotesApi-dev", &log); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := repo + " --no-install cdk synth NotesApi-dev --quiet --output /tmp/out\n"; string(got) != want {
		t.Errorf("npx ran as %q; want %q", got, want)
	}
	if !strings.Contains(log.String(), "npx --no-install cdk synth NotesApi-dev") {
		t.Errorf("log %q does not say what runs", log.String())
	}
}

func TestCancelledSynthLeavesNoProcesses(t *testing.T) {
	bin := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "pid")
	// A stand-in npx that, like the CDK CLI running `go run .`, has a child of its own.
	script := "#!/bin/sh\nsleep 300 &\necho $! > " + pidFile + ".tmp\nmv " + pidFile + ".tmp " + pidFile + "\nwait\n"
	if err := os.WriteFile(filepath.Join(bin, "npx"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- synth(ctx, t.TempDir(), t.TempDir(), "NotesApi-dev", io.Discard) }()
	var child int
	deadline := time.Now().Add(time.Minute)
	for child == 0 {
		if raw, err := os.ReadFile(pidFile); err == nil {
			child, _ = strconv.Atoi(strings.TrimSpace(string(raw)))
		} else if time.Now().After(deadline) {
			t.Fatal("the stand-in npx did not start its child")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel() // Ctrl-C during the synth
	if err := <-done; err == nil {
		t.Fatal("synth succeeded after cancel")
	}
	for syscall.Kill(child, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the synth's child %d still runs after cancel", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type nopInvoker struct{}

func (nopInvoker) Invoke(context.Context, []byte) ([]byte, error) { return []byte(`{}`), nil }

func loadStack(t *testing.T) *cfn.Stack {
	t.Helper()
	raw, err := os.ReadFile("testdata/api.template.json")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.ParseTemplate(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &cfn.Stack{Name: "S", Template: tpl}
}

func TestAPIConfigFromTemplate(t *testing.T) {
	st := loadStack(t)
	phys := newPhysical(st, "eu-west-1", "123456789012")
	phys.set("Pool", "AWS::Cognito::UserPool", "eu-west-1_abcdefghi", nil)
	phys.set("Client", "AWS::Cognito::UserPoolClient", "clientid", nil)
	rv := phys.resolver(st)
	fnARN := phys.attrs["Fn"]["Arn"]
	var issuers []string
	cfg, stage, err := apiConfig(st, apiInputs{
		rv:        rv,
		functions: map[string]gateway.Invoker{fnARN: nopInvoker{}},
		localIssuer: func(pool string) string {
			issuers = append(issuers, pool)
			return "http://127.0.0.1:9229/" + pool
		},
	})
	if err != nil {
		t.Fatalf("apiConfig: %v", err)
	}
	if stage != "$default" {
		t.Errorf("stage = %q; want $default", stage)
	}
	if diff := cmp.Diff([]string{"eu-west-1_abcdefghi"}, issuers); diff != "" {
		t.Errorf("issuers mapped to the local endpoint (-want +got):\n%s", diff)
	}
	authID := phys.refs["Authorizer"]
	want := gateway.Config{
		APIID: phys.refs["Api"],
		Stage: "$default",
		Routes: []gateway.Route{{
			Key: "GET /things/{id}", Function: nopInvoker{}, Authorizer: authID, Scopes: []string{"aws.cognito.signin.user.admin"},
			Timeout: 5 * time.Second,
		}},
		Cors: &gateway.Cors{
			AllowOrigins: []string{"http://localhost:5173"}, AllowMethods: []string{"GET"}, AllowHeaders: []string{"authorization"},
			ExposeHeaders: []string{"etag"}, MaxAge: 3600,
		},
		Throttle:        &gateway.Throttle{Rate: 10.5, Burst: 20},
		AccessLogFormat: `{"id":"$context.requestId"}`,
	}
	if diff := cmp.Diff(want, cfg, cmpopts.IgnoreFields(gateway.Config{}, "Authorizers")); diff != "" {
		t.Errorf("gateway config (-want +got):\n%s", diff)
	}
	a, ok := cfg.Authorizers[authID]
	if !ok || a.Verifier == nil || !cmp.Equal(a.IdentitySource, []string{"$request.header.Authorization"}) {
		t.Errorf("authorizer %s = %+v; want a JWT verifier reading the Authorization header", authID, a)
	}
}

// apiConfigOf maps the test template's API with its pool served locally.
func apiConfigOf(st *cfn.Stack) (gateway.Config, error) {
	phys := newPhysical(st, "eu-west-1", "123456789012")
	phys.set("Pool", "AWS::Cognito::UserPool", "eu-west-1_abcdefghi", nil)
	cfg, _, err := apiConfig(st, apiInputs{
		rv:          phys.resolver(st),
		functions:   map[string]gateway.Invoker{phys.attrs["Fn"]["Arn"]: nopInvoker{}},
		localIssuer: func(pool string) string { return "http://127.0.0.1:9229/" + pool },
	})
	return cfg, err
}

func TestAPIConfigThrottlingDefaultsToTheAccountLimits(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]any
		want     *gateway.Throttle
	}{
		{name: "both", settings: map[string]any{"ThrottlingBurstLimit": 20.0, "ThrottlingRateLimit": 10.5}, want: &gateway.Throttle{Rate: 10.5, Burst: 20}},
		{name: "burst only", settings: map[string]any{"ThrottlingBurstLimit": 20.0}, want: &gateway.Throttle{Rate: 10000, Burst: 20}},
		{name: "rate only", settings: map[string]any{"ThrottlingRateLimit": 10.5}, want: &gateway.Throttle{Rate: 10.5, Burst: 5000}},
		{name: "none", settings: map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := loadStack(t)
			st.Template.Resources["Stage"].Properties["DefaultRouteSettings"] = tt.settings
			cfg, err := apiConfigOf(st)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, cfg.Throttle); diff != "" {
				t.Errorf("throttle (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPIConfigRefusesWhatItCannotServe(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(st *cfn.Stack)
		want   string
	}{
		{name: "external issuer", mutate: func(st *cfn.Stack) {
			jc := st.Template.Resources["Authorizer"].Properties["JwtConfiguration"].(map[string]any)
			jc["Issuer"] = "https://login.example.com/"
		}, want: "is not a user pool of this stack"},
		{name: "lambda authorizer", mutate: func(st *cfn.Stack) {
			st.Template.Resources["Authorizer"].Properties["AuthorizerType"] = "REQUEST"
		}, want: `AuthorizerType "REQUEST"`},
		{name: "payload 1.0", mutate: func(st *cfn.Stack) {
			st.Template.Resources["Integration"].Properties["PayloadFormatVersion"] = "1.0"
		}, want: `PayloadFormatVersion "1.0"`},
		{name: "IAM auth", mutate: func(st *cfn.Stack) {
			st.Template.Resources["Route"].Properties["AuthorizationType"] = "AWS_IAM"
		}, want: `AuthorizationType "AWS_IAM"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := loadStack(t)
			tt.mutate(st)
			_, err := apiConfigOf(st)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("apiConfig() = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRuntimeConfig(t *testing.T) {
	st := loadStack(t)
	res := st.Template.Resources["Fn"]
	tests := []struct {
		name       string
		props      map[string]any
		wantLevel  string
		wantSystem string
		wantErr    string
	}{
		{name: "JSON logs carry the level", props: map[string]any{
			"Handler": "bootstrap", "MemorySize": 256.0, "Timeout": 10.0,
			"Environment":   map[string]any{"Variables": map[string]any{"TABLE_NAME": "t"}},
			"LoggingConfig": map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "SystemLogLevel": "WARN", "LogGroup": "/g"},
		}, wantLevel: "DEBUG", wantSystem: "WARN"},
		{name: "text logs ignore the level", props: map[string]any{
			"Handler": "bootstrap", "MemorySize": 256.0, "Timeout": 10.0,
			"Environment":   map[string]any{"Variables": map[string]any{"TABLE_NAME": "t"}},
			"LoggingConfig": map[string]any{"LogFormat": "Text", "ApplicationLogLevel": "DEBUG", "SystemLogLevel": "WARN", "LogGroup": "/g"},
		}},
		{name: "non-string variable", props: map[string]any{
			"Environment": map[string]any{"Variables": map[string]any{"N": []any{"x"}}},
		}, wantErr: "environment variable N"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &functionSpec{res: res, name: "S-GetThing", props: tt.props}
			var failedName string
			creds := aws.Credentials{AccessKeyID: "LOCALKEY", SecretAccessKey: "secret"}
			cfg, err := runtimeConfig(spec, "/task", functionEnv{
				region: "eu-west-1", account: "123456789012", dynamoDB: "http://127.0.0.1:8000", credentials: creds,
				startFailed: func(name string, _ error) { failedName = name },
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("runtimeConfig() = %v; want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg.StartFailed(errors.New("init failed"))
			got := []any{cfg.Name, cfg.Dir, cfg.Handler, cfg.MemoryMB, cfg.Timeout, cfg.Env["TABLE_NAME"], cfg.LogLevel, cfg.SystemLogLevel, cfg.LogGroup, cfg.DynamoDBEndpoint, cfg.Credentials.AccessKeyID, failedName}
			want := []any{"S-GetThing", "/task", "bootstrap", 256, 10 * time.Second, "t", tt.wantLevel, tt.wantSystem, "/g", "http://127.0.0.1:8000", "LOCALKEY", "S-GetThing"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("runtime config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFunctionName(t *testing.T) {
	st := loadStack(t)
	fn := st.Template.Resources["Fn"]
	if got := functionName("S", fn, map[string]bool{}); got != "S-GetThing" {
		t.Errorf("functionName() = %q; want S-GetThing (from the construct path)", got)
	}
	if got := functionName("S", fn, map[string]bool{"S-GetThing": true}); got != "S-Fn" {
		t.Errorf("functionName() with a clash = %q; want S-Fn", got)
	}
	fn.Properties = map[string]any{"FunctionName": "explicit"}
	if got := functionName("S", fn, map[string]bool{}); got != "explicit" {
		t.Errorf("functionName() = %q; want the template's FunctionName", got)
	}
}

func TestStartNamesEveryTakenAddressFirst(t *testing.T) {
	var addrs []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		addrs = append(addrs, ln.Addr().String())
	}
	// No assembly exists: the check must come before any synth or start.
	_, err := Start(context.Background(), Options{
		RepoDir: t.TempDir(), AssemblyDir: filepath.Join(t.TempDir(), "cdk.out"), StateDir: t.TempDir(),
		APIAddr: addrs[0], CognitoAddr: "127.0.0.1:0", DynamoDBAddr: addrs[1], Log: &strings.Builder{},
	})
	if err == nil {
		t.Fatal("Start with taken addresses succeeded")
	}
	for _, want := range []string{"API: listen tcp " + addrs[0], "(move it with --api)", "DynamoDB: listen tcp " + addrs[1], "(move it with --dynamodb)", "address already in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start error = %q; want it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "Cognito") {
		t.Errorf("Start error = %q names Cognito, whose address is free", err)
	}
}

// TestStartRefusesNonLoopbackAddresses: every server of the twin answers only loopback host names, so an address
// other machines could reach is refused up front, each named with its flag, before anything is bound or started.
func TestStartRefusesNonLoopbackAddresses(t *testing.T) {
	_, err := Start(context.Background(), Options{
		RepoDir: t.TempDir(), AssemblyDir: filepath.Join(t.TempDir(), "cdk.out"), StateDir: t.TempDir(),
		APIAddr: "0.0.0.0:0", CognitoAddr: "127.0.0.1:0", DynamoDBAddr: "192.0.2.7:0", Log: &strings.Builder{},
	})
	if err == nil {
		t.Fatal("Start with non-loopback addresses succeeded")
	}
	for _, want := range []string{`API: "0.0.0.0:0" is not a loopback address (use --api 127.0.0.1:PORT)`, `DynamoDB: "192.0.2.7:0" is not a loopback address (use --dynamodb 127.0.0.1:PORT)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start error = %q; want it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "Cognito") {
		t.Errorf("Start error = %q names Cognito, whose address is a loopback one", err)
	}
}

func TestStateDirectoryHoldsOneTwin(t *testing.T) {
	dir := t.TempDir()
	first, err := lockState(dir)
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	if _, err := lockState(dir); err == nil || !strings.Contains(err.Error(), "in use by another twin (pid "+strconv.Itoa(os.Getpid())+")") {
		t.Errorf("second lock = %v; want the state directory in use by this pid", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := lockState(dir)
	if err != nil {
		t.Fatalf("lock after the first twin stopped: %v", err)
	}
	_ = again.Close()
}

func TestStartFailingEarlyStartsAndStopsNothing(t *testing.T) {
	var log strings.Builder
	_, err := Start(context.Background(), Options{
		RepoDir: t.TempDir(), AssemblyDir: filepath.Join(t.TempDir(), "cdk.out"), StateDir: filepath.Join(t.TempDir(), "dev"),
		APIAddr: "127.0.0.1:0", CognitoAddr: "127.0.0.1:0", DynamoDBAddr: "127.0.0.1:0", Log: &log,
	})
	if err == nil || !strings.Contains(err.Error(), "run `npm ci`") {
		t.Fatalf("Start without node_modules = %v; want the missing prerequisites", err)
	}
	if strings.Contains(log.String(), "stopped") {
		t.Errorf("log = %q; want no \"stopped\" when nothing started", log.String())
	}
}

// TestCustomResourceHandlersAreNotRun: a function a custom resource calls (CDK's BucketDeployment handler, a Python
// function without authnotes:goPackage) is left to CloudFormation; route functions are not.
func TestCustomResourceHandlersAreNotRun(t *testing.T) {
	st := loadStack(t)
	st.Template.Resources["DeployHandler"] = cfn.Resource{LogicalID: "DeployHandler", Type: "AWS::Lambda::Function",
		Properties: map[string]any{"Runtime": "python3.13", "Handler": "index.handler"}}
	st.Template.Resources["Deployment"] = cfn.Resource{LogicalID: "Deployment", Type: "Custom::CDKBucketDeployment",
		Properties: map[string]any{"ServiceToken": map[string]any{"Fn::GetAtt": []any{"DeployHandler", "Arn"}}}}
	got := customResourceHandlers(st.Template)
	if diff := cmp.Diff(map[string]bool{"DeployHandler": true}, got); diff != "" {
		t.Errorf("customResourceHandlers (-want +got):\n%s", diff)
	}
}
