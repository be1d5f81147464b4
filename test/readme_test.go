package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeConstructExampleCompiles type-checks the README's "use the construct from another Go CDK app"
// program in a separate module that requires this one, so the documented example cannot rot.
func TestReadmeConstructExampleCompiles(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Use the construct from another Go CDK app")
	if !ok {
		t.Fatal("README has no section \"Use the construct from another Go CDK app\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, code, ok := strings.Cut(section, "```go\n")
	if !ok {
		t.Fatal("the README section has no ```go block")
	}
	code, _, _ = strings.Cut(code, "```")

	dir := t.TempDir()
	files := map[string]string{
		"main.go": code,
		"go.sum":  string(readRepoFile(t, "go.sum")),
		"go.mod":  consumerGoMod(t, "example.com/mynotes", "v0.0.0", repoRoot),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "vet", ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet of the README example: %v\n%s\n--- main.go ---\n%s", err, out, code)
	}
}
