package twin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Prerequisite fixes, named in errors.
const (
	fixNode = "install Node.js 20+ (apt-get install -y nodejs npm, or https://nodejs.org)"
	fixNpm  = "run `npm ci` in the repository root"
	fixGo   = "install Go 1.26+ (https://go.dev/doc/install) and put `go` on PATH"
)

// checkPrerequisites names every missing tool at once, each with its fix.
func checkPrerequisites(repoDir string, needSynth bool) error {
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node is not on PATH: "+fixNode)
	}
	if _, err := os.Stat(filepath.Join(repoDir, "node_modules", "dynalite", "cli.js")); err != nil {
		missing = append(missing, "node_modules/dynalite is missing: "+fixNpm)
	}
	if needSynth {
		if _, err := exec.LookPath("npx"); err != nil {
			missing = append(missing, "npx is not on PATH: "+fixNode)
		}
		if _, err := os.Stat(filepath.Join(repoDir, "node_modules", "aws-cdk", "bin", "cdk")); err != nil {
			missing = append(missing, "the AWS CDK CLI (node_modules/aws-cdk) is missing: "+fixNpm)
		}
	}
	if _, err := exec.LookPath("go"); err != nil {
		missing = append(missing, "go is not on PATH: "+fixGo)
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing prerequisites:\n  - %s", strings.Join(missing, "\n  - "))
	}
	return nil
}

// synthInputs are the paths (relative to the repository root) whose changes change the synthesized templates or
// Lambda assets; tests, docs and the twin itself do not.
var synthInputs = []string{"app.go", "cdk.json", "go.mod", "go.sum", "stacks", "constructs", "lambda"}

// staleness returns why the assembly must be (re)synthesized, or "" when it is up to date. It only compares
// modification times, so the check costs a directory walk, not a synth.
func staleness(repoDir, assemblyDir string) (string, error) {
	manifest, err := os.Stat(filepath.Join(assemblyDir, "manifest.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return assemblyDir + " has no manifest.json", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the cloud assembly: %w", err)
	}
	built := manifest.ModTime()
	var newer string
	for _, in := range synthInputs {
		root := filepath.Join(repoDir, in)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				if name := d.Name(); path != root && (name == "testdata" || strings.HasPrefix(name, ".")) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(path, "_test.go") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.ModTime().After(built) {
				newer = path
				return filepath.SkipAll
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("check whether %s is up to date: %w", assemblyDir, err)
		}
		if newer != "" {
			rel, _ := filepath.Rel(repoDir, newer)
			return rel + " changed after the last synth", nil
		}
	}
	return "", nil
}

// synth runs the CDK CLI for one stack into assemblyDir.
func synth(ctx context.Context, repoDir, assemblyDir, stack string, log io.Writer) error {
	start := time.Now()
	args := []string{"--no-install", "cdk", "synth", stack, "--quiet", "--output", assemblyDir}
	fmt.Fprintf(log, "twin: npx %s (about a minute when the Go build cache is cold)\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "npx", args...)
	killGroupOnCancel(cmd)
	cmd.WaitDelay = 5 * time.Second // a grandchild holding the output pipes must not keep Wait blocked
	cmd.Dir = repoDir
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cdk synth %s: %w\n%s", stack, err, out.String())
	}
	fmt.Fprintf(log, "twin: synthesized %s in %.1fs\n", stack, time.Since(start).Seconds())
	return nil
}

// findRepo walks up from dir to the directory holding cdk.json.
func findRepo(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "cdk.json")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no cdk.json in %s or any parent: run the twin from the authnotes repository", abs)
		}
	}
}
