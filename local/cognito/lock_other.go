//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package cognito

import (
	"io"

	"github.com/authnotes/authnotes/local/privatefs"
)

type noLock struct{}

func (noLock) Close() error { return nil }

// lockStateDir cannot lock on this system: two endpoints on one state directory would overwrite each other's
// users, so do not run them.
func lockStateDir(dir string) (io.Closer, error) {
	return noLock{}, privatefs.MkdirAll(dir)
}
