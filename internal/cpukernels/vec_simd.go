//go:build goexperiment.simd

package cpukernels

import (
	"simd"

	"github.com/lowformer/lowformer-webgpu/act"
)

// lanes is the number of float32 values in one simd.Float32s.
func lanes() int {
	var v simd.Float32s
	return v.Len()
}

// finishVec applies the epilogue to the first n (≤ lanes) values of v and
// stores them to dst: act(v + bias) + res, res nil for none.
func finishVec(v simd.Float32s, dst, bias, res []float32, fn act.Func, n int) {
	l := v.Len()
	if n == l {
		v = v.Add(simd.LoadFloat32s(bias))
	} else {
		b, _ := simd.LoadFloat32sPart(bias[:n])
		v = v.Add(b)
	}
	switch fn {
	case act.HSwish:
		v = hswishVec(v)
	case act.GELU:
		n = v.StorePart(dst[:n])
		for i, x := range dst[:n] {
			x = fn.Apply(x)
			if res != nil {
				x += res[i]
			}
			dst[i] = x
		}
		return
	}
	if n == l {
		if res != nil {
			v = v.Add(simd.LoadFloat32s(res))
		}
		v.Store(dst)
		return
	}
	if res != nil {
		r, _ := simd.LoadFloat32sPart(res[:n])
		v = v.Add(r)
	}
	v.StorePart(dst[:n])
}

// hswishVec is x·clamp(x+3, 0, 6)/6 per lane.
func hswishVec(x simd.Float32s) simd.Float32s {
	r := x.Add(simd.BroadcastFloat32s(3)).Max(simd.BroadcastFloat32s(0)).Min(simd.BroadcastFloat32s(6))
	return x.Mul(r).Div(simd.BroadcastFloat32s(6))
}
