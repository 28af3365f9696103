//go:build js || cgo

package kernels

// Optional is a Kernel that may use an optional adapter feature
// (subgroups; shader-f16 where a family ever uses it). Fallback returns
// its twin without the feature and true, or k and false when k uses none.
// The twin has the same bindings and dispatch geometry and computes the
// same results within f32 rounding, so that a Cache can build the twin in
// k's place when k's WGSL does not compile on the adapter (see
// Cache.Prepare).
type Optional interface {
	Kernel
	Fallback() (Kernel, bool)
}

// subgroupsLabel is the label suffix of a kernel using subgroups.
func subgroupsLabel(subgroups bool) string {
	if subgroups {
		return "_sg"
	}
	return ""
}

// fallback is k's twin without optional features, and whether k has one.
func fallback(k Kernel) (Kernel, bool) {
	if o, ok := k.(Optional); ok {
		return o.Fallback()
	}
	return k, false
}

// subgroupsDirectivesJS are the lines a browser's WGSL needs before the
// subgroup built-ins (see enables in enable_js.go).
const subgroupsDirectivesJS = "enable subgroups;\ndiagnostic(off, subgroup_uniformity);"
