//go:build !goexperiment.simd

package cpukernels

import "github.com/lowformer/lowformer-webgpu/act"

// lanes is the vector width the scalar loops are blocked for.
func lanes() int { return 4 }

// finishRow applies the epilogue to acc and stores it to dst:
// act(acc + bias) + res, res nil for none.
func finishRow(dst, acc, bias, res []float32, fn act.Func) {
	for i, v := range acc {
		v = fn.Apply(v + bias[i])
		if res != nil {
			v += res[i]
		}
		dst[i] = v
	}
}

// axpy adds a·x[i] to dst[i] for i < len(dst).
func axpy(dst, x []float32, a float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] += a * v
	}
}

// normalizeRow writes (x[i]−mean)·scale[i] + shift[i] to dst[i].
func normalizeRow(dst, x, scale, shift []float32, mean float32) {
	x, scale, shift = x[:len(dst)], scale[:len(dst)], shift[:len(dst)]
	for i, v := range x {
		dst[i] = (v-mean)*scale[i] + shift[i]
	}
}
