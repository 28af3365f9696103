//go:build goexperiment.simd && amd64

package cpukernels

import "simd/archsimd"

// clearUpper zeroes the upper halves of the vector registers (VZEROUPPER)
// after AVX-512/AVX2 work, before scalar SSE code runs (Go's scalar float
// code, math.Exp, memmove): with dirty upper halves every such
// instruction pays a false dependency and the code runs several times
// slower. Kernels call it at the end of each task.
func clearUpper() {
	if archsimd.X86.AVX() {
		archsimd.ClearAVXUpperBits()
	}
}
