//go:build unix

package twin

import (
	"os/exec"
	"syscall"
)

// killGroupOnCancel runs cmd in its own process group and makes a cancelled context kill the whole group: the CDK
// CLI runs the app through `go run`, and killing npx alone would leave those running.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
