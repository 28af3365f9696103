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
