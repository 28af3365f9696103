package cpukernels

import (
	"math"

	"github.com/lowformer/lowformer-webgpu/act"
)

// normEps is the epsilon of every LowFormer GroupNorm and LayerNorm.
const normEps = 1e-5

// stats returns the mean and 1/√(biased variance + eps) of x from one
// pass of float64 sums of x and x² (float64 keeps E[x²]−E[x]² exact enough
// for activations).
func stats(x []float32) (mean, inv float32) {
	var s, s2 float64
	for _, v := range x {
		f := float64(v)
		s += f
		s2 += f * f
	}
	m := s / float64(len(x))
	variance := max(0, s2/float64(len(x))-m*m)
	return float32(m), float32(1 / math.Sqrt(variance+normEps))
}

// GroupNorm is GroupNorm(1, C) over n images of size = H·W·C values each:
// out = (x−mean)·inv·gamma[c] + beta[c]. scale is C values of scratch.
func GroupNorm(x, out []float32, n, size int, gamma, beta, scale []float32) {
	defer clearUpper()
	c := len(gamma)
	for b := 0; b < n; b++ {
		src, dst := x[b*size:][:size], out[b*size:][:size]
		mean, inv := stats(src)
		for i, g := range gamma {
			scale[i] = g * inv
		}
		for p := 0; p < size; p += c {
			normalizeRow(dst[p:p+c], src[p:], scale, beta, mean)
		}
		clearUpper()
	}
}

// LayerNorm normalizes each of n images' C values (C = len(gamma)),
// applies the affine and then fn.
func LayerNorm(x, out []float32, n int, gamma, beta []float32, fn act.Func) {
	c := len(gamma)
	for b := 0; b < n; b++ {
		src, dst := x[b*c:][:c], out[b*c:][:c]
		mean, inv := stats(src)
		for i, v := range src {
			dst[i] = fn.Apply((v-mean)*inv*gamma[i] + beta[i])
		}
	}
}

// MeanPool averages each channel of n images of hw pixels × c channels,
// writing n×c values.
func MeanPool(x, out []float32, n, hw, c int) {
	defer clearUpper()
	inv := 1 / float32(hw)
	for b := 0; b < n; b++ {
		acc := out[b*c:][:c]
		clear(acc)
		for p := 0; p < hw; p++ {
			addScaled(acc, acc, x[(b*hw+p)*c:], 1)
		}
		for i := range acc {
			acc[i] *= inv
		}
	}
}
