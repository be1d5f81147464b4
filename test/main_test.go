// Package test holds the assertion, snapshot and cdk-nag tests of the synthesized stage stacks and the
// AuthenticatedNotesApi construct. Every test shares one jsii runtime; templates are synthesized once per
// package (no t.Parallel: jsii calls are not concurrent-safe).
package test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/stacks"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata/")

// Fixed environment, so templates and goldens do not depend on the machine's AWS configuration.
const (
	testAccount = "123456789012"
	testRegion  = "eu-west-1"
)

var stageNames = []string{"dev", "staging", "prod"}

var (
	// tmpRoot holds every cloud assembly the tests write; TestMain removes it.
	tmpRoot string
	// repoRoot is the module root, resolved before any test changes directory.
	repoRoot string
)

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	if repoRoot, err = filepath.Abs(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if tmpRoot, err = os.MkdirTemp("", "authnotes-synth-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	jsii.Close()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// projectContext returns cdk.json's context (the feature flags `make synth` uses) plus extra entries.
func projectContext(tb testing.TB, extra map[string]any) *map[string]any {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "cdk.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		tb.Fatalf("parse cdk.json: %v", err)
	}
	for k, v := range extra {
		cfg.Context[k] = v
	}
	return &cfg.Context
}

// newApp returns an app writing into a fresh directory. bundle lists the stacks to bundle (nil: none, which keeps
// the assertion tests fast; the bundling tests build for real).
func newApp(tb testing.TB, bundle []string) (awscdk.App, string) {
	tb.Helper()
	out, err := os.MkdirTemp(tmpRoot, "cdk.out-")
	if err != nil {
		tb.Fatal(err)
	}
	if bundle == nil {
		bundle = []string{}
	}
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:  jsii.String(out),
		Context: projectContext(tb, map[string]any{"aws:cdk:bundling-stacks": bundle}),
	})
	return app, out
}

// synthesized is one stage stack with its template.
type synthesized struct {
	cfg      stacks.StageConfig
	stack    awscdk.Stack
	template assertions.Template
	json     map[string]any
	// out is the cloud assembly directory the stack was synthesized into (its staged assets).
	out string
}

var (
	stagesOnce sync.Once
	stagesByID map[string]*synthesized
)

// stage returns the shared synthesized stack of a stage; the three stages are built once, as app.go builds them.
func stage(t *testing.T, name string) *synthesized {
	t.Helper()
	stagesOnce.Do(func() {
		app, out := newApp(t, nil)
		configs := stacks.Stages()
		built := stacks.AddStages(app, configs, testAccount, testRegion)
		stagesByID = map[string]*synthesized{}
		for i, st := range built {
			tpl := assertions.Template_FromStack(st, nil)
			stagesByID[configs[i].Name] = &synthesized{cfg: configs[i], stack: st, template: tpl, json: toMap(t, tpl), out: out}
		}
	})
	s, ok := stagesByID[name]
	if !ok {
		t.Fatalf("no stage %q", name)
	}
	return s
}

func toMap(tb testing.TB, tpl assertions.Template) map[string]any {
	tb.Helper()
	b, err := json.Marshal(tpl.ToJSON())
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// resource is one template resource.
type resource struct {
	ID   string
	Body map[string]any
}

func (r resource) props() map[string]any {
	p, _ := r.Body["Properties"].(map[string]any)
	return p
}

// ofType returns the resources of type typ, sorted by logical ID.
func ofType(tpl map[string]any, typ string) []resource {
	var out []resource
	for id, v := range tpl["Resources"].(map[string]any) {
		body := v.(map[string]any)
		if body["Type"] == typ {
			out = append(out, resource{ID: id, Body: body})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// only returns the single resource of type typ, failing the test if there is not exactly one.
func only(t *testing.T, tpl map[string]any, typ string) resource {
	t.Helper()
	rs := ofType(tpl, typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s; want exactly 1", len(rs), typ)
	}
	return rs[0]
}

func ref(id string) map[string]any { return map[string]any{"Ref": id} }

func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

// forEachStage runs f as a subtest per stage.
func forEachStage(t *testing.T, f func(t *testing.T, s *synthesized)) {
	for _, name := range stageNames {
		t.Run(name, func(t *testing.T) { f(t, stage(t, name)) })
	}
}
