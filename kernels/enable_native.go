//go:build cgo && !js

package kernels

// enables is the WGSL enable directive of the optional features a kernel
// uses. wgpu-native's WGSL front end (naga) rejects `enable subgroups;`
// ("not yet supported" as of naga 30) and allows the subgroup built-ins
// when the device has the subgroup feature, so natively there is none.
func enables(bool) string { return "" }
