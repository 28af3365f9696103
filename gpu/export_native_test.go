//go:build !js && cgo

package gpu

// DirectCallbacks exposes directCallbacks to the external tests.
var DirectCallbacks = directCallbacks
