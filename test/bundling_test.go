package test

import (
	"archive/tar"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/stacks"
)

var (
	checkoutBundleOnce sync.Once
	checkoutBundleTpl  map[string]any
	checkoutBundleOut  string
)

// checkoutBundledDev is synthBundledDev from this checkout, done once for the tests that only read the result.
// Call it before any t.Chdir: the handlers are located from the working directory.
func checkoutBundledDev(t *testing.T) (map[string]any, string) {
	t.Helper()
	checkoutBundleOnce.Do(func() { checkoutBundleTpl, checkoutBundleOut = synthBundledDev(t) })
	if checkoutBundleTpl == nil {
		t.Fatal("the shared bundled synth of NotesApi-dev failed in an earlier test")
	}
	return checkoutBundleTpl, checkoutBundleOut
}

// synthBundledDev synthesizes NotesApi-dev with real bundling and returns its template and output directory. The web
// app is this checkout's build (web/dist), also when the test runs from a consumer module that has none.
func synthBundledDev(t *testing.T) (map[string]any, string) {
	t.Helper()
	app, out := newApp(t, []string{"NotesApi-dev"})
	cfg := stacks.Stages()[0]
	cfg.Account, cfg.Region = testAccount, testRegion
	cfg.Web.AssetDir = filepath.Join(repoRoot, "web", "dist")
	stack := stacks.NewNotesApiStack(app, cfg)
	return toMap(t, assertions.Template_FromStack(stack, nil)), out
}

// assetKeys maps each function's route to its code asset's S3 key (<hash>.zip).
func assetKeys(t *testing.T, tpl map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for route, fn := range functionsByRoute(t, tpl) {
		out[route] = fn.props()["Code"].(map[string]any)["S3Key"].(string)
	}
	return out
}

func TestBundlingWritesArm64BootstrapPerFunction(t *testing.T) {
	tpl, out := checkoutBundledDev(t)
	keys := assetKeys(t, tpl)
	if len(keys) != 5 {
		t.Fatalf("%d functions; want 5", len(keys))
	}
	for route, key := range keys {
		path := filepath.Join(out, "asset."+strings.TrimSuffix(key, ".zip"), "bootstrap")
		f, err := elf.Open(path)
		if err != nil {
			t.Errorf("%s: %v", route, err)
			continue
		}
		if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
			t.Errorf("%s: %s is machine %v type %v; want an arm64 executable", route, path, f.Machine, f.Type)
		}
		f.Close()
		if st, err := os.Stat(path); err != nil || st.Mode()&0o111 == 0 {
			t.Errorf("%s: bootstrap not executable: %v %v", route, st, err)
		}
	}
}

func TestTwoSynthsGiveIdenticalTemplates(t *testing.T) {
	first, _ := checkoutBundledDev(t)
	second, _ := synthBundledDev(t)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second synth differs (-first +second):\n%s", diff)
	}
	seen := map[string]string{}
	for route, key := range assetKeys(t, first) {
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s share asset %s; want one per handler", route, other, key)
		}
		seen[key] = route
	}
}

// copyTree copies the regular files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// consumerOfCopy makes a temporary copy of this module's handlers and constructs (no web build) and a separate
// consumer module that requires it through a replace directive, as an app importing the constructs does. It
// returns both directories.
func consumerOfCopy(t *testing.T) (consumer, provider string) {
	t.Helper()
	repo := repoRoot
	provider, consumer = t.TempDir(), t.TempDir()
	for _, dir := range []string{"lambda", "constructs"} {
		copyTree(t, filepath.Join(repo, dir), filepath.Join(provider, dir))
	}
	goMod, goSum := readRepoFile(t, "go.mod"), readRepoFile(t, "go.sum")
	for dir, files := range map[string]map[string][]byte{
		provider: {"go.mod": goMod, "go.sum": goSum},
		consumer: {"go.mod": []byte(consumerGoMod(t, "example.com/consumer", "v0.0.0", provider)), "go.sum": goSum},
	} {
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(consumer, "infra"), 0o755); err != nil {
		t.Fatal(err)
	}
	return consumer, provider
}

// TestBundlingFromAnotherModuleFollowsHandlerSources runs the construct from a consumer module's subdirectory:
// the handlers are found and built from the module that holds them, and only the changed handler's asset hash
// changes after its source is edited.
func TestBundlingFromAnotherModuleFollowsHandlerSources(t *testing.T) {
	consumer, provider := consumerOfCopy(t)
	t.Chdir(filepath.Join(consumer, "infra"))

	before, out := synthBundledDev(t)
	keysBefore := assetKeys(t, before)
	createNote := filepath.Join(provider, "lambda", "createnote", "main.go")
	for route, key := range keysBefore {
		if _, err := os.Stat(filepath.Join(out, "asset."+strings.TrimSuffix(key, ".zip"), "bootstrap")); err != nil {
			t.Errorf("%s: no bootstrap built from the consumer module: %v", route, err)
		}
	}

	src, err := os.ReadFile(createNote)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(createNote, append(src, []byte("\n// edited by the test\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	after, _ := synthBundledDev(t)
	keysAfter := assetKeys(t, after)
	for route, key := range keysBefore {
		changed := keysAfter[route] != key
		if want := route == "POST /notes"; changed != want {
			t.Errorf("%s asset hash changed = %v after editing lambda/createnote; want %v", route, changed, want)
		}
	}
}

func TestMissingGoFailsWithInstallHint(t *testing.T) {
	stack := newStack(t, "NoGo")
	t.Setenv("PATH", t.TempDir())
	msg := panicMessage(func() { notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Notes"), nil) })
	if !strings.Contains(msg, "go toolchain not found") || !strings.Contains(msg, "https://go.dev/doc/install") {
		t.Fatalf("construct without go on PATH panicked with %q; want the missing toolchain and how to install it", msg)
	}
}

// TestFeatureFlagsExistInCdkLib checks every feature flag in cdk.json against the flags aws-cdk-lib v2.276.0
// defines: a misspelt flag is silently ignored by CDK.
func TestFeatureFlagsExistInCdkLib(t *testing.T) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-cdk-go/awscdk/v2").Output()
	if err != nil {
		t.Fatalf("locate aws-cdk-go: %v", err)
	}
	tarballs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(dir)), "jsii", "aws-cdk-lib-*.tgz"))
	if len(tarballs) != 1 {
		t.Fatalf("aws-cdk-lib tarballs %v; want one", tarballs)
	}
	features := readFromTarball(t, tarballs[0], "package/cx-api/lib/features.js")
	var ctx map[string]any
	b, _ := json.Marshal(projectContext(t, nil))
	if err := json.Unmarshal(b, &ctx); err != nil {
		t.Fatal(err)
	}
	for flag := range ctx {
		if !strings.Contains(features, `"`+flag+`"`) {
			t.Errorf("cdk.json context %q is not a feature flag of aws-cdk-lib v2.276.0", flag)
		}
	}
}

func readFromTarball(t *testing.T, path, name string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s not in %s", name, path)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}
