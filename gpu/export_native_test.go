//go:build !js

package gpu

// DirectCallbacks exposes directCallbacks to the external tests.
var DirectCallbacks = directCallbacks
