package gpu

import "errors"

// ErrDeviceLost is returned by calls on a lost, destroyed or closed device.
// It is the one part of the package that every build has, GPU support or
// not (natively without cgo nothing else is built), because the root
// package's ErrDeviceLost is this error.
var ErrDeviceLost = errors.New("gpu: device is closed or lost")

// ErrDumpWGSL is wrapped by the errors of a WGSL dump that cannot be made:
// an unusable dump folder at Open, or a failed write or Options.DumpWGSL
// callback when a pipeline is created. Like ErrDeviceLost, every build has
// it, so that callers can test for it whatever the build.
var ErrDumpWGSL = errors.New("cannot dump the WGSL")
