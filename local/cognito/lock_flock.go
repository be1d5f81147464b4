//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package cognito

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/authnotes/authnotes/local/privatefs"
)

// lockStateDir takes an exclusive lock on a state directory for as long as the server runs: two endpoints on one
// directory (the twin and a cognito-twin on another port) would each overwrite the other's users. The kernel
// drops the lock when the process dies, so a crash leaves nothing to clean up.
func lockStateDir(dir string) (io.Closer, error) {
	if err := privatefs.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("cognito: state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cognito: lock state directory: %w", err)
	}
	// A lock file left by an older version may be readable by others; it tells who holds the directory.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("cognito: lock state directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder, _ := os.ReadFile(f.Name())
			return nil, fmt.Errorf("cognito: state directory %s is in use by another running endpoint, a twin or cognito-twin (pid %s): stop it, or give this one another state directory", dir, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("cognito: lock state directory %s: %w", dir, err)
	}
	// Who holds it, for the message above.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
