//go:build goexperiment.simd

package cpukernels

import "simd"

// dwRow adds Σ_t x[t·c + i]·w[t·c + i] over taps taps to out[i] (c =
// len(out)), tap by tap, one vector of channels at a time with its sum in
// a register; first starts the sums from zero.
func dwRow(out, x, w []float32, taps int, first bool) {
	defer clearUpper()
	c := len(out)
	x, w = x[:taps*c], w[:taps*c]
	var zero simd.Float32s
	l := zero.Len()
	i := 0
	for ; i+l <= c; i += l {
		acc := zero
		if !first {
			acc = simd.LoadFloat32s(out[i:])
		}
		for t := i; t < taps*c; t += c {
			acc = simd.LoadFloat32s(x[t:]).MulAdd(simd.LoadFloat32s(w[t:]), acc)
		}
		acc.Store(out[i:])
	}
	if i < c { // the channel tail with partial vectors
		n := c - i
		acc := zero
		if !first {
			acc, _ = simd.LoadFloat32sPart(out[i:])
		}
		for t := i; t < taps*c; t += c {
			xv, _ := simd.LoadFloat32sPart(x[t:][:n])
			wv, _ := simd.LoadFloat32sPart(w[t:][:n])
			acc = xv.MulAdd(wv, acc)
		}
		acc.StorePart(out[i:][:n])
	}
}
