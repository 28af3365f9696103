//go:build js

package kernels

// enables is the WGSL enable directive of the optional features a kernel
// uses. Browsers (Tint) require `enable subgroups;` before subgroup
// built-ins, and reject subgroup built-ins in control flow that is not
// workgroup-uniform unless the subgroup_uniformity diagnostic is off: the
// GPU set's attention runs them in a loop that is uniform per subgroup (its
// bounds are the subgroup's slot and the workgroup's subgroup count), which
// the analysis cannot see.
func enables(subgroups bool) string {
	if subgroups {
		return subgroupsDirectivesJS
	}
	return ""
}
