package twin

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/authnotes/authnotes/constructs/notesapi/gobuild"
	"github.com/authnotes/authnotes/local/cfn"
	"github.com/authnotes/authnotes/local/lambdaruntime"
	"github.com/authnotes/authnotes/local/privatefs"
)

// Metadata keys the notesapi construct writes on every function.
const (
	metaGoPackage = "authnotes:goPackage"
	metaRoute     = "authnotes:route"
)

// functionSpec is one AWS::Lambda::Function as the twin runs it.
type functionSpec struct {
	res       cfn.Resource
	name      string // physical function name
	props     map[string]any
	goPackage string
	arch      string // Lambda architecture: x86_64 or arm64
	assetDir  string // the staged asset, when it runs on this host
	why       string // why the twin builds the package itself instead
}

// functionName is the FunctionName property, else a readable stable name from the construct path
// ("NotesApi-dev/NotesApi/CreateNote/Resource" → "NotesApi-dev-CreateNote").
func functionName(stackName string, r cfn.Resource, taken map[string]bool) string {
	if n, ok := r.Properties["FunctionName"].(string); ok && n != "" {
		return n
	}
	parts := strings.Split(r.Path(), "/")
	name := stackName + "-" + r.LogicalID
	if len(parts) >= 2 && parts[len(parts)-1] == "Resource" {
		name = stackName + "-" + parts[len(parts)-2]
	}
	if taken[name] {
		name = stackName + "-" + r.LogicalID
	}
	return name
}

func architecture(props map[string]any) string {
	if a, ok := props["Architectures"].([]any); ok && len(a) > 0 {
		if s, ok := a[0].(string); ok {
			return s
		}
	}
	return "x86_64"
}

// locate decides where the function's bootstrap comes from: the staged asset when it runs on this host, else a
// host build of the Go package the construct recorded (why says the reason).
func (s *functionSpec) locate(st *cfn.Stack) error {
	s.arch = architecture(s.props)
	ok, err := runnable(s.arch)
	if err != nil {
		return fmt.Errorf("function %s: %w", s.res.Path(), err)
	}
	switch dir, aerr := st.AssetDir(s.res.Properties["Code"]); {
	case !ok:
		s.why = "is built for " + s.arch
	case aerr != nil:
		s.why = "cannot be used (" + aerr.Error() + ")"
	default:
		if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
			// A stack that was not selected at synth time is not bundled.
			s.why = "has no bootstrap in " + dir
		} else {
			s.assetDir = dir
		}
	}
	if s.why != "" && s.goPackage == "" {
		return fmt.Errorf("function %s %s and has no %s metadata: the twin cannot build it for this host", s.res.Path(), s.why, metaGoPackage)
	}
	return nil
}

// runnable reports whether the asset's bootstrap runs on this host: provided runtimes are Linux executables.
func runnable(arch string) (bool, error) {
	goarch, err := gobuild.GOARCH(arch)
	if err != nil {
		return false, err
	}
	return runtime.GOOS == "linux" && goarch == runtime.GOARCH, nil
}

// hostBuilds rebuilds, for this host, the Go packages of functions whose asset targets another architecture,
// into <stateDir>/build/<LogicalID>/bootstrap. A build is reused while the package's fingerprint (sources, module
// versions, flags) is unchanged. It returns the task root per logical ID.
func hostBuilds(ctx context.Context, repoDir, buildDir string, specs []*functionSpec, log io.Writer) (map[string]string, error) {
	var pkgs []string
	for _, s := range specs {
		pkgs = append(pkgs, s.goPackage)
	}
	if len(pkgs) == 0 {
		return map[string]string{}, nil
	}
	prints, err := gobuild.Fingerprints(ctx, repoDir, runtime.GOARCH, pkgs...)
	if err != nil {
		return nil, fmt.Errorf("fingerprint the function packages: %w", err)
	}
	dirs := map[string]string{}
	for _, s := range specs {
		dir := filepath.Join(buildDir, s.res.LogicalID)
		dirs[s.res.LogicalID] = dir
		stamp := filepath.Join(dir, "fingerprint")
		if old, err := os.ReadFile(stamp); err == nil && string(old) == prints[s.goPackage] {
			if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err == nil {
				continue
			}
		}
		start := time.Now()
		fmt.Fprintf(log, "twin: building %s for %s/%s (the asset %s)\n", s.goPackage, runtime.GOOS, runtime.GOARCH, s.why)
		if err := goBuild(ctx, repoDir, s.goPackage, dir); err != nil {
			return nil, fmt.Errorf("function %s: %w", s.res.Path(), err)
		}
		if err := privatefs.WriteFile(stamp, []byte(prints[s.goPackage])); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "twin: built %s in %.1fs\n", s.goPackage, time.Since(start).Seconds())
	}
	return dirs, nil
}

// goBuild compiles a package for the host with the bundler's flags.
func goBuild(ctx context.Context, repoDir, pkg, outDir string) error {
	if err := privatefs.MkdirAll(outDir); err != nil {
		return err
	}
	args := append([]string{"build"}, gobuild.Flags...)
	args = append(args, "-o", filepath.Join(outDir, "bootstrap"), pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	killGroupOnCancel(cmd) // the compiler and linker too
	cmd.Dir = repoDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return privatefs.Tighten(outDir) // go build makes the executable 0755
}

// functionEnv is what the twin gives every function besides its own properties.
type functionEnv struct {
	region, account string
	dynamoDB        string          // the local DynamoDB's URL (the guard)
	credentials     aws.Credentials // the local credentials, which the guard accepts
	log             io.Writer
	// startFailed hears of every bootstrap that failed to start, by function name.
	startFailed func(name string, err error)
}

// runtimeConfig maps the resolved function properties to the runtime's configuration.
func runtimeConfig(s *functionSpec, dir string, env functionEnv) (lambdaruntime.Config, error) {
	cfg := lambdaruntime.Config{
		Name: s.name, Dir: dir, Region: env.region, Account: env.account, DynamoDBEndpoint: env.dynamoDB,
		Credentials: env.credentials, Log: env.log, Env: map[string]string{},
	}
	if env.startFailed != nil {
		cfg.StartFailed = func(err error) { env.startFailed(s.name, err) }
	}
	p := s.props
	cfg.Handler, _ = p["Handler"].(string)
	if n, ok := number(p["MemorySize"]); ok {
		cfg.MemoryMB = n
	}
	if n, ok := number(p["Timeout"]); ok {
		cfg.Timeout = time.Duration(n) * time.Second
	}
	if n, ok := number(p["ReservedConcurrentExecutions"]); ok && n > 0 {
		cfg.MaxConcurrency = min(n, lambdaruntime.DefaultMaxConcurrency)
	}
	if env, ok := p["Environment"].(map[string]any); ok {
		vars, _ := env["Variables"].(map[string]any)
		for k, v := range vars {
			str, ok := v.(string)
			if !ok {
				return cfg, fmt.Errorf("function %s: environment variable %s is %T, want a string", s.res.Path(), k, v)
			}
			cfg.Env[k] = str
		}
	}
	if lc, ok := p["LoggingConfig"].(map[string]any); ok {
		cfg.LogFormat, _ = lc["LogFormat"].(string)
		if cfg.LogFormat == "JSON" {
			// Lambda applies the log levels only with the JSON log format.
			cfg.LogLevel, _ = lc["ApplicationLogLevel"].(string)
			cfg.SystemLogLevel, _ = lc["SystemLogLevel"].(string)
		}
		cfg.LogGroup, _ = lc["LogGroup"].(string)
	}
	return cfg, nil
}

// number reads a template number, which JSON decoding and intrinsic resolution may leave as float64 or string.
func number(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		return int(n), true
	case int:
		return n, true
	case string:
		var i int
		if _, err := fmt.Sscan(n, &i); err == nil {
			return i, true
		}
	}
	return 0, false
}

// customResourceHandlers are the functions a custom resource names as its ServiceToken: they run only while
// CloudFormation deploys the stack, so the twin has nothing to run them for.
func customResourceHandlers(tpl cfn.Template) map[string]bool {
	out := map[string]bool{}
	for _, r := range tpl.Resources {
		token, _ := r.Properties["ServiceToken"].(map[string]any)
		if att, ok := token["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			if id, ok := att[0].(string); ok {
				out[id] = true
			}
		}
	}
	return out
}
