//go:build !(goexperiment.simd && amd64)

package cpukernels

// clearUpper is a no-op: only amd64 AVX code leaves dirty upper halves.
func clearUpper() {}
