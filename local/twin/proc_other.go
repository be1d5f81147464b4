//go:build !unix

package twin

import "os/exec"

// killGroupOnCancel: without process groups a cancelled context kills the direct child only.
func killGroupOnCancel(*exec.Cmd) {}
