//go:build unix

package lambdaruntime

import "syscall"

// killGroup kills the process group led by pid: the negative pid addresses the whole group.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
