package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// normalize replaces asset hashes, which depend on the Go toolchain and the handlers' sources, so the goldens
// only change when the infrastructure does.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case string:
		return assetHash.ReplaceAllString(x, "<asset-hash>")
	}
	return v
}

// TestGoldenTemplates compares each stage template with testdata/NotesApi-<stage>.template.json as parsed JSON.
// Regenerate after an intended change with `go test ./test/... -update` (or only this test:
// `go test ./test -run TestGoldenTemplates -update`) and review the diff.
func TestGoldenTemplates(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		compareGolden(t, filepath.Join("testdata", s.cfg.StackName()+".template.json"), normalize(s.json))
	})
}

// compareGolden compares got with the golden file at path as parsed JSON, or rewrites the file with -update.
func compareGolden(t *testing.T, path string, got any) {
	t.Helper()
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with go test ./test -run %s -update)", err, t.Name())
	}
	var want any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s differs (-golden +synthesized); if intended, regenerate with go test ./test -run %s -update:\n%s", path, t.Name(), diff)
	}
}
