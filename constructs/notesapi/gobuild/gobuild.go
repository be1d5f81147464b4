// Package gobuild builds Go Lambda handlers by import path and fingerprints everything a build depends on.
//
// It is the engine behind the notesapi construct's bundler and has no CDK dependency, so it is tested on its own.
// Every go command runs in the directory of the module that contains the handlers (found with `go list -find`
// from the caller's directory), so bundling works from any working directory inside the caller's module and when
// the handlers live in another module that the caller only imports.
package gobuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// InstallHint is appended to the error returned when the go command is not on PATH.
const InstallHint = "install Go 1.26 or newer (https://go.dev/doc/install, or `apt-get install golang-go` where it is new enough) and put `go` on PATH"

// Tags and Flags are the build settings of every handler; they are part of the fingerprint.
var (
	Tags  = "lambda.norpc"
	Flags = []string{"-trimpath", "-buildvcs=false", `-ldflags=-s -w`, "-tags", Tags}
)

// ErrNoGo reports that the go command could not be found.
var ErrNoGo = errors.New("go toolchain not found on PATH")

// Package locates one handler package.
type Package struct {
	ImportPath string
	// Dir is the package's source directory.
	Dir string
	// ModuleDir is the root of the module that contains the package; go commands run there.
	ModuleDir string
}

// Locate finds the named packages from dir ("" = the current directory) without loading their dependencies.
func Locate(ctx context.Context, dir string, importPaths ...string) ([]Package, error) {
	args := append([]string{"list", "-find", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{with .Module}}{{.Dir}}{{end}}"}, importPaths...)
	out, err := run(ctx, dir, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("locate %s: %w", strings.Join(importPaths, " "), err)
	}
	var pkgs []Package
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[1] == "" || f[2] == "" {
			return nil, fmt.Errorf("locate %s: package not found in a module (run from inside a Go module that requires it): %q", strings.Join(importPaths, " "), line)
		}
		pkgs = append(pkgs, Package{ImportPath: f[0], Dir: f[1], ModuleDir: f[2]})
	}
	if len(pkgs) != len(importPaths) {
		return nil, fmt.Errorf("locate %s: go list returned %d packages, want %d", strings.Join(importPaths, " "), len(pkgs), len(importPaths))
	}
	return pkgs, nil
}

// listed is the part of `go list -json` output the fingerprint needs.
type listed struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles    []string
	SFiles     []string
	SysoFiles  []string
	EmbedFiles []string
	Deps       []string
	Module     *module
}

type module struct {
	Path    string
	Version string
	Dir     string
	GoMod   string
	Replace *module
}

// Fingerprints returns, per import path, a SHA-256 over everything `go build` of that package for linux/goarch
// depends on: the Go version and code-generation settings (GOFLAGS, GOEXPERIMENT, GOARM64, GOAMD64), the build
// flags, the target, every non-standard package in its import graph (Go, assembly, .syso and embedded file
// contents for packages in local modules, module path@version for immutable downloaded modules) and the go.mod
// files of local modules. It changes when any of those change and is stable otherwise. All packages must live
// under moduleDir's module graph.
func Fingerprints(ctx context.Context, moduleDir, goarch string, importPaths ...string) (map[string]string, error) {
	env := targetEnv(goarch)
	// The toolchain and the environment settings that change the generated code (GOFLAGS can add build flags).
	version, err := run(ctx, moduleDir, env, "env", "GOVERSION", "GOFLAGS", "GOEXPERIMENT", "GOARM64", "GOAMD64")
	if err != nil {
		return nil, fmt.Errorf("fingerprint: %w", err)
	}
	args := append([]string{"list", "-deps", "-tags", Tags,
		"-json=ImportPath,Dir,Standard,GoFiles,SFiles,SysoFiles,EmbedFiles,Deps,Module"}, importPaths...)
	out, err := run(ctx, moduleDir, env, args...)
	if err != nil {
		return nil, fmt.Errorf("fingerprint %s: %w", strings.Join(importPaths, " "), err)
	}
	byPath := map[string]*listed{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("fingerprint: decode go list output: %w", err)
		}
		byPath[p.ImportPath] = &p
	}
	result := make(map[string]string, len(importPaths))
	fileHashes := map[string]string{}
	for _, ip := range importPaths {
		root, ok := byPath[ip]
		if !ok {
			return nil, fmt.Errorf("fingerprint: go list did not report %s", ip)
		}
		h := sha256.New()
		fmt.Fprintf(h, "go %q\ntarget linux/%s cgo=0\nflags %q\npackage %s\n", strings.TrimSpace(string(version)), goarch, Flags, ip)
		deps := append([]string{ip}, root.Deps...)
		sort.Strings(deps)
		goMods := map[string]bool{}
		for _, d := range deps {
			p, ok := byPath[d]
			if !ok {
				return nil, fmt.Errorf("fingerprint %s: dependency %s missing from go list output", ip, d)
			}
			if p.Standard {
				continue
			}
			if mv := immutableVersion(p.Module); mv != "" {
				fmt.Fprintf(h, "pkg %s %s\n", d, mv)
				continue
			}
			if p.Module == nil {
				return nil, fmt.Errorf("fingerprint %s: package %s is not in a module", ip, d)
			}
			modDir := p.Module.Dir
			if p.Module.Replace != nil {
				modDir = p.Module.Replace.Dir
			}
			fmt.Fprintf(h, "pkg %s local %s\n", d, p.Module.Path)
			if p.Module.GoMod != "" {
				goMods[p.Module.Path+"\x00"+p.Module.GoMod] = true
			}
			files := append(append(append(append([]string{}, p.GoFiles...), p.SFiles...), p.SysoFiles...), p.EmbedFiles...)
			sort.Strings(files)
			for _, f := range files {
				abs := filepath.Join(p.Dir, f)
				sum, err := hashFile(fileHashes, abs)
				if err != nil {
					return nil, fmt.Errorf("fingerprint %s: %w", ip, err)
				}
				rel, err := filepath.Rel(modDir, abs)
				if err != nil {
					rel = abs
				}
				fmt.Fprintf(h, "file %s/%s %s\n", p.Module.Path, filepath.ToSlash(rel), sum)
			}
		}
		mods := make([]string, 0, len(goMods))
		for m := range goMods {
			mods = append(mods, m)
		}
		sort.Strings(mods)
		for _, m := range mods {
			path, goMod, _ := strings.Cut(m, "\x00")
			sum, err := hashFile(fileHashes, goMod)
			if err != nil {
				return nil, fmt.Errorf("fingerprint %s: %w", ip, err)
			}
			fmt.Fprintf(h, "gomod %s %s\n", path, sum)
		}
		result[ip] = hex.EncodeToString(h.Sum(nil))
	}
	return result, nil
}

// immutableVersion returns "path@version" for a module downloaded from a proxy (its content is fixed by go.sum),
// or "" for a main or directory-replaced module whose files must be hashed.
func immutableVersion(m *module) string {
	switch {
	case m == nil:
		return ""
	case m.Replace != nil && m.Replace.Version != "":
		return m.Replace.Path + "@" + m.Replace.Version
	case m.Replace == nil && m.Version != "":
		return m.Path + "@" + m.Version
	}
	return ""
}

func hashFile(cache map[string]string, path string) (string, error) {
	if s, ok := cache[path]; ok {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	sum := sha256.Sum256(b)
	s := hex.EncodeToString(sum[:])
	cache[path] = s
	return s, nil
}

// Build compiles importPath for linux/goarch into outDir/bootstrap, the executable name provided.al2023 runs.
func Build(ctx context.Context, moduleDir, goarch, importPath, outDir string) error {
	args := append(append([]string{"build"}, Flags...), "-o", filepath.Join(outDir, "bootstrap"), importPath)
	if _, err := run(ctx, moduleDir, targetEnv(goarch), args...); err != nil {
		return fmt.Errorf("build %s for linux/%s: %w", importPath, goarch, err)
	}
	return nil
}

// GOARCH maps a Lambda architecture name ("arm64", "x86_64") to Go's GOARCH.
func GOARCH(lambdaArch string) (string, error) {
	switch lambdaArch {
	case "arm64":
		return "arm64", nil
	case "x86_64":
		return "amd64", nil
	}
	return "", fmt.Errorf("unsupported Lambda architecture %q (want arm64 or x86_64)", lambdaArch)
}

func targetEnv(goarch string) []string {
	// GOWORK=off: the handlers build against their own module's go.mod, whatever workspace the caller uses.
	return []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + goarch, "GOWORK=off"}
}

func run(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoGo, InstallHint)
	}
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
