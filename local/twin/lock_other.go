//go:build !unix

package twin

import "os"

// lockState: without flock the state directory is not guarded against a second twin.
func lockState(string) (*os.File, error) { return nil, nil }
