package privatefs

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func TestMkdirAllCreatesAndTightens(t *testing.T) {
	root := t.TempDir()
	fresh := filepath.Join(root, "a", "b")
	if err := MkdirAll(fresh); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(root, "a"), fresh} {
		if got := mode(t, dir); got != 0o700 {
			t.Errorf("mode of new %s = %o; want 700", dir, got)
		}
	}
	old := filepath.Join(root, "old")
	if err := os.Mkdir(old, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o755); err != nil { // past the umask
		t.Fatal(err)
	}
	if err := MkdirAll(old); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, old); got != 0o700 {
		t.Errorf("mode of an existing 0755 folder after MkdirAll = %o; want 700", got)
	}
}

func TestWriteFileIsPrivateEvenOverALooseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outputs.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "new" {
		t.Errorf("content = %q, %v; want new", got, err)
	}
	if got := mode(t, path); got != 0o600 {
		t.Errorf("mode = %o; want 600", got)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 {
		t.Errorf("folder holds %v, %v; want only the file (no temporary left)", entries, err)
	}
}

func TestTightenKeepsTheOwnersBits(t *testing.T) {
	root := t.TempDir()
	files := map[string]fs.FileMode{"data/000001.log": 0o644, "build/fn/bootstrap": 0o755, "private": 0o600, "readonly": 0o444}
	for name, m := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, m); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, m); err != nil {
			t.Fatal(err)
		}
	}
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(outside, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := Tighten(root); err != nil {
		t.Fatal(err)
	}
	want := map[string]fs.FileMode{
		"": 0o700, "data": 0o700, "build": 0o700, "build/fn": 0o700,
		"data/000001.log": 0o600, "build/fn/bootstrap": 0o700, "private": 0o600, "readonly": 0o400,
	}
	for name, w := range want {
		if got := mode(t, filepath.Join(root, name)); got != w {
			t.Errorf("mode of %q = %o; want %o", name, got, w)
		}
	}
	if got := mode(t, outside); got != 0o644 {
		t.Errorf("the link's target outside the tree became %o; want it untouched (644)", got)
	}
}
