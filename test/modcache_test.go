package test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/constructs/notesapi/gobuild"
)

// readRepoFile returns a file of this checkout.
func readRepoFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// consumerGoMod is the go.mod of a module named module that requires this one at version (through a replace
// directive when replaceDir is not "") plus this module's own requirements, as `go mod tidy` would write it.
func consumerGoMod(t testing.TB, module, version, replaceDir string) string {
	t.Helper()
	s := "module " + module + "\n\ngo 1.26.0\n\nrequire " + notesapi.ModulePath + " " + version + "\n\n"
	if replaceDir != "" {
		s += "replace " + notesapi.ModulePath + " => " + replaceDir + "\n\n"
	}
	return s + "require" + strings.SplitN(string(readRepoFile(t, "go.mod")), "\nrequire", 2)[1]
}

// moduleProxy writes a GOPROXY directory that serves this checkout's go.mod, go.sum and lambda/ as
// github.com/authnotes/authnotes@version, the way a published release of the module is fetched.
func moduleProxy(t *testing.T, version string) string {
	t.Helper()
	proxy := t.TempDir()
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	add := func(name string, body []byte) {
		w, err := zw.Create(notesapi.ModulePath + "@" + version + "/" + name)
		if err == nil {
			_, err = w.Write(body)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	add("go.mod", readRepoFile(t, "go.mod"))
	add("go.sum", readRepoFile(t, "go.sum"))
	err := filepath.WalkDir(filepath.Join(repoRoot, "lambda"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(repoRoot, path)
		if err != nil {
			return err
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		add(filepath.ToSlash(rel), body)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(proxy, filepath.FromSlash(notesapi.ModulePath), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"list":            []byte(version + "\n"),
		version + ".info": []byte(`{"Version":"` + version + `","Time":"2026-01-01T00:00:00Z"}`),
		version + ".mod":  readRepoFile(t, "go.mod"),
		version + ".zip":  zipped.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return proxy
}

func goCommand(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// TestBundlingFromModuleCache synthesizes from a consumer module that requires a released version of this module,
// downloaded into a (private, read-only) module cache as `go get` does: the handlers are found and built there,
// with the same asset hashes as from this checkout, since the sources are the same.
func TestBundlingFromModuleCache(t *testing.T) {
	const version = "v0.0.1"
	fromCheckout, _ := checkoutBundledDev(t)

	realCache := strings.TrimSpace(string(goCommand(t, repoRoot, "env", "GOMODCACHE")))
	cache := t.TempDir()
	t.Cleanup(func() {
		// The module cache is read-only; only go can remove it.
		cmd := exec.Command("go", "clean", "-modcache")
		cmd.Env = append(os.Environ(), "GOMODCACHE="+cache)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go clean -modcache: %v\n%s", err, out)
		}
	})
	t.Setenv("GOMODCACHE", cache)
	// This module from the test proxy; its dependencies from the machine's module cache, so no network is needed.
	t.Setenv("GOPROXY", "file://"+moduleProxy(t, version)+",file://"+filepath.Join(realCache, "cache", "download"))
	t.Setenv("GONOSUMDB", notesapi.ModulePath)

	consumer := t.TempDir()
	if err := os.MkdirAll(filepath.Join(consumer, "infra"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(consumer, "go.mod"), []byte(consumerGoMod(t, "example.com/consumer", version, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	var dl struct{ Sum, GoModSum string }
	if err := json.Unmarshal(goCommand(t, consumer, "mod", "download", "-json", notesapi.ModulePath+"@"+version), &dl); err != nil {
		t.Fatal(err)
	}
	goSum := string(readRepoFile(t, "go.sum")) + notesapi.ModulePath + " " + version + " " + dl.Sum + "\n" +
		notesapi.ModulePath + " " + version + "/go.mod " + dl.GoModSum + "\n"
	if err := os.WriteFile(filepath.Join(consumer, "go.sum"), []byte(goSum), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(consumer, "infra"))

	const createNote = notesapi.ModulePath + "/lambda/createnote"
	located, err := gobuild.Locate(t.Context(), "", createNote)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, notesapi.ModulePath+"@"+version); located[0].ModuleDir != want {
		t.Fatalf("Locate(%s).ModuleDir = %s; want the module cache copy %s", createNote, located[0].ModuleDir, want)
	}

	fromCache, out := synthBundledDev(t)
	keys := assetKeys(t, fromCache)
	if diff := cmp.Diff(assetKeys(t, fromCheckout), keys); diff != "" {
		t.Errorf("asset keys from the module cache differ from the checkout's (-checkout +cache):\n%s", diff)
	}
	for route, key := range keys {
		if _, err := os.Stat(filepath.Join(out, "asset."+strings.TrimSuffix(key, ".zip"), "bootstrap")); err != nil {
			t.Errorf("%s: no bootstrap built from the module cache: %v", route, err)
		}
	}
}
