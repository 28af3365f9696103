//go:build !goexperiment.simd

package cpukernels

// dwRow adds Σ_t x[t·c + i]·w[t·c + i] over taps taps to out[i] (c =
// len(out)), tap by tap; first starts the sums from zero.
func dwRow(out, x, w []float32, taps int, first bool) {
	c := len(out)
	if first {
		clear(out)
	}
	for t := 0; t < taps; t++ {
		ws := w[t*c:][:c]
		for ch, v := range x[t*c:][:c] {
			out[ch] += v * ws[ch]
		}
	}
}
