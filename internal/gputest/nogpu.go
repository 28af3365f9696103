//go:build !js && !cgo

package gputest

import "errors"

// openErr says why this build has no device: it has no GPU support.
func openErr() error {
	return errors.New("this test binary was built without cgo, so without GPU support")
}
