package gpu

import "errors"

// ErrDeviceLost is returned by calls on a lost, destroyed or closed device.
// It is the one part of the package that every build has, GPU support or
// not (natively without cgo nothing else is built), because the root
// package's ErrDeviceLost is this error.
var ErrDeviceLost = errors.New("gpu: device is closed or lost")
