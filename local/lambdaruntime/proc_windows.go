package lambdaruntime

import (
	"os"
	"syscall"
)

// processGroup: Windows has no process groups to ask for here; the bootstrap alone is killed.
func processGroup() *syscall.SysProcAttr { return nil }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
