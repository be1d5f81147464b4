package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// docsBlock returns the fenced block that follows the marker `<!-- docs-check: name … -->` in a docs page.
func docsBlock(t *testing.T, page, name string) string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(repoDir, page))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(text), "<!-- docs-check: "+name+" ")
	if !ok {
		t.Fatalf("%s has no <!-- docs-check: %s --> marker", page, name)
	}
	_, after, _ = strings.Cut(after, "-->\n")
	if !strings.HasPrefix(after, "```sh\n") {
		t.Fatalf("%s: the docs-check marker %q is not followed by a ```sh block", page, name)
	}
	block, _, _ := strings.Cut(strings.TrimPrefix(after, "```sh\n"), "\n```")
	return block
}

// TestDocsShellBlocks runs the shell blocks a newcomer copies from the docs — the curl walk-through of
// docs/local.md and the notesctl session of docs/notesctl.md — word for word against the twin, with only what
// differs in a test changed: the twin's free ports for the default ones, users of their own (the other tests have
// an alice and a bob), notesctl installed into a temporary GOBIN and its sessions kept in a temporary folder. The
// blocks run with `set -e`, from a folder whose .local/dev is the twin's state, as at the repository root.
func TestDocsShellBlocks(t *testing.T) {
	tw := stage(t)
	out := tw.Outputs()
	api := strings.TrimSuffix(out["ApiUrl"], "/")
	work := t.TempDir()
	if err := os.MkdirAll(filepath.Join(work, ".local"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(tw.OutputsPath()), filepath.Join(work, ".local", "dev")); err != nil {
		t.Fatal(err)
	}
	replacer := strings.NewReplacer(
		"http://127.0.0.1:3000", api,
		"http://127.0.0.1:9229", strings.TrimSuffix(out["CognitoEndpoint"], "/"),
		"alice@example.com", "docs-alice@example.com",
		"bob@example.com", "docs-bob@example.com",
		"go install ./cmd/notesctl", "go -C "+repoDir+" install ./cmd/notesctl",
	)
	gobin := t.TempDir()
	for _, c := range []struct {
		page, name string
		want       []string // in the output, in this order
	}{
		{"docs/local.md", "walk-through", []string{`"noteId":`, `"items":[{`, "HTTP/1.1 401", `{"message":"Unauthorized"}`}},
		{"docs/notesctl.md", "notesctl", []string{"PASS:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			script := replacer.Replace(docsBlock(t, c.page, c.name))
			cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "GOBIN="+gobin, "PATH="+gobin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"NOTESCTL_CONFIG_DIR="+t.TempDir())
			output, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the %s block of %s failed: %v\n--- output ---\n%s\n--- script ---\n%s", c.name, c.page, err, output, script)
			}
			rest := string(output)
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("the %s block of %s: %q missing from its output (in order %q)\n--- output ---\n%s", c.name, c.page, w, c.want, output)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
