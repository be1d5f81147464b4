package dynalite

import "syscall"

// setParentDeathSignal makes the kernel kill dynalite if our process dies
// without calling Close (a test binary killed by its timeout, say).
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
