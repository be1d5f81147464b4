// Package privatefs keeps the twin's state to its owner: folders 0700 and files 0600 (0700 when executable), also
// when they exist already with looser modes. The state holds the local credentials, users' password verifiers and
// every note, and other accounts on the machine have no business reading any of it.
package privatefs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// loose are the permission bits for the group and others, which a private file or folder never has.
const loose fs.FileMode = 0o077

// MkdirAll creates dir (and missing parents) with mode 0700, and takes the group's and others' access away from
// dir itself when it exists already.
func MkdirAll(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return tighten(dir)
}

// WriteFile replaces path with data, atomically and durably, with mode 0600 whatever the mode of the file it
// replaces: a crash at any point leaves either the old or the new file, never a torn one (a temporary file in the
// same folder, synced, renamed over it, then the folder synced so the rename itself survives a power cut).
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes the file 0600 already; the rename keeps that mode.
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Tighten walks root and removes the group's and others' permissions from every folder and file below it (0755
// becomes 0700, 0644 becomes 0600). It does not follow symbolic links.
func Tighten(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		return tighten(path)
	})
}

func tighten(path string) error {
	info, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if mode := info.Mode().Perm(); mode&loose != 0 {
		if err := os.Chmod(path, mode&^loose); err != nil {
			return fmt.Errorf("make %s private: %w", path, err)
		}
	}
	return nil
}
