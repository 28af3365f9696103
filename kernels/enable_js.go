//go:build js

package kernels

// enables is the WGSL enable directive of the optional features a kernel
// uses. Browsers (Tint) require `enable subgroups;` before subgroup
// built-ins.
func enables(subgroups bool) string {
	if subgroups {
		return "enable subgroups;"
	}
	return ""
}
