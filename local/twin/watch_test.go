package twin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/local/cfn"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		rel  string
		want changeKind
	}{
		{"lambda/createnote/main.go", changeCode},
		{"lambda/internal/httpapi/errors.go", changeCode},
		{"lambda/internal/notes/testdata/event.json", changeCode}, // may be embedded: the fingerprint decides
		{"go.mod", changeCode | changeStack},
		{"go.sum", changeCode | changeStack},
		{"app.go", changeStack},
		{"cdk.json", changeStack},
		{"stacks/config.go", changeStack},
		{"constructs/notesapi/props.go", changeStack},
		{"lambda/internal/httpapi/handler_test.go", 0},
		{"stacks/stack_test.go", 0},
		{".local/dev/cognito/state.json", 0},
		{"cdk.out/manifest.json", 0},
		{"cdk.e2e.out/manifest.json", 0},
		{"node_modules/dynalite/cli.js", 0},
		{"web/src/api.ts", 0},
		{".git/index", 0},
		{"bin/twin", 0},
		{"lambda/createnote/main.go~", 0},
		{"lambda/createnote/.main.go.swp", 0},
		{"lambda/createnote/4913", 0},
		{"lambda/createnote/#main.go#", 0},
		{"lambda/createnote/main.go___jb_tmp___", 0},
	}
	for _, tt := range tests {
		if got := classify(tt.rel); got != tt.want {
			t.Errorf("classify(%q) = %b; want %b", tt.rel, got, tt.want)
		}
	}
}

func TestDebouncerCoalescesABurst(t *testing.T) {
	d := debouncer{quiet: 100 * time.Millisecond, max: time.Second}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exists := func(rel string) bool { return rel != "stacks/sedX1" }
	if _, ok := d.take(t0, exists); ok {
		t.Fatal("take() on nothing = a batch")
	}
	d.add("lambda/a.go", changeCode, false, t0)
	d.add("stacks/sedX1", changeStack, true, t0.Add(10*time.Millisecond)) // sed -i's temporary file, renamed
	d.add("stacks/s.go", changeStack, true, t0.Add(50*time.Millisecond))
	d.add("lambda/a.go", changeCode, false, t0.Add(60*time.Millisecond))
	if at, _ := d.due(); !at.Equal(t0.Add(160 * time.Millisecond)) {
		t.Errorf("due() = %v; want quiet after the last event (+160ms)", at.Sub(t0))
	}
	if _, ok := d.take(t0.Add(150*time.Millisecond), exists); ok {
		t.Error("take() before the files were quiet = a batch")
	}
	b, ok := d.take(t0.Add(160*time.Millisecond), exists)
	if !ok {
		t.Fatal("take() when due = nothing")
	}
	if diff := cmp.Diff([]string{"lambda/a.go", "stacks/s.go"}, b.files); diff != "" || b.kind != changeCode|changeStack || !b.first.Equal(t0) {
		t.Errorf("batch = %v %b %v; want both files once without the temporary one, both kinds, the first event's time (-want +got):\n%s", b.files, b.kind, b.first, diff)
	}
	if _, ok := d.take(t0.Add(time.Hour), exists); ok {
		t.Error("take() after the batch was taken = another batch")
	}
}

func TestDebouncerDropsABatchOfTemporaryFiles(t *testing.T) {
	d := debouncer{quiet: 100 * time.Millisecond, max: time.Second}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d.add("lambda/gone.go", changeCode, true, t0)
	if b, ok := d.take(t0.Add(time.Second), func(string) bool { return false }); ok {
		t.Errorf("take() of a file created and gone = %v; want no batch", b.files)
	}
	d.add("lambda/removed.go", changeCode, false, t0) // a removed source is a change
	if _, ok := d.take(t0.Add(time.Second), func(string) bool { return false }); !ok {
		t.Error("take() of a removed file = no batch; want one")
	}
}

func TestDebouncerWaitsAtMostMax(t *testing.T) {
	d := debouncer{quiet: 100 * time.Millisecond, max: time.Second}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// A checkout that keeps writing files every 50ms for 3s.
	for i := range 60 {
		d.add("f"+string(rune('a'+i%26)), changeCode, true, t0.Add(time.Duration(i)*50*time.Millisecond))
		if at, _ := d.due(); at.After(t0.Add(time.Second)) {
			t.Fatalf("due() = +%v after %d events; want at most +1s after the first", at.Sub(t0), i+1)
		}
	}
}

// TestHostBuildsRebuildOnlyAffected is the change classifier's second half: which functions a file affects is
// what the bundler's dependency fingerprint says, so a change rebuilds exactly the functions whose packages
// depend on the file.
func TestHostBuildsRebuildOnlyAffected(t *testing.T) {
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":           "module example.com/fns\n\ngo 1.26\n",
		"shared/shared.go": "package shared\n\nconst Greeting = \"hello\"\n",
		"a/main.go":        "package main\n\nimport \"example.com/fns/shared\"\n\nfunc main() { println(shared.Greeting) }\n",
		"b/main.go":        "package main\n\nfunc main() { println(\"b\") }\n",
		"b/main_test.go":   "package main\n",
	}
	for name, content := range files {
		writeFile(t, filepath.Join(mod, name), content, time.Now())
	}
	specs := []*functionSpec{
		{res: cfn.Resource{LogicalID: "A"}, goPackage: "example.com/fns/a"},
		{res: cfn.Resource{LogicalID: "B"}, goPackage: "example.com/fns/b"},
	}
	buildDir := filepath.Join(t.TempDir(), "build")
	rebuild := func() []string {
		t.Helper()
		var times buildTimes
		_, rebuilt, err := hostBuilds(context.Background(), mod, buildDir, specs, &times, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range specs {
			if rebuilt[s.res.LogicalID] {
				ids = append(ids, s.res.LogicalID)
			}
		}
		return ids
	}
	steps := []struct {
		name, file, content string
		want                []string
	}{
		{name: "first build", want: []string{"A", "B"}},
		{name: "nothing changed"},
		{name: "a shared package", file: "shared/shared.go", content: "package shared\n\nconst Greeting = \"hi\"\n", want: []string{"A"}},
		{name: "one handler", file: "b/main.go", content: "package main\n\nfunc main() { println(\"b2\") }\n", want: []string{"B"}},
		{name: "a test file", file: "b/main_test.go", content: "package main\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n"},
		{name: "go.mod", file: "go.mod", content: "module example.com/fns\n\ngo 1.26.0\n", want: []string{"A", "B"}},
	}
	for _, s := range steps {
		if s.file != "" {
			writeFile(t, filepath.Join(mod, s.file), s.content, time.Now())
		}
		if diff := cmp.Diff(s.want, rebuild()); diff != "" {
			t.Errorf("%s: rebuilt (-want +got):\n%s", s.name, diff)
		}
	}
	for _, id := range []string{"A", "B"} {
		info, err := os.Stat(filepath.Join(buildDir, id, "bootstrap"))
		if err != nil {
			t.Errorf("function %s has no bootstrap: %v", id, err)
		} else if perm := info.Mode().Perm(); perm != 0o700 {
			t.Errorf("function %s's bootstrap has mode %o; want 700 (the state is private)", id, perm)
		}
	}

	// A compile error names the file and line and leaves the last good build in place.
	writeFile(t, filepath.Join(mod, "b/main.go"), "package main\n\nfunc main() { undefinedName() }\n", time.Now())
	var times buildTimes
	_, _, err := hostBuilds(context.Background(), mod, buildDir, specs, &times, nil)
	var be *buildError
	if err == nil || !errors.As(err, &be) || !strings.Contains(be.output, "main.go:3") || !strings.Contains(be.output, "undefined: undefinedName") {
		t.Errorf("hostBuilds() with a compile error = %v; want a *buildError naming main.go:3 and the compiler's message", err)
	}
	if _, err := os.Stat(filepath.Join(buildDir, "B", "bootstrap")); err != nil {
		t.Errorf("the last good build is gone after a compile error: %v", err)
	}
}

func TestDiffTemplates(t *testing.T) {
	res := func(id, typ string, props map[string]any) cfn.Resource {
		return cfn.Resource{LogicalID: id, Type: typ, Properties: props}
	}
	keys := func(sort string) map[string]any {
		return map[string]any{
			"KeySchema": []any{map[string]any{"AttributeName": "userId", "KeyType": "HASH"}, map[string]any{"AttributeName": sort, "KeyType": "RANGE"}},
		}
	}
	tpl := func(rs ...cfn.Resource) cfn.Template {
		out := cfn.Template{Resources: map[string]cfn.Resource{}}
		for _, r := range rs {
			out.Resources[r.LogicalID] = r
		}
		return out
	}
	old := tpl(
		res("Table", "AWS::DynamoDB::GlobalTable", keys("noteId")),
		res("Fn", "AWS::Lambda::Function", map[string]any{"MemorySize": 128.0}),
		res("Stage", "AWS::ApiGatewayV2::Stage", map[string]any{"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 100.0}}),
		res("OldRoute", "AWS::ApiGatewayV2::Route", map[string]any{"RouteKey": "GET /old"}),
	)
	t.Run("routes, functions, throttling", func(t *testing.T) {
		next := tpl(
			res("Table", "AWS::DynamoDB::GlobalTable", keys("noteId")),
			res("Fn", "AWS::Lambda::Function", map[string]any{"MemorySize": 256.0}),
			res("Stage", "AWS::ApiGatewayV2::Stage", map[string]any{"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 5.0}}),
			res("NewRoute", "AWS::ApiGatewayV2::Route", map[string]any{"RouteKey": "GET /new"}),
		)
		d := diffTemplates(old, next)
		if got, want := d.summary(), "+1 Route, -1 Route, ~1 Function, ~1 Stage"; got != want {
			t.Errorf("summary() = %q; want %q", got, want)
		}
		if len(d.refused) != 0 || d.empty() {
			t.Errorf("refused = %q, empty = %v; want an applicable change", d.refused, d.empty())
		}
	})
	t.Run("a table's key schema", func(t *testing.T) {
		next := tpl(
			res("Table", "AWS::DynamoDB::GlobalTable", keys("createdAt")),
			old.Resources["Fn"], old.Resources["Stage"], old.Resources["OldRoute"],
		)
		d := diffTemplates(old, next)
		if len(d.refused) != 1 || !strings.Contains(d.refused[0], "KeySchema changed") {
			t.Errorf("refused = %q; want the key schema change refused", d.refused)
		}
	})
	t.Run("unchanged", func(t *testing.T) {
		if d := diffTemplates(old, old); !d.empty() {
			t.Errorf("diffTemplates(old, old) = %+v; want empty", d)
		}
	})
}
