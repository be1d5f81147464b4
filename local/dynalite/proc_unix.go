//go:build unix

package dynalite

import (
	"os/exec"
	"syscall"
)

const (
	terminate = syscall.SIGTERM
	kill      = syscall.SIGKILL
)

// setProcAttr puts dynalite in its own process group so Close can stop the
// group, never leaving an orphan behind.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(cmd.SysProcAttr)
}

// signalGroup signals every process in dynalite's group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// privateCommand runs name with umask 077, so every file dynalite creates (its LevelDB files, its socket) is the
// owner's alone. The shell sets the umask and replaces itself with the command: the pid stays the command's.
func privateCommand(name string, args ...string) *exec.Cmd {
	return exec.Command("/bin/sh", append([]string{"-c", `umask 077 && exec "$0" "$@"`, name}, args...)...)
}
