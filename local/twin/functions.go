package twin

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
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

// hostBuilds makes sure the Go package of every spec is built for this host into
// <buildDir>/<LogicalID>/bootstrap. A build is reused while the package's fingerprint (sources, module versions,
// flags) is unchanged; the others are rebuilt with one go build, and each new bootstrap replaces the old one by a
// rename, so processes still running the old one are not disturbed. It returns the fingerprints by package and the
// logical IDs it rebuilt. A compile error is a *buildError with the compiler's output.
// A non-nil log hears which packages are built before the build starts (a cold build takes a minute).
func hostBuilds(ctx context.Context, repoDir, buildDir string, specs []*functionSpec, times *buildTimes, log io.Writer) (map[string]string, map[string]bool, error) {
	began := time.Now()
	defer func() { times.build = time.Since(began) - times.fingerprint }()
	var pkgs []string
	for _, s := range specs {
		if !slices.Contains(pkgs, s.goPackage) {
			pkgs = append(pkgs, s.goPackage)
		}
	}
	rebuilt := map[string]bool{}
	if len(pkgs) == 0 {
		return map[string]string{}, rebuilt, nil
	}
	prints, err := gobuild.Fingerprints(ctx, repoDir, runtime.GOARCH, pkgs...)
	if err != nil {
		return nil, nil, fmt.Errorf("fingerprint the function packages: %w", err)
	}
	times.fingerprint = time.Since(began)
	var stale []*functionSpec
	var stalePkgs []string
	for _, s := range specs {
		dir := filepath.Join(buildDir, s.res.LogicalID)
		if old, err := os.ReadFile(filepath.Join(dir, "fingerprint")); err == nil && string(old) == prints[s.goPackage] {
			if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err == nil {
				continue
			}
		}
		stale = append(stale, s)
		if !slices.Contains(stalePkgs, s.goPackage) {
			stalePkgs = append(stalePkgs, s.goPackage)
		}
	}
	if len(stale) == 0 {
		return prints, rebuilt, nil
	}
	if err := privatefs.MkdirAll(buildDir); err != nil {
		return nil, nil, err
	}
	if log != nil {
		fmt.Fprintf(log, "twin: building %s for %s/%s\n", strings.Join(stalePkgs, " "), runtime.GOOS, runtime.GOARCH)
	}
	tmp, err := os.MkdirTemp(buildDir, ".next-") // beside the builds: a rename moves a new one in place
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	built, err := goBuild(ctx, repoDir, tmp, stalePkgs)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range stale {
		dir := filepath.Join(buildDir, s.res.LogicalID)
		if err := privatefs.MkdirAll(dir); err != nil {
			return nil, nil, err
		}
		next := filepath.Join(dir, "bootstrap.next")
		_ = os.Remove(next)
		if err := os.Link(built[s.goPackage], next); err != nil {
			return nil, nil, fmt.Errorf("function %s: %w", s.res.Path(), err)
		}
		if err := os.Rename(next, filepath.Join(dir, "bootstrap")); err != nil {
			return nil, nil, fmt.Errorf("function %s: %w", s.res.Path(), err)
		}
		if err := privatefs.WriteFile(filepath.Join(dir, "fingerprint"), []byte(prints[s.goPackage])); err != nil {
			return nil, nil, err
		}
		rebuilt[s.res.LogicalID] = true
	}
	return prints, rebuilt, nil
}

// buildError is a failed host build; output is the compiler's (file:line: message).
type buildError struct {
	pkgs   []string
	output string
}

func (e *buildError) Error() string {
	return fmt.Sprintf("go build %s:\n%s", strings.Join(e.pkgs, " "), strings.TrimSpace(e.output))
}

// goBuild compiles packages for the host with the bundler's flags into outDir, one go build for packages whose
// executables have distinct names. It returns each package's executable.
func goBuild(ctx context.Context, repoDir, outDir string, pkgs []string) (map[string]string, error) {
	// go build -o dir/ names an executable after the last element of its import path.
	var groups [][]string
	for _, p := range pkgs {
		placed := false
		for i, g := range groups {
			if !slices.ContainsFunc(g, func(q string) bool { return path.Base(q) == path.Base(p) }) {
				groups[i], placed = append(g, p), true
				break
			}
		}
		if !placed {
			groups = append(groups, []string{p})
		}
	}
	out := map[string]string{}
	for i, g := range groups {
		dir := filepath.Join(outDir, strconv.Itoa(i))
		if err := privatefs.MkdirAll(dir); err != nil {
			return nil, err
		}
		args := append([]string{"build"}, gobuild.Flags...)
		args = append(append(args, "-o", dir+string(filepath.Separator)), g...)
		cmd := exec.CommandContext(ctx, "go", args...)
		killGroupOnCancel(cmd) // the compiler and linker too
		cmd.Dir = repoDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
		if msg, err := cmd.CombinedOutput(); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &buildError{pkgs: g, output: string(msg) + "(" + err.Error() + ")"}
		}
		if err := privatefs.Tighten(dir); err != nil { // go build makes the executables 0755
			return nil, err
		}
		for _, p := range g {
			out[p] = filepath.Join(dir, path.Base(p))
		}
	}
	return out, nil
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
