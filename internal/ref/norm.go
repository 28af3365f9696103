package ref

import (
	"math"

	"github.com/lowformer/lowformer-webgpu/act"
)

// normEps is the epsilon of every LowFormer GroupNorm and LayerNorm.
const normEps = 1e-5

// GroupNorm is GroupNorm(1, C): per image, mean and biased variance over
// all H·W·C values (in float64, eps 1e-5), then the per-channel affine
// gamma[c], beta[c].
func GroupNorm(x *Tensor, gamma, beta []float32) *Tensor {
	checkLen("GroupNorm", "gamma", gamma, x.C, false)
	checkLen("GroupNorm", "beta", beta, x.C, false)
	out := NewTensor(x.N, x.H, x.W, x.C)
	size := x.H * x.W * x.C
	parallelFor(x.N, func(n int) {
		normalize(x.Data[n*size:][:size], out.Data[n*size:][:size], gamma, beta, act.None)
	})
	return out
}

// LayerNorm normalizes the C values of each image of an [N,1,1,C] tensor
// (float64 statistics, eps 1e-5), applies the affine and then act.
func LayerNorm(x *Tensor, gamma, beta []float32, fn act.Func) *Tensor {
	size := x.H * x.W * x.C
	checkLen("LayerNorm", "gamma", gamma, size, false)
	checkLen("LayerNorm", "beta", beta, size, false)
	out := NewTensor(x.N, x.H, x.W, x.C)
	for n := 0; n < x.N; n++ {
		normalize(x.Data[n*size:][:size], out.Data[n*size:][:size], gamma, beta, fn)
	}
	return out
}

// normalize writes act((src-mean)/sqrt(var+eps)·gamma[c] + beta[c]) to dst,
// where c cycles over len(gamma) (the innermost dimension).
func normalize(src, dst, gamma, beta []float32, fn act.Func) {
	var sum float64
	for _, v := range src {
		sum += float64(v)
	}
	mean := sum / float64(len(src))
	var sq float64
	for _, v := range src {
		d := float64(v) - mean
		sq += d * d
	}
	inv := 1 / math.Sqrt(sq/float64(len(src))+normEps)
	c := len(gamma)
	for i, v := range src {
		y := (float64(v)-mean)*inv*float64(gamma[i%c]) + float64(beta[i%c])
		dst[i] = fn.Apply(float32(y))
	}
}
