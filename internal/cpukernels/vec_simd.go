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

// normalizeRows writes (x[i]−mean)·scale[i%C] + shift[i%C] to dst[i],
// C = len(scale), for rows of C values (len(dst) a multiple of C): one
// call per image (calls cost in wasm).
func normalizeRows(dst, x, scale, shift []float32, mean float32) {
	defer clearUpper()
	mv := simd.BroadcastFloat32s(mean)
	l := mv.Len()
	c := len(scale)
	x = x[:len(dst)]
	for p := 0; p+c <= len(dst); p += c {
		d, xs := dst[p:][:c], x[p:][:c]
		i := 0
		for ; i+l <= c; i += l {
			v := simd.LoadFloat32s(xs[i:]).Sub(mv)
			v.MulAdd(simd.LoadFloat32s(scale[i:]), simd.LoadFloat32s(shift[i:])).Store(d[i:])
		}
		if i < c { // the tail with partial vectors: scalar float code here would be SSE
			n := c - i
			v, _ := simd.LoadFloat32sPart(xs[i:][:n])
			sc, _ := simd.LoadFloat32sPart(scale[i:][:n])
			sh, _ := simd.LoadFloat32sPart(shift[i:][:n])
			v.Sub(mv).MulAdd(sc, sh).StorePart(d[i:][:n])
		}
	}
}

// blockSums returns Σ x[i] (sq false) or Σ (x[i]−m)² (sq true): each
// block of block values (the last one may be shorter) summed in float32
// vectors, the blocks' totals in float64.
func blockSums(x []float32, block int, m float32, sq bool) float64 {
	defer clearUpper()
	mv := simd.BroadcastFloat32s(m)
	l := mv.Len()
	var lanesBuf [16]float32 // one vector's lanes (at most 16)
	var total float64
	for p := 0; p < len(x); p += block {
		xs := x[p:min(len(x), p+block)]
		var acc simd.Float32s
		i := 0
		if sq {
			for ; i+l <= len(xs); i += l {
				d := simd.LoadFloat32s(xs[i:]).Sub(mv)
				acc = d.MulAdd(d, acc)
			}
		} else {
			for ; i+l <= len(xs); i += l {
				acc = acc.Add(simd.LoadFloat32s(xs[i:]))
			}
		}
		if i < len(xs) && !sq { // partial vector: the lanes past the end are zero
			v, _ := simd.LoadFloat32sPart(xs[i:])
			acc = acc.Add(v)
			i = len(xs)
		}
		acc.Store(lanesBuf[:l])
		clearUpper() // scalar float code follows
		var s float32
		for _, v := range lanesBuf[:l] {
			s += v
		}
		for _, v := range xs[i:] { // the squared deviations' tail
			s += (v - m) * (v - m)
		}
		total += float64(s)
	}
	return total
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
