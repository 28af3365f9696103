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
	if n == v.Len() {
		finishFull(v, simd.LoadFloat32s(bias), dst, res, fn)
		return
	}
	b, _ := simd.LoadFloat32sPart(bias[:n])
	v = actVec(v.Add(b), fn)
	if res != nil {
		r, _ := simd.LoadFloat32sPart(res[:n])
		v = v.Add(r)
	}
	v.StorePart(dst[:n])
}

// finishFull is finishVec for a full vector with the bias loaded: small
// enough to inline into the GEMM micro-tile, so that a tile's epilogue
// makes no calls (for hswish and none).
func finishFull(v, bias simd.Float32s, dst, res []float32, fn act.Func) {
	v = actVec(v.Add(bias), fn)
	if res != nil {
		v = v.Add(simd.LoadFloat32s(res))
	}
	v.Store(dst)
}

// actVec applies fn per lane.
func actVec(v simd.Float32s, fn act.Func) simd.Float32s {
	switch fn {
	case act.HSwish:
		return hswishVec(v)
	case act.GELU:
		return geluVec(v)
	}
	return v
}

// hswishVec is x·clamp(x+3, 0, 6)/6 per lane, dividing by multiplying with
// 1/6 (within an ulp of act.HSwish; a vector divide costs several
// multiplies).
func hswishVec(x simd.Float32s) simd.Float32s {
	var zero simd.Float32s // not BroadcastFloat32s(0): that compiles to an SSE XORPS, slow after AVX code
	r := x.Add(simd.BroadcastFloat32s(3)).Max(zero).Min(simd.BroadcastFloat32s(6))
	return x.Mul(r).Mul(simd.BroadcastFloat32s(1.0 / 6))
}

// normalizeRow writes (x[i]−mean)·scale[i] + shift[i] to dst[i].
func normalizeRow(dst, x, scale, shift []float32, mean float32) {
	defer clearUpper()
	mv := simd.BroadcastFloat32s(mean)
	l := mv.Len()
	i := 0
	for ; i+l <= len(dst); i += l {
		v := simd.LoadFloat32s(x[i:]).Sub(mv)
		v.MulAdd(simd.LoadFloat32s(scale[i:]), simd.LoadFloat32s(shift[i:])).Store(dst[i:])
	}
	if i < len(dst) { // the tail with partial vectors: scalar float code here would be SSE
		n := len(dst) - i
		v, _ := simd.LoadFloat32sPart(x[i:][:n])
		sc, _ := simd.LoadFloat32sPart(scale[i:][:n])
		sh, _ := simd.LoadFloat32sPart(shift[i:][:n])
		v.Sub(mv).MulAdd(sc, sh).StorePart(dst[i:][:n])
	}
}

// finishRow applies the epilogue to acc and stores it to dst:
// act(acc + bias) + res, res nil for none. The loop over full vectors has
// no calls (hswish inlines), which matters in wasm where a call costs as
// much as the arithmetic of a vector.
func finishRow(dst, acc, bias, res []float32, fn act.Func) {
	defer clearUpper()
	var v simd.Float32s
	l := v.Len()
	n := len(acc)
	i := 0
	for ; i+l <= n; i += l {
		var r []float32
		if res != nil {
			r = res[i:]
		}
		finishFull(simd.LoadFloat32s(acc[i:]), simd.LoadFloat32s(bias[i:]), dst[i:], r, fn)
	}
	if i < n {
		var r []float32
		if res != nil {
			r = res[i:]
		}
		v, _ = simd.LoadFloat32sPart(acc[i:n])
		finishVec(v, dst[i:], bias[i:], r, fn, n-i)
	}
}

// addScaled writes a[i] + sign·b[i] to dst[i] for i < len(dst) (dst may
// be a: addScaled(y, y, x, s) is y += s·x). With sign ±1 the result is the
// exact sum or difference.
func addScaled(dst, a, b []float32, sign float32) {
	defer clearUpper()
	sv := simd.BroadcastFloat32s(sign)
	l := sv.Len()
	i := 0
	for ; i+l <= len(dst); i += l {
		simd.LoadFloat32s(b[i:]).MulAdd(sv, simd.LoadFloat32s(a[i:])).Store(dst[i:])
	}
	if i < len(dst) { // the tail with partial vectors: scalar float code here would be SSE
		n := len(dst) - i
		bv, _ := simd.LoadFloat32sPart(b[i:][:n])
		av, _ := simd.LoadFloat32sPart(a[i:][:n])
		bv.MulAdd(sv, av).StorePart(dst[i:][:n])
	}
}
