//go:build unix && !linux

package lambdaruntime

import "syscall"

// processGroup starts the bootstrap in its own process group, so a kill reaches anything it forked.
func processGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
