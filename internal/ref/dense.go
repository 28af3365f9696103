package ref

import "github.com/lowformer/lowformer-webgpu/act"

// MeanPool averages each channel over H×W (in float64), giving [N,1,1,C].
func MeanPool(x *Tensor) *Tensor {
	out := NewTensor(x.N, 1, 1, x.C)
	hw := x.H * x.W
	acc := make([]float64, x.C)
	for n := 0; n < x.N; n++ {
		clear(acc)
		for p := 0; p < hw; p++ {
			for c, v := range x.Data[(n*hw+p)*x.C:][:x.C] {
				acc[c] += float64(v)
			}
		}
		for c, a := range acc {
			out.Data[n*x.C+c] = float32(a / float64(hw))
		}
	}
	return out
}

// Linear is a fully connected layer: x holds K = H·W·C values per image
// (normally [N,1,1,K]), w is [K][n], bias (nil means zeros) is [n]; the
// result is act(x·w + bias) as [N,1,1,n].
func Linear(x *Tensor, w, bias []float32, n int, fn act.Func) *Tensor {
	k := x.H * x.W * x.C
	checkLen("Linear", "weight", w, k*n, false)
	checkLen("Linear", "bias", bias, n, true)
	out := NewTensor(x.N, 1, 1, n)
	for b := 0; b < x.N; b++ {
		acc := make([]float64, n)
		initBias(acc, bias)
		in := x.Data[b*k:][:k]
		// Split the output columns over goroutines: each owns acc[lo:hi].
		const chunk = 256
		parallelFor((n+chunk-1)/chunk, func(part int) {
			lo, hi := part*chunk, min((part+1)*chunk, n)
			a := acc[lo:hi]
			for i, xv := range in {
				xf := float64(xv)
				for o, wv := range w[i*n+lo : i*n+hi] {
					a[o] += xf * float64(wv)
				}
			}
		})
		finish(out.Data[b*n:][:n], acc, fn, nil)
	}
	return out
}
