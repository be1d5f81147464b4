package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	assetHash = regexp.MustCompile(`[0-9a-f]{64}`)
	// cdk-assets names a publishing destination <account>-<region>-<8 hex>, the hex a hash of the destination,
	// whose object key holds the asset hash: it changes with the handlers' sources like the asset hash itself.
	assetDestination = regexp.MustCompile(`(<asset-hash>:[0-9]{12}-[a-z0-9-]+?)-[0-9a-f]{8}\b`)
)

// normalize replaces asset hashes and the asset publishing destinations derived from them, which depend on the Go
// toolchain and the handlers' sources, so the goldens only change when the infrastructure does.
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
		return assetDestination.ReplaceAllString(assetHash.ReplaceAllString(x, "<asset-hash>"), "$1-<destination-hash>")
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
