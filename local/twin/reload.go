package twin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authnotes/authnotes/local/cfn"
	"github.com/authnotes/authnotes/local/cognito"
	"github.com/authnotes/authnotes/local/lambdaruntime"
)

// slot is what the gateway invokes for one function: the function of the moment. A reload switches new
// invocations to a new function, lets those in flight finish on the old one, and then stops it.
type slot struct {
	mu  sync.Mutex
	cur *generation
}

// generation is one function behind a slot with the invocations it has in flight.
type generation struct {
	fn       *lambdaruntime.Function
	inflight sync.WaitGroup
}

func newSlot(fn *lambdaruntime.Function) *slot { return &slot{cur: &generation{fn: fn}} }

// Invoke runs the invocation on the function of the moment.
func (s *slot) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	s.mu.Lock()
	g := s.cur
	if g == nil {
		s.mu.Unlock()
		return nil, errors.New("the function was removed from the stack by a reload")
	}
	g.inflight.Add(1) // under mu: once swapped out, a generation gets no new invocations
	s.mu.Unlock()
	defer g.inflight.Done()
	return g.fn.Invoke(ctx, payload)
}

// swap makes fn take the new invocations and returns the generation it replaced.
func (s *slot) swap(fn *lambdaruntime.Function) *generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur
	s.cur = &generation{fn: fn}
	return old
}

// retire takes the slot's function away: later invocations fail. It returns the last generation.
func (s *slot) retire() *generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur
	s.cur = nil
	return old
}

// close stops the function of the moment at once (the twin is stopping).
func (s *slot) close() error {
	s.mu.Lock()
	g := s.cur
	s.mu.Unlock()
	if g == nil {
		return nil
	}
	return g.fn.Close()
}

// drain waits for the invocations in flight (each bounded by the function timeout), then stops the function.
func (g *generation) drain() error {
	g.inflight.Wait()
	return g.fn.Close()
}

// running is a function the twin serves.
type running struct {
	spec *functionSpec
	dir  string // the task root
	slot *slot
	// next is the function a pending change switches the slot to; nil when it keeps running as it is.
	next *lambdaruntime.Function
}

// functionChange is what reconcile prepares: the functions the stack has, those to start, those to stop.
type functionChange struct {
	next    map[string]*running // by logical ID, after the change
	started []*running          // new or switched
	removed []*running
	rebuilt int
	times   buildTimes
}

// buildTimes split a reload's time.
type buildTimes struct {
	fingerprint, build, swap time.Duration
}

// Reload describes one reload: of handlers (Functions switched to a new build) or of the stack (Stack set).
type Reload struct {
	// Files changed, relative to the repository; Functions are those switched to a new build.
	Files, Functions []string
	// Detect runs from the first file event to knowing which functions changed (the debounce wait and the
	// fingerprints), Build is the go build, Swap starting and warming the new processes and switching to them.
	Detect, Build, Swap time.Duration
	// Stack is set for a stack reload, which took Synth to synthesize and Apply to apply.
	Stack        bool
	Synth, Apply time.Duration
}

// functionSpecs gives every function of the stack its name and reads its properties. Functions that only custom
// resources call (the web app's BucketDeployment handler, S3 auto-delete) run while CloudFormation deploys, so the
// twin has nothing to run them for.
func functionSpecs(st *cfn.Stack, phys *physical) ([]*functionSpec, error) {
	taken := map[string]bool{}
	var specs []*functionSpec
	handlers := customResourceHandlers(st.Template)
	for _, r := range st.Template.OfType("AWS::Lambda::Function") {
		if handlers[r.LogicalID] {
			continue
		}
		name := functionName(st.Name, r, taken)
		taken[name] = true
		phys.set(r.LogicalID, r.Type, name, nil)
		specs = append(specs, &functionSpec{res: r, name: name, goPackage: r.MetadataString(metaGoPackage)})
	}
	// Names first: ARNs may appear in other functions' environment.
	rv := phys.resolver(st)
	for _, s := range specs {
		var err error
		if s.props, err = rv.Properties(s.res); err != nil {
			return nil, err
		}
		if err := s.locate(st); err != nil {
			return nil, err
		}
	}
	return specs, nil
}

// reconcile prepares the functions of a stack against those running: it builds for the host what cannot run as
// staged (in watch mode every Go function, so that the fingerprints say what a source change affects), and starts
// a new function for each one that is new, rebuilt or configured differently. With warm, each new function must
// start a process before it may take traffic, so a build that crashes at init never replaces a good one. Nothing
// changes for clients until commit.
func (t *Twin) reconcile(ctx context.Context, st *cfn.Stack, phys *physical, warm bool) (*functionChange, error) {
	specs, err := functionSpecs(st, phys)
	if err != nil {
		return nil, err
	}
	buildDir := filepath.Join(t.opts.StateDir, "build")
	var toBuild []*functionSpec
	for _, s := range specs {
		if s.goPackage != "" && (t.opts.Watch || s.why != "") {
			toBuild = append(toBuild, s)
		}
	}
	ch := &functionChange{next: map[string]*running{}}
	var announce io.Writer
	if !warm { // starting: the only build a developer waits for without a reload line
		announce = t.opts.Log
	}
	_, rebuilt, err := hostBuilds(ctx, t.opts.RepoDir, buildDir, toBuild, &ch.times, announce)
	if err != nil {
		return nil, err
	}
	ch.rebuilt = len(rebuilt)
	began := time.Now()
	for _, s := range specs {
		id := s.res.LogicalID
		dir := s.assetDir
		if slices.Contains(toBuild, s) {
			dir = filepath.Join(buildDir, id)
		}
		cur := t.running[id]
		if cur != nil && !rebuilt[id] && cur.dir == dir && cur.spec.name == s.name && sameConfig(cur.spec.props, s.props) {
			cur.spec = s
			ch.next[id] = cur
			continue
		}
		cfg, err := runtimeConfig(s, dir, t.fenv)
		if err != nil {
			ch.abort()
			return nil, err
		}
		// While a new function proves that it starts, its failures are the reload's, not a failing child's.
		var warming atomic.Bool
		if report := cfg.StartFailed; report != nil {
			cfg.StartFailed = func(err error) {
				if !warming.Load() {
					report(err)
				}
			}
		}
		fn, err := lambdaruntime.Start(cfg)
		if err != nil {
			ch.abort()
			return nil, err
		}
		r := &running{spec: s, dir: dir, next: fn}
		if cur != nil {
			r.slot = cur.slot
		} else {
			r.slot = newSlot(fn)
		}
		ch.next[id] = r
		ch.started = append(ch.started, r)
		if warm {
			warming.Store(true)
			err := fn.Warm(ctx)
			warming.Store(false)
			if err != nil {
				ch.abort()
				return nil, fmt.Errorf("function %s does not start: %w", shortName(st.Name, s.name), err)
			}
		}
	}
	for id, r := range t.running {
		if _, ok := ch.next[id]; !ok {
			ch.removed = append(ch.removed, r)
		}
	}
	ch.times.swap = time.Since(began)
	return ch, nil
}

// sameConfig reports whether two functions' resolved properties are the same but for their code, which the
// fingerprints compare.
func sameConfig(a, b map[string]any) bool {
	a, b = maps.Clone(a), maps.Clone(b)
	delete(a, "Code")
	delete(b, "Code")
	return reflect.DeepEqual(a, b)
}

// abort stops the functions reconcile started.
func (ch *functionChange) abort() {
	for _, r := range ch.started {
		_ = r.next.Close()
	}
}

// commit switches the slots to the new functions and stops the replaced and removed ones once their invocations
// in flight are done. Call with reloadMu held.
func (ch *functionChange) commit(t *Twin) {
	began := time.Now()
	var old []*generation
	for _, r := range ch.started {
		if t.running[r.spec.res.LogicalID] != nil {
			old = append(old, r.slot.swap(r.next))
		}
		r.next = nil
	}
	for _, r := range ch.removed {
		if g := r.slot.retire(); g != nil {
			old = append(old, g)
		}
	}
	t.running = ch.next
	for _, g := range old {
		t.drains.Add(1)
		go func() {
			defer t.drains.Done()
			if err := g.drain(); err != nil {
				fmt.Fprintf(t.opts.Log, "twin: stop the replaced function %s: %v\n", g.fn.Name(), err)
			}
		}()
	}
	ch.times.swap += time.Since(began)
}

// runningInOrder lists the running functions by name.
func (t *Twin) runningInOrder() []*running {
	out := make([]*running, 0, len(t.running))
	for _, r := range t.running {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].spec.name < out[j].spec.name })
	return out
}

// shortName is a function's name without the stack's prefix ("NotesApi-dev-CreateNote" → "CreateNote").
func shortName(stackName, name string) string {
	return strings.TrimPrefix(name, stackName+"-")
}

// changeBatch is what one reload reacts to: the files that changed, and when the first of them did.
type changeBatch struct {
	files []string // relative to the repository, sorted
	kind  changeKind
	first time.Time
}

// describe names the changed files, a few of them.
func (b changeBatch) describe() string {
	const most = 3
	if len(b.files) <= most {
		return strings.Join(b.files, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(b.files[:most], ", "), len(b.files)-most)
}

// reloadCode rebuilds the functions whose sources changed, switches new invocations to them and says so in one
// line. A build that fails (a compile error) or does not start leaves the running functions serving.
func (t *Twin) reloadCode(ctx context.Context, b changeBatch) {
	t.reloadMu.Lock()
	defer t.reloadMu.Unlock()
	began := time.Now()
	ch, err := t.reconcile(ctx, t.stack, t.phys, true)
	if err != nil {
		t.reloadFailed(b, err, "still serving the last good build")
		return
	}
	if len(ch.started) == 0 {
		return // no function depends on what changed
	}
	ch.commit(t)
	rl := Reload{Files: b.files, Functions: t.names(ch.started), Detect: began.Sub(b.first) + ch.times.fingerprint, Build: ch.times.build, Swap: ch.times.swap}
	fmt.Fprintf(t.opts.Log, "twin: reloaded %s (%s changed) in %.2fs: detect %.2fs, build %.2fs, swap %.2fs\n",
		strings.Join(rl.Functions, ", "), b.describe(), time.Since(b.first).Seconds(), rl.Detect.Seconds(), rl.Build.Seconds(), rl.Swap.Seconds())
	if t.opts.Reloaded != nil {
		t.opts.Reloaded(rl)
	}
}

func (t *Twin) names(rs []*running) []string {
	var out []string
	for _, r := range rs {
		out = append(out, shortName(t.stack.Name, r.spec.name))
	}
	sort.Strings(out)
	return out
}

// reloadFailed prints why a reload did not happen; a compile error shows the compiler's lines.
func (t *Twin) reloadFailed(b changeBatch, err error, keeps string) {
	msg := err.Error()
	var be *buildError
	if errors.As(err, &be) {
		msg = "compile error:\n" + strings.TrimSpace(be.output)
	}
	fmt.Fprintf(t.opts.Log, "twin: reload failed (%s changed); %s:\n  %s\n", b.describe(), keeps, strings.ReplaceAll(msg, "\n", "\n  "))
}

// reloadStack applies a newly synthesized stack without a restart: routes, authorizers, CORS and throttling (a new
// gateway), function environment, memory and timeout (new functions), user pool and client settings (in place,
// keeping users, keys and sessions), new tables. Data survives; a change that cannot keep it (a table's key
// schema) is refused with how to reset.
func (t *Twin) reloadStack(ctx context.Context, b changeBatch, st *cfn.Stack, synthTime time.Duration) {
	t.reloadMu.Lock()
	defer t.reloadMu.Unlock()
	keeps := "still serving the running stage"
	diff := diffTemplates(t.stack.Template, st.Template)
	if len(diff.refused) > 0 {
		t.reloadFailed(b, fmt.Errorf("%s\n%s", strings.Join(diff.refused, "\n"), t.resetHint()), keeps)
		return
	}
	if diff.empty() {
		fmt.Fprintf(t.opts.Log, "twin: synthesized %s in %.1fs (%s changed): the template is the same\n", st.Name, synthTime.Seconds(), b.describe())
		return
	}
	began := time.Now()
	restarted, err := t.applyStack(ctx, st)
	if err != nil {
		t.reloadFailed(b, err, keeps)
		return
	}
	rl := Reload{Files: b.files, Functions: restarted, Stack: true, Synth: synthTime, Apply: time.Since(began)}
	what := diff.summary()
	if len(restarted) > 0 {
		what += "; restarted " + strings.Join(restarted, ", ")
	}
	fmt.Fprintf(t.opts.Log, "twin: applied %s (%s changed): %s; synth %.1fs, apply %.2fs\n",
		st.Name, b.describe(), what, rl.Synth.Seconds(), rl.Apply.Seconds())
	if t.opts.Reloaded != nil {
		t.opts.Reloaded(rl)
	}
}

// applyStack serves st in place of the running stack and returns the functions it started or restarted. Call with
// reloadMu held.
func (t *Twin) applyStack(ctx context.Context, st *cfn.Stack) ([]string, error) {
	phys := newPhysical(st, t.region, t.account)
	t.nameWeb(phys, st)
	tables, err := planTables(st, phys)
	if err != nil {
		return nil, err
	}
	specs, err := cognito.SpecsFromStack(st)
	if err != nil {
		return nil, err
	}
	switch {
	case t.idp == nil && len(specs) > 0:
		return nil, errors.New("the stage has a user pool now: restart the twin to serve it")
	case t.idp != nil && len(specs) == 0:
		return nil, errors.New("the stage has no user pool any more: restart the twin")
	case t.idp != nil:
		if err := t.idp.Reconfigure(specs); err != nil {
			return nil, err
		}
		t.nameCognito(phys, specs)
	}
	t.nameAPI(phys, st)
	ch, err := t.reconcile(ctx, st, phys, true)
	if err != nil {
		return nil, err
	}
	gw, stage, _, err := t.gateway(st, phys, ch.next)
	if err != nil {
		ch.abort()
		return nil, err
	}
	if old := t.gw.Load(); old != nil && stage != t.stage {
		ch.abort()
		return nil, fmt.Errorf("the API's stage is %q now (was %q): it is part of the invoke URL, restart the twin", stage, t.stage)
	}
	db := dynamoClient(t.dynamo.endpoint, t.region, t.dynamo.credentials)
	var names []string
	for _, tb := range tables {
		if _, err := ensureTable(ctx, db, tb.name, tb.def); err != nil {
			ch.abort()
			return nil, err
		}
		names = append(names, tb.name)
	}
	ch.commit(t)
	t.gw.Store(gw)
	t.stack, t.phys = st, phys
	out, err := t.localOutputs(phys.resolver(st), names)
	if err != nil {
		return nil, err
	}
	if web, ok := t.outputs["WebUrl"]; ok {
		out["WebUrl"] = web
	}
	t.outputs = out
	return t.names(ch.started), t.saveOutputs(out)
}

// stackDiff is how two templates differ, by resource.
type stackDiff struct {
	added, removed, changed []cfn.Resource
	// refused says why the change cannot be applied in place.
	refused []string
}

func (d stackDiff) empty() bool {
	return len(d.added)+len(d.removed)+len(d.changed)+len(d.refused) == 0
}

// summary counts the changed resources by type: "+1 Route, ~1 Stage".
func (d stackDiff) summary() string {
	var parts []string
	for _, g := range []struct {
		sign string
		rs   []cfn.Resource
	}{{"+", d.added}, {"-", d.removed}, {"~", d.changed}} {
		count := map[string]int{}
		for _, r := range g.rs {
			typ := r.Type[strings.LastIndex(r.Type, ":")+1:]
			count[typ]++
		}
		for _, typ := range slices.Sorted(maps.Keys(count)) {
			parts = append(parts, fmt.Sprintf("%s%d %s", g.sign, count[typ], typ))
		}
	}
	return strings.Join(parts, ", ")
}

// diffTemplates compares two templates' resources by logical ID and type. A table whose keys or indexes changed is
// refused: the local table keeps its data only under the keys it was created with.
func diffTemplates(old, next cfn.Template) stackDiff {
	var d stackDiff
	for _, id := range slices.Sorted(maps.Keys(next.Resources)) {
		n := next.Resources[id]
		o, ok := old.Resources[id]
		switch {
		case !ok || o.Type != n.Type:
			d.added = append(d.added, n)
			if ok {
				d.removed = append(d.removed, o)
			}
		case !reflect.DeepEqual(o.Properties, n.Properties):
			d.changed = append(d.changed, n)
			if isTable(n.Type) {
				for _, k := range []string{"KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "LocalSecondaryIndexes"} {
					if !reflect.DeepEqual(o.Properties[k], n.Properties[k]) {
						d.refused = append(d.refused, fmt.Sprintf("table %s: its %s changed; the local table keeps its data only under the keys and indexes it was created with", n.Path(), k))
						break
					}
				}
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(old.Resources)) {
		if _, ok := next.Resources[id]; !ok {
			d.removed = append(d.removed, old.Resources[id])
		}
	}
	return d
}

func isTable(typ string) bool {
	return typ == "AWS::DynamoDB::Table" || typ == "AWS::DynamoDB::GlobalTable"
}
