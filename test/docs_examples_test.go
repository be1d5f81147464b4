package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// isProgram reports whether a Go block is a whole program: its first line that is not a comment is `package main`.
func isProgram(block string) bool {
	for _, line := range strings.Split(block, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "//") {
			return line == "package main"
		}
	}
	return false
}

// goPrograms returns the ```go blocks of a Markdown page that are whole programs (package main).
func goPrograms(t *testing.T, page string) []string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(repoRoot, page))
	if err != nil {
		t.Fatal(err)
	}
	var programs []string
	rest := string(text)
	for {
		var block string
		var ok bool
		if _, rest, ok = strings.Cut(rest, "```go\n"); !ok {
			return programs
		}
		block, rest, _ = strings.Cut(rest, "```")
		if isProgram(block) {
			programs = append(programs, block)
		}
	}
}

// TestDocsConstructExamplesCompile type-checks every whole Go program that the README and docs/construct.md show
// (the README's short one, the page's full consumer app with AddRoute and the web app, and its handler) in a
// separate module that requires this one, so the documented examples cannot rot.
func TestDocsConstructExamplesCompile(t *testing.T) {
	want := map[string]int{"README.md": 1, "docs/construct.md": 2}
	for page, n := range want {
		programs := goPrograms(t, page)
		if len(programs) != n {
			t.Fatalf("%s has %d Go programs (```go blocks of package main), want %d: update this test with the page", page, len(programs), n)
		}
		for i, code := range programs {
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
				t.Errorf("go vet of Go program %d of %s: %v\n%s\n--- main.go ---\n%s", i+1, page, err, out, code)
			}
		}
	}
}
