package lambdaruntime

import "syscall"

// processGroup starts the bootstrap in its own process group, so a kill reaches anything it forked, and with
// Pdeathsig, so a crashed twin leaves no orphans behind.
func processGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
