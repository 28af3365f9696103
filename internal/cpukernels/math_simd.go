//go:build goexperiment.simd

package cpukernels

import "simd"

// expVec is e^x per lane for x ≤ 88 (Cephes expf: x = n·ln2 + r with
// |r| ≤ ln2/2, a degree-6 polynomial for e^r, then 2^n through the
// exponent bits); relative error about 1e-7. Lanes below −87 give about
// 1e-38 instead of smaller values.
func expVec(x simd.Float32s) simd.Float32s {
	x = x.Max(simd.BroadcastFloat32s(-87))
	const magic = 12582912 // 1.5·2^23: adding it rounds to an integer
	n := x.Mul(simd.BroadcastFloat32s(1.44269504088896341)).Add(simd.BroadcastFloat32s(magic)).Sub(simd.BroadcastFloat32s(magic))
	r := n.MulAdd(simd.BroadcastFloat32s(-0.693359375), x)
	r = n.MulAdd(simd.BroadcastFloat32s(2.12194440e-4), r)
	p := simd.BroadcastFloat32s(1.9875691500e-4)
	p = p.MulAdd(r, simd.BroadcastFloat32s(1.3981999507e-3))
	p = p.MulAdd(r, simd.BroadcastFloat32s(8.3334519073e-3))
	p = p.MulAdd(r, simd.BroadcastFloat32s(4.1665795894e-2))
	p = p.MulAdd(r, simd.BroadcastFloat32s(1.6666665459e-1))
	p = p.MulAdd(r, simd.BroadcastFloat32s(5.0000001201e-1))
	y := p.Mul(r).MulAdd(r, r).Add(simd.BroadcastFloat32s(1))
	scale := n.ConvertToInt32().Add(simd.BroadcastInt32s(127)).ShiftAllLeft(23).ToBits().BitsToFloat32()
	return y.Mul(scale)
}

// geluVec is the exact-form GELU 0.5·x·(1+erf(x/√2)) per lane, written
// 0.5·(x + |x|·erf(|x|/√2)) with erf from Abramowitz–Stegun 7.1.26
// (absolute error ≤ 1.5e-7).
func geluVec(x simd.Float32s) simd.Float32s {
	ax := x.Abs()
	z := ax.Mul(simd.BroadcastFloat32s(0.70710678118654752))
	one := simd.BroadcastFloat32s(1)
	t := one.Div(z.MulAdd(simd.BroadcastFloat32s(0.3275911), one))
	p := simd.BroadcastFloat32s(1.061405429)
	p = p.MulAdd(t, simd.BroadcastFloat32s(-1.453152027))
	p = p.MulAdd(t, simd.BroadcastFloat32s(1.421413741))
	p = p.MulAdd(t, simd.BroadcastFloat32s(-0.284496736))
	p = p.MulAdd(t, simd.BroadcastFloat32s(0.254829592))
	erf := one.Sub(p.Mul(t).Mul(expVec(z.Mul(z).Neg())))
	return ax.MulAdd(erf, x).Mul(simd.BroadcastFloat32s(0.5))
}

// softmax replaces p by softmax(scale·p): exp(scale·p − max)/Σ.
func softmax(p []float32, scale float32) {
	defer clearUpper()
	sv := simd.BroadcastFloat32s(scale)
	l := sv.Len()
	i := 0
	for ; i+l <= len(p); i += l {
		simd.LoadFloat32s(p[i:]).Mul(sv).Store(p[i:])
	}
	if i < len(p) {
		v, n := simd.LoadFloat32sPart(p[i:])
		v.Mul(sv).StorePart(p[i:][:n])
	}
	clearUpper() // the scalar max below is SSE code
	m := p[0]
	for _, v := range p {
		m = max(m, v)
	}
	mv := simd.BroadcastFloat32s(m)
	var sum simd.Float32s
	i = 0
	for ; i+l <= len(p); i += l {
		e := expVec(simd.LoadFloat32s(p[i:]).Sub(mv))
		sum = sum.Add(e)
		e.Store(p[i:])
	}
	if i < len(p) {
		v, n := simd.LoadFloat32sPart(p[i:])
		e := expVec(v.Sub(mv))
		e.StorePart(p[i:][:n])
		e, _ = simd.LoadFloat32sPart(p[i:][:n]) // zero the lanes past the end
		sum = sum.Add(e)
	}
	var lanesum [64]float32
	sum.Store(lanesum[:l])
	clearUpper() // the scalar sums below are SSE code
	var s float32
	for _, v := range lanesum[:l] {
		s += v
	}
	inv := simd.BroadcastFloat32s(1 / s)
	for i = 0; i+l <= len(p); i += l {
		simd.LoadFloat32s(p[i:]).Mul(inv).Store(p[i:])
	}
	if i < len(p) {
		v, n := simd.LoadFloat32sPart(p[i:])
		v.Mul(inv).StorePart(p[i:][:n])
	}
}
