// Package twin runs a synthesized stage offline: it reads the stack from the cloud assembly (synthesizing it when
// missing or stale), starts dynalite with the stack's tables behind the DynamoDB guard, the Cognito endpoint with
// its user pools, a Lambda runtime per function and the HTTP API gateway, and writes the stack outputs with local
// values. It supervises what it runs (supervise.go), keeps its state folder private to its owner and, in watch mode,
// reloads changed handlers and infrastructure while it runs (watch.go, reload.go).
package twin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/authnotes/authnotes/local/cfn"
	"github.com/authnotes/authnotes/local/cognito"
	"github.com/authnotes/authnotes/local/gateway"
	"github.com/authnotes/authnotes/local/loopback"
	"github.com/authnotes/authnotes/local/privatefs"
	"github.com/authnotes/authnotes/local/webapp"
)

// Default addresses (ARCHITECTURE.md).
const (
	DefaultAPIAddr      = "127.0.0.1:3000"
	DefaultCognitoAddr  = "127.0.0.1:9229"
	DefaultDynamoDBAddr = "127.0.0.1:8000"
	// defaultAccount stands in for the account of an environment-agnostic stack.
	defaultAccount = "000000000000"
	defaultRegion  = "us-east-1"
)

// Options configure Start. Zero values take the defaults.
type Options struct {
	// Stage selects the stack NotesApi-<Stage>. Default: dev.
	Stage string
	// RepoDir is the CDK app's directory (with cdk.json). Default: found by walking up from the working directory.
	RepoDir string
	// AssemblyDir is the cloud assembly. Default: <RepoDir>/cdk.out.
	AssemblyDir string
	// NoSynth uses AssemblyDir as it is, without checking whether the sources changed since it was synthesized.
	NoSynth bool
	// StateDir keeps users, keys, tables and host builds. Default: <RepoDir>/.local/<Stage>.
	StateDir string
	// Addresses to listen on; "127.0.0.1:0" picks a free port. Defaults: DefaultAPIAddr, DefaultCognitoAddr,
	// DefaultDynamoDBAddr. The DynamoDB address is the guard's; dynalite itself listens on a Unix socket.
	APIAddr, CognitoAddr, DynamoDBAddr string
	// WebAddr serves the web app there (loopback only; "127.0.0.1:0" picks a free port). Empty: no web app;
	// cmd/twin defaults it to DefaultWebAddr.
	WebAddr string
	// WebDir is the web app's build. Default: <RepoDir>/web/dist (`make web`).
	WebDir string
	// NoThrottle ignores the stage's throttling settings, for load tests of a stage on this machine (the deployed
	// stage keeps them). Default: throttle as the template says.
	NoThrottle bool
	// Watch rebuilds and swaps the functions whose sources change and applies a changed stack (synthesized in the
	// background) while the twin runs; see watch.go. Default: off (cmd/twin turns it on; --watch=false).
	Watch bool
	// Reloaded, when set, hears of every reload that changed what is served (benchmarks read the times).
	Reloaded func(Reload)
	// Log receives what the twin does, the functions' logs, the access log and the Cognito outbox.
	// Default: os.Stderr.
	Log io.Writer
}

// Twin is a running stage.
type Twin struct {
	opts    Options
	stack   *cfn.Stack
	sup     *supervisor
	db      *keeper // dynalite, restarted when it dies
	dynamo  dynamoAccess
	guard   *http.Server
	idp     *cognito.Server
	api     *http.Server
	apiLn   net.Listener
	web     *webapp.Server
	apiURL  string
	outputs map[string]string
	// region and account of the stack, or stand-ins for an environment-agnostic one.
	region, account string
	// lock holds the state directory for this twin alone.
	lock *os.File
	// phys holds the local physical values of the stack being served.
	phys *physical
	// localPools are the IDs of the user pools served here.
	localPools map[string]bool
	// running are the functions by logical ID; the gateway invokes their slots, which reloads switch to new
	// processes.
	running map[string]*running
	fenv    functionEnv
	gw      atomic.Pointer[gateway.Gateway]
	// reloadMu serializes what changes the served stack: start and reloads.
	reloadMu sync.Mutex
	// drains are the replaced functions finishing their invocations in flight.
	drains sync.WaitGroup
	// stage is the API stage's name, part of the invoke URL.
	stage string
	watch *watcher
	// dynamoSocket is dynalite's Unix socket, in socketDir when the state directory's path is too long for one; Close
	// removes both.
	dynamoSocket, socketDir string

	done      chan struct{} // closed when Close has finished
	closeOnce sync.Once
	closeErr  error
}

// dynamoAccess is what a client needs to use the local DynamoDB.
type dynamoAccess struct {
	endpoint        string // the guard's URL
	credentials     aws.Credentials
	credentialsFile string // an AWS shared-credentials file holding them
	profile         string // their profile in that file
}

// Start brings the stage up. On error everything started so far is stopped again.
func Start(ctx context.Context, opts Options) (*Twin, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	// A taken port would otherwise surface only after a synth and dynalite's stack trace.
	if err := checkAddrs(opts); err != nil {
		return nil, err
	}
	if opts.WebAddr != "" {
		if err := webapp.CheckBuild(opts.WebDir); err != nil {
			return nil, fmt.Errorf("%w, or run without the web app (--web '')", err)
		}
	}
	t := &Twin{opts: opts, sup: newSupervisor(opts.Log), done: make(chan struct{}), running: map[string]*running{}, localPools: map[string]bool{}}
	if err := t.start(ctx); err != nil {
		_ = t.Close()
		return nil, err
	}
	go t.stopOnFatal()
	if opts.Watch {
		if err := t.startWatching(); err != nil {
			_ = t.Close()
			return nil, err
		}
	}
	return t, nil
}

func (t *Twin) start(ctx context.Context) error {
	if err := t.loadStack(ctx); err != nil {
		return err
	}
	if err := privatefs.MkdirAll(t.opts.StateDir); err != nil {
		return fmt.Errorf("create the state directory: %w", err)
	}
	// Two twins on one state directory would fight over dynalite's database and Cognito's file.
	var err error
	if t.lock, err = lockState(t.opts.StateDir); err != nil {
		return err
	}
	// Older twins made the state readable by every account; what they left is made private here.
	if err := privatefs.Tighten(t.opts.StateDir); err != nil {
		return fmt.Errorf("make the state directory private: %w", err)
	}
	phys := newPhysical(t.stack, t.region, t.account)
	t.phys = phys
	if err := t.listenWeb(phys); err != nil {
		return err
	}
	tables, err := t.startDynamoDB(ctx, phys)
	if err != nil {
		return err
	}
	if err := t.startCognito(phys); err != nil {
		return err
	}
	// The API's address is known before the functions start, so their environment may refer to it.
	if err := t.listenAPI(phys); err != nil {
		return err
	}
	if err := t.startFunctions(ctx, phys); err != nil {
		return err
	}
	rv := phys.resolver(t.stack)
	if err := t.serveAPI(phys); err != nil {
		return err
	}
	t.outputs, err = t.writeOutputs(rv, tables)
	return err
}

// loadStack synthesizes the stage when the assembly is missing or older than the sources, then reads it.
func (t *Twin) loadStack(ctx context.Context) error {
	opts, log := t.opts, t.opts.Log
	stackName := "NotesApi-" + opts.Stage
	reason := ""
	if !opts.NoSynth {
		var err error
		if reason, err = staleness(opts.RepoDir, opts.AssemblyDir); err != nil {
			return err
		}
	}
	if err := checkPrerequisites(opts.RepoDir, reason != ""); err != nil {
		return err
	}
	if reason != "" {
		fmt.Fprintf(log, "twin: synthesizing %s: %s\n", stackName, reason)
		if err := synth(ctx, opts.RepoDir, opts.AssemblyDir, stackName, log); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(log, "twin: using %s\n", opts.AssemblyDir)
	}
	asm, err := cfn.LoadAssembly(opts.AssemblyDir)
	if err != nil {
		return err
	}
	if t.stack, err = asm.Stack(stackName); err != nil {
		return err // names the stacks the assembly has
	}
	t.region, t.account = t.stack.Region, t.stack.Account
	if t.region == "" {
		t.region = defaultRegion
	}
	if t.account == "" {
		t.account = defaultAccount
	}
	return nil
}

// startDynamoDB starts dynalite on a Unix socket, the guard in front of it on the DynamoDB address, and creates the
// stack's tables (keys and indexes) through the guard unless they exist.
func (t *Twin) startDynamoDB(ctx context.Context, phys *physical) ([]string, error) {
	st, log := t.stack, t.opts.Log
	if err := t.openDynamoDB(ctx); err != nil {
		return nil, err
	}
	tables, err := planTables(st, phys)
	if err != nil {
		return nil, err
	}
	db := dynamoClient(t.dynamo.endpoint, t.region, t.dynamo.credentials)
	var names []string
	for _, tb := range tables {
		created, err := ensureTable(ctx, db, tb.name, tb.def)
		if err != nil {
			if errors.Is(err, errKeysChanged) {
				err = fmt.Errorf("%w; %s", err, t.resetHint())
			}
			return nil, err
		}
		names = append(names, tb.name)
		verb := "kept"
		if created {
			verb = "created"
		}
		fmt.Fprintf(log, "twin: table %s %s\n", tb.name, verb)
	}
	return names, nil
}

// resetHint says how to start the stage's tables over.
func (t *Twin) resetHint() string {
	return fmt.Sprintf("to start the stage's data over, stop the twin, remove %s (the tables; users stay in %s) and run `make local` again; or revert the change",
		filepath.Join(t.opts.StateDir, "dynamodb"), filepath.Join(t.opts.StateDir, "cognito"))
}

// startCognito serves the stack's user pools and app clients.
func (t *Twin) startCognito(phys *physical) error {
	specs, err := cognito.SpecsFromStack(t.stack)
	if err != nil || len(specs) == 0 {
		return err
	}
	origins, err := t.browserOrigins(phys)
	if err != nil {
		return err
	}
	t.idp, err = cognito.NewServer(cognito.Options{
		Addr: t.opts.CognitoAddr, StateDir: filepath.Join(t.opts.StateDir, "cognito"), Region: t.region, Pools: specs,
		Outbox: prefixed(t.opts.Log, "[cognito] "), CORSOrigins: origins,
	})
	if err != nil {
		return err
	}
	t.nameCognito(phys, specs)
	for _, p := range specs {
		fmt.Fprintf(t.opts.Log, "twin: Cognito user pool %s on %s\n", t.idp.PoolID(p.LogicalID), t.idp.URL())
	}
	return nil
}

// nameCognito gives the served user pools and clients their physical IDs.
func (t *Twin) nameCognito(phys *physical, specs []cognito.PoolSpec) {
	t.localPools = map[string]bool{}
	for _, p := range specs {
		id := t.idp.PoolID(p.LogicalID)
		t.localPools[id] = true
		phys.set(p.LogicalID, "AWS::Cognito::UserPool", id, map[string]string{
			"UserPoolId":   id,
			"ProviderName": fmt.Sprintf("cognito-idp.%s.amazonaws.com/%s", t.region, id),
			"ProviderURL":  fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", t.region, id),
		})
		for _, c := range p.Clients {
			phys.set(c.LogicalID, "AWS::Cognito::UserPoolClient", t.idp.ClientID(c.LogicalID), map[string]string{"ClientSecret": ""})
		}
	}
}

// localIssuer is the local issuer of a pool ID, "" for a pool that is not served here.
func (t *Twin) localIssuer(poolID string) string {
	if !t.localPools[poolID] {
		return ""
	}
	return t.idp.Issuer(poolID)
}

// listenAPI binds the API's address and gives the API Gateway resources their physical IDs.
func (t *Twin) listenAPI(phys *physical) error {
	ln, err := net.Listen("tcp", t.opts.APIAddr)
	if err != nil {
		return fmt.Errorf("listen on %s for the API: %w (is another twin running?)", t.opts.APIAddr, err)
	}
	t.apiLn = ln
	t.apiURL = "http://" + ln.Addr().String() + "/"
	t.nameAPI(phys, t.stack)
	return nil
}

// nameAPI gives the API Gateway resources their physical IDs.
func (t *Twin) nameAPI(phys *physical, st *cfn.Stack) {
	for _, a := range st.Template.OfType("AWS::ApiGatewayV2::Api") {
		id := shortID(st.Name+"/"+a.LogicalID, 10)
		phys.set(a.LogicalID, a.Type, id, map[string]string{"ApiId": id, "ApiEndpoint": strings.TrimSuffix(t.apiURL, "/")})
	}
	for _, typ := range []string{"AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Authorizer", "AWS::ApiGatewayV2::Route"} {
		for _, r := range st.Template.OfType(typ) {
			phys.set(r.LogicalID, typ, shortID(st.Name+"/"+r.LogicalID, 7), nil)
		}
	}
	for _, r := range st.Template.OfType("AWS::ApiGatewayV2::Stage") {
		name, _ := r.Properties["StageName"].(string)
		phys.set(r.LogicalID, r.Type, name, nil)
	}
}

// startFunctions gives every function its name, builds for the host what cannot run as staged (in watch mode every
// Go function, so a reload has a build to compare with), and starts a runtime per function behind its slot.
func (t *Twin) startFunctions(ctx context.Context, phys *physical) error {
	t.fenv = functionEnv{
		region: t.region, account: t.account, dynamoDB: t.dynamo.endpoint, credentials: t.dynamo.credentials, log: t.opts.Log,
		// A function whose bootstrap does not start fails the request; the next one tries a new process.
		startFailed: func(name string, err error) {
			t.sup.failed("function "+name, err, "", "the next request starts a new process (its output is above)")
		},
	}
	ch, err := t.reconcile(ctx, t.stack, phys, false)
	if err != nil {
		return err
	}
	ch.commit(t)
	if ch.rebuilt > 0 {
		fmt.Fprintf(t.opts.Log, "twin: built %d function(s) in %.1fs (unchanged builds are reused)\n", ch.rebuilt, ch.times.build.Seconds())
	}
	for _, r := range t.runningInOrder() {
		route := r.spec.res.MetadataString(metaRoute)
		if route == "" {
			route = "-"
		}
		fmt.Fprintf(t.opts.Log, "twin: function %s (%s) from %s\n", r.spec.name, route, r.dir)
	}
	return nil
}

// serveAPI configures the gateway from the template and starts serving on the bound listener.
func (t *Twin) serveAPI(phys *physical) error {
	gw, stage, routes, err := t.gateway(t.stack, phys, t.running)
	if err != nil {
		return err
	}
	if t.opts.NoThrottle {
		fmt.Fprintln(t.opts.Log, "twin: throttling off (--no-throttle)")
	}
	t.gw.Store(gw)
	t.stage = stage
	if stage != gateway.DefaultStage && stage != "" {
		// A named stage is part of the invoke URL; the gateway expects it there.
		t.apiURL += stage + "/"
	}
	t.api = &http.Server{Handler: http.HandlerFunc(t.serveGateway), ReadHeaderTimeout: 10 * time.Second}
	t.serve("HTTP API", t.api, t.apiLn)
	fmt.Fprintf(t.opts.Log, "twin: HTTP API on %s (%d routes)\n", t.apiURL, routes)
	return nil
}

// serveGateway hands each request to the gateway of the moment: a reload replaces it as a whole, and a request
// keeps the one it started with.
func (t *Twin) serveGateway(w http.ResponseWriter, r *http.Request) {
	t.gw.Load().ServeHTTP(w, r)
}

// gateway configures a gateway for a stack whose functions are running (by logical ID); it returns it with the
// stage's name and the number of routes.
func (t *Twin) gateway(st *cfn.Stack, phys *physical, fns map[string]*running) (*gateway.Gateway, string, int, error) {
	invokers := map[string]gateway.Invoker{}
	for id, r := range fns {
		invokers[phys.attrs[id]["Arn"]] = r.slot
	}
	gcfg, stage, err := apiConfig(st, apiInputs{rv: phys.resolver(st), functions: invokers, localIssuer: t.localIssuer})
	if err != nil {
		return nil, "", 0, err
	}
	gcfg.Region, gcfg.AccountID = t.region, t.account
	t.allowWebOrigin(&gcfg)
	if t.opts.NoThrottle {
		gcfg.Throttle = nil
	}
	gcfg.AccessLog = prefixed(t.opts.Log, "[access] ")
	gw, err := gateway.New(gcfg)
	if err != nil {
		return nil, "", 0, err
	}
	return gw, stage, len(gcfg.Routes), nil
}

// checkAddrs refuses addresses that are not loopback ones (every server of the twin answers only this machine,
// under a loopback host name), then binds each fixed address once and releases it, so a port in use is reported
// before anything starts, with every taken address named at once and the flag that moves it.
func checkAddrs(opts Options) error {
	var open, taken []string
	for _, a := range []struct{ what, addr, flag string }{
		{"API", opts.APIAddr, "--api"},
		{"Cognito", opts.CognitoAddr, "--cognito"},
		{"DynamoDB", opts.DynamoDBAddr, "--dynamodb"},
		{"web app", opts.WebAddr, "--web"},
	} {
		if a.addr != "" && !loopback.Addr(a.addr) {
			open = append(open, fmt.Sprintf("%s: %q is not a loopback address (use %s 127.0.0.1:PORT)", a.what, a.addr, a.flag))
			continue
		}
		if _, port, err := net.SplitHostPort(a.addr); a.addr == "" || err == nil && port == "0" {
			continue
		}
		ln, err := net.Listen("tcp", a.addr)
		if err != nil {
			taken = append(taken, fmt.Sprintf("%s: %v (move it with %s)", a.what, err, a.flag))
			continue
		}
		_ = ln.Close()
	}
	if len(open) > 0 {
		return fmt.Errorf("the twin serves this machine only, against DNS rebinding and other machines:\n  - %s", strings.Join(open, "\n  - "))
	}
	if len(taken) > 0 {
		return fmt.Errorf("cannot listen (is another twin running? stop it, or pick other addresses):\n  - %s", strings.Join(taken, "\n  - "))
	}
	return nil
}

func (o *Options) defaults() error {
	if o.Stage == "" {
		o.Stage = "dev"
	}
	if o.RepoDir == "" {
		dir, err := findRepo(".")
		if err != nil {
			return err
		}
		o.RepoDir = dir
	}
	if o.AssemblyDir == "" {
		o.AssemblyDir = filepath.Join(o.RepoDir, "cdk.out")
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.RepoDir, ".local", o.Stage)
	}
	if o.APIAddr == "" {
		o.APIAddr = DefaultAPIAddr
	}
	if o.CognitoAddr == "" {
		o.CognitoAddr = DefaultCognitoAddr
	}
	if o.DynamoDBAddr == "" {
		o.DynamoDBAddr = DefaultDynamoDBAddr
	}
	if o.WebDir == "" {
		o.WebDir = filepath.Join(o.RepoDir, "web", "dist")
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	return nil
}

// writeOutputs resolves the stack outputs with local values, adds CognitoEndpoint and the web app's URL, and writes
// <StateDir>/outputs.json.
func (t *Twin) writeOutputs(rv *cfn.Resolver, tables []string) (map[string]string, error) {
	out, err := t.localOutputs(rv, tables)
	if err != nil {
		return nil, err
	}
	if err := t.serveWeb(out); err != nil {
		return nil, err
	}
	if err := t.saveOutputs(out); err != nil {
		return nil, err
	}
	fmt.Fprintf(t.opts.Log, "twin: wrote %s\n", t.OutputsPath())
	return out, nil
}

// localOutputs are the stack outputs resolved with local values, plus CognitoEndpoint.
func (t *Twin) localOutputs(rv *cfn.Resolver, tables []string) (map[string]string, error) {
	out, err := rv.Outputs()
	if err != nil {
		return nil, fmt.Errorf("stack outputs: %w", err)
	}
	// The template builds ApiUrl from the execute-api domain; locally it is the gateway's address.
	out["ApiUrl"] = t.apiURL
	if _, ok := out["TableName"]; !ok && len(tables) == 1 {
		out["TableName"] = tables[0]
	}
	if _, ok := out["Region"]; !ok {
		out["Region"] = rv.Region
	}
	if t.idp != nil {
		out["CognitoEndpoint"] = t.idp.URL()
	}
	return out, nil
}

// saveOutputs writes <StateDir>/outputs.json.
func (t *Twin) saveOutputs(out map[string]string) error {
	raw, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(t.opts.StateDir, "outputs.json")
	if err := privatefs.WriteFile(path, append(raw, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Outputs are the stack outputs with local values, plus CognitoEndpoint (what outputs.json holds).
func (t *Twin) Outputs() map[string]string {
	out := make(map[string]string, len(t.outputs))
	for k, v := range t.outputs {
		out[k] = v
	}
	return out
}

// APIURL is the gateway's invoke URL, ending in "/".
func (t *Twin) APIURL() string { return t.apiURL }

// DynamoDBEndpoint is the URL of the local DynamoDB: the guard, which takes requests signed with Credentials.
func (t *Twin) DynamoDBEndpoint() string { return t.dynamo.endpoint }

// Credentials are the twin's local credentials: the functions get them, and the DynamoDB endpoint accepts only
// requests signed with them.
func (t *Twin) Credentials() aws.Credentials { return t.dynamo.credentials }

// CredentialsFile is the AWS shared-credentials file that holds Credentials under profile, for the AWS CLI and SDKs.
func (t *Twin) CredentialsFile() (path, profile string) {
	return t.dynamo.credentialsFile, t.dynamo.profile
}

// Done is closed once the twin has stopped: after Close, or on its own when a child kept failing or one of its
// servers stopped; Err then says why.
func (t *Twin) Done() <-chan struct{} { return t.done }

// Err is the failure that stopped the twin on its own; nil while it runs and after a plain Close.
func (t *Twin) Err() error {
	select {
	case <-t.sup.fatal:
		return t.sup.err
	default:
		return nil
	}
}

// stopOnFatal stops the twin when the supervisor gives up, so nothing keeps answering with a dead child behind it.
func (t *Twin) stopOnFatal() {
	select {
	case <-t.sup.fatal:
		fmt.Fprintf(t.opts.Log, "twin: %v\ntwin: stopping everything\n", t.sup.err)
		_ = t.Close()
	case <-t.done:
	}
}

// serve runs one of the twin's servers; one that stops on its own (its listener failed) stops the twin.
func (t *Twin) serve(what string, srv *http.Server, ln net.Listener) {
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			t.sup.stop(fmt.Errorf("the %s stopped serving: %w", what, err))
		}
	}()
}

// Close stops the gateway, the functions' processes, Cognito (flushing its state), the DynamoDB guard and dynalite.
// It may be called more than once; later calls return the first one's result.
func (t *Twin) Close() error {
	t.closeOnce.Do(func() {
		t.closeErr = t.close()
		close(t.done)
	})
	return t.closeErr
}

func (t *Twin) close() error {
	var errs []error
	shutdown := func(what string, srv *http.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop the %s: %w", what, err))
		}
	}
	if t.web != nil {
		_ = t.web.Close() // nothing to flush: it only reads
	}
	if t.api != nil {
		shutdown("API", t.api)
	}
	if t.apiLn != nil {
		_ = t.apiLn.Close() // when Start failed before serving; Shutdown already closed it otherwise
	}
	if t.watch != nil {
		t.watch.close()
	}
	t.reloadMu.Lock() // a reload under way finishes first
	for _, r := range t.running {
		if err := r.slot.close(); err != nil {
			errs = append(errs, err)
		}
	}
	t.reloadMu.Unlock()
	t.drains.Wait()
	if t.idp != nil {
		if err := t.idp.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stop cognito: %w", err))
		}
	}
	if t.guard != nil {
		shutdown("DynamoDB guard", t.guard)
	}
	if t.db != nil {
		if err := t.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stop dynalite: %w", err))
		}
	}
	if t.dynamoSocket != "" {
		_ = os.Remove(t.dynamoSocket) // a killed dynalite leaves it behind
	}
	if t.socketDir != "" {
		_ = os.RemoveAll(t.socketDir)
	}
	if t.lock != nil {
		_ = t.lock.Close() // releases the lock
	}
	if len(errs) == 0 && t.db != nil { // nothing to report when Start failed before anything ran
		fmt.Fprintln(t.opts.Log, "twin: stopped")
	}
	return errors.Join(errs...)
}

// prefixed writes each line to w with a prefix; writers are expected to write whole lines.
func prefixed(w io.Writer, prefix string) io.Writer {
	return &linePrefixer{w: w, prefix: prefix}
}

type linePrefixer struct {
	w      io.Writer
	prefix string
}

func (p *linePrefixer) Write(b []byte) (int, error) {
	lines := strings.SplitAfter(string(b), "\n")
	var out strings.Builder
	for _, l := range lines {
		if l != "" {
			out.WriteString(p.prefix + l)
		}
	}
	if _, err := io.WriteString(p.w, out.String()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// OutputsPath is where the outputs were written.
func (t *Twin) OutputsPath() string { return filepath.Join(t.opts.StateDir, "outputs.json") }
