package gobuild

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeFiles creates files (slash paths relative to root) with the given contents.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// providerModule writes a small module with one handler package that depends on an internal package, plus an
// unrelated package, and returns its root.
func providerModule(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"go.mod":                   "module example.com/provider\n\ngo 1.22\n",
		"handler/main.go":          "package main\n\nimport \"example.com/provider/internal/greet\"\n\nfunc main() { println(greet.Hello()) }\n",
		"handler/main_test.go":     "package main\n",
		"internal/greet/greet.go":  "package greet\n\nfunc Hello() string { return \"hello\" }\n",
		"internal/greet/README.md": "notes\n",
		"unrelated/unrelated.go":   "package unrelated\n",
	})
	return root
}

const handler = "example.com/provider/handler"

func fingerprint(t *testing.T, moduleDir string) string {
	t.Helper()
	fps, err := Fingerprints(context.Background(), moduleDir, "arm64", handler)
	if err != nil {
		t.Fatal(err)
	}
	return fps[handler]
}

func TestFingerprintStableWhenNothingChanged(t *testing.T) {
	root := providerModule(t)
	if a, b := fingerprint(t, root), fingerprint(t, root); a != b {
		t.Fatalf("two fingerprints of unchanged sources differ: %s vs %s", a, b)
	}
}

func TestFingerprintChangesOnlyWithDependencies(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		body    string
		changes bool
	}{
		{"dependency source", "internal/greet/greet.go", "package greet\n\nfunc Hello() string { return \"hi\" }\n", true},
		{"handler source", "handler/main.go", "package main\n\nimport \"example.com/provider/internal/greet\"\n\nfunc main() { println(greet.Hello(), 1) }\n", true},
		{"new file in dependency", "internal/greet/extra.go", "package greet\n\nconst X = 1\n", true},
		{"go.mod", "go.mod", "module example.com/provider\n\ngo 1.23\n", true},
		{"unrelated package", "unrelated/unrelated.go", "package unrelated\n\nconst Y = 2\n", false},
		{"test file", "handler/main_test.go", "package main\n\nconst Z = 3\n", false},
		{"linked object file", "internal/greet/res_linux_arm64.syso", "not really an object\n", true},
		{"non-Go file", "internal/greet/README.md", "other notes\n", false},
		{"file excluded by build tags", "internal/greet/other_windows.go", "package greet\n\nconst W = 4\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := providerModule(t)
			before := fingerprint(t, root)
			writeFiles(t, root, map[string]string{tt.file: tt.body})
			after := fingerprint(t, root)
			if got := before != after; got != tt.changes {
				t.Errorf("fingerprint changed = %v after editing %s; want %v", got, tt.file, tt.changes)
			}
		})
	}
}

func TestFingerprintDependsOnArchitecture(t *testing.T) {
	root := providerModule(t)
	arm := fingerprint(t, root)
	amd, err := Fingerprints(context.Background(), root, "amd64", handler)
	if err != nil {
		t.Fatal(err)
	}
	if arm == amd[handler] {
		t.Error("arm64 and amd64 fingerprints are equal; want them to differ")
	}
}

// TestFingerprintDependsOnCodegenEnvironment: settings that change the binary without touching a source file.
func TestFingerprintDependsOnCodegenEnvironment(t *testing.T) {
	root := providerModule(t)
	base := fingerprint(t, root)
	for _, env := range [][2]string{{"GOARM64", "v9.0"}, {"GOFLAGS", "-gcflags=-N"}} {
		t.Run(env[0], func(t *testing.T) {
			t.Setenv(env[0], env[1])
			if fingerprint(t, root) == base {
				t.Errorf("fingerprint unchanged with %s=%s; want it to change", env[0], env[1])
			}
		})
	}
}

func TestFingerprintReportsBrokenPackage(t *testing.T) {
	root := providerModule(t)
	writeFiles(t, root, map[string]string{"handler/main.go": "package main\n\nimport \"example.com/provider/missing\"\n"})
	_, err := Fingerprints(context.Background(), root, "arm64", handler)
	if err == nil || !strings.Contains(err.Error(), "example.com/provider/missing") {
		t.Fatalf("Fingerprints(broken import) error = %v; want one naming the missing package", err)
	}
}

func assertArm64Executable(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("open %s as ELF: %v", path, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("%s: machine %v type %v; want EM_AARCH64 ET_EXEC", path, f.Machine, f.Type)
	}
}

func TestBuildWritesArm64Bootstrap(t *testing.T) {
	root := providerModule(t)
	out := t.TempDir()
	if err := Build(context.Background(), root, "arm64", handler, out); err != nil {
		t.Fatal(err)
	}
	assertArm64Executable(t, filepath.Join(out, "bootstrap"))
}

// TestBuildUsesLambdaSettings reads the build settings Go records in the binary: static, trimmed, stripped, the
// lambda.norpc tag, no VCS stamp.
func TestBuildUsesLambdaSettings(t *testing.T) {
	root := providerModule(t)
	out := t.TempDir()
	if err := Build(context.Background(), root, "arm64", handler, out); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "bootstrap")
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range info.Settings {
		// -ldflags is not recorded with -trimpath (it may hold paths): -s -w are checked on the ELF sections below.
		if s.Key != "-buildmode" && s.Key != "-compiler" && s.Key != "GOARM64" && s.Key != "DefaultGODEBUG" {
			got[s.Key] = s.Value
		}
	}
	want := map[string]string{"-tags": "lambda.norpc", "-trimpath": "true", "CGO_ENABLED": "0",
		"GOARCH": "arm64", "GOOS": "linux"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("build settings of %s (-want +got):\n%s", path, diff)
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sec := range []string{".symtab", ".debug_info", ".zdebug_info"} {
		if f.Section(sec) != nil {
			t.Errorf("%s has section %s; want no symbol table (-s) and no DWARF (-w)", path, sec)
		}
	}
}

func TestBuildReportsCompileError(t *testing.T) {
	root := providerModule(t)
	writeFiles(t, root, map[string]string{"handler/main.go": "package main\n\nfunc main() { undefinedCall() }\n"})
	err := Build(context.Background(), root, "arm64", handler, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "undefinedCall") {
		t.Fatalf("Build(compile error) error = %v; want the compiler's message", err)
	}
}

// consumerModule writes a module that requires the provider through a replace directive, as an app importing
// the construct from another module does.
// requires is extra go.mod text, such as the provider's own require block (what `go mod tidy` would add).
func consumerModule(t *testing.T, requirePath, providerDir, requires, goSum string) string {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"go.mod":         "module example.com/consumer\n\ngo 1.26.0\n\nrequire " + requirePath + " v0.0.0\n\nreplace " + requirePath + " => " + providerDir + "\n\n" + requires,
		"go.sum":         goSum,
		"app/sub/doc.go": "package sub\n",
	})
	return root
}

func TestLocateFromAnotherModuleAndAnyDirectory(t *testing.T) {
	provider := providerModule(t)
	consumer := consumerModule(t, "example.com/provider", provider, "", "")
	for _, dir := range []string{consumer, filepath.Join(consumer, "app", "sub")} {
		pkgs, err := Locate(context.Background(), dir, handler)
		if err != nil {
			t.Fatalf("Locate from %s: %v", dir, err)
		}
		want := []Package{{ImportPath: handler, Dir: filepath.Join(provider, "handler"), ModuleDir: provider}}
		if diff := cmp.Diff(want, pkgs); diff != "" {
			t.Errorf("Locate from %s (-want +got):\n%s", dir, diff)
		}
	}
}

// TestBuildsProjectHandlerFromConsumerModule builds this repository's createnote handler the way an app in
// another module that imports the construct does.
func TestBuildsProjectHandlerFromConsumerModule(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	_, requires, _ := strings.Cut(string(goMod), "\nrequire")
	consumer := consumerModule(t, "github.com/authnotes/authnotes", repo, "require"+requires, string(sum))
	const pkg = "github.com/authnotes/authnotes/lambda/createnote"
	pkgs, err := Locate(context.Background(), filepath.Join(consumer, "app"), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if pkgs[0].ModuleDir != repo {
		t.Fatalf("Locate(%s).ModuleDir = %s; want %s", pkg, pkgs[0].ModuleDir, repo)
	}
	if _, err := Fingerprints(context.Background(), pkgs[0].ModuleDir, "arm64", pkg); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := Build(context.Background(), pkgs[0].ModuleDir, "arm64", pkg, out); err != nil {
		t.Fatal(err)
	}
	assertArm64Executable(t, filepath.Join(out, "bootstrap"))
}

func TestLocateUnknownPackage(t *testing.T) {
	_, err := Locate(context.Background(), providerModule(t), "example.com/provider/nope")
	if err == nil || !strings.Contains(err.Error(), "example.com/provider/nope") {
		t.Fatalf("Locate(unknown) error = %v; want one naming the package", err)
	}
}

func TestMissingGoNamesInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Locate(context.Background(), "", handler)
	if !errors.Is(err, ErrNoGo) || !strings.Contains(err.Error(), "https://go.dev/doc/install") {
		t.Fatalf("Locate without go on PATH: error = %v; want ErrNoGo naming how to install Go", err)
	}
}

func TestGOARCH(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"arm64", "arm64", ""},
		{"x86_64", "amd64", ""},
		{"s390x", "", "unsupported Lambda architecture"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := GOARCH(tt.in)
			if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("GOARCH(%q) = %q, %v; want %q, error containing %q", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}
