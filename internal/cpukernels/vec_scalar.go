//go:build !goexperiment.simd

package cpukernels

import (
	"math"

	"github.com/lowformer/lowformer-webgpu/act"
)

// lanes is the vector width the scalar loops are blocked for.
func lanes() int { return 4 }

// finishRow applies the epilogue to acc and stores it to dst:
// act(acc + bias) + res, res nil for none.
func finishRow(dst, acc, bias, res []float32, fn act.Func) {
	for i, v := range acc {
		dst[i] = finishOne(v, bias[i], res, i, fn)
	}
}

// finishOne is the epilogue of one value: act(v + bias) + res[i], res nil
// for none.
func finishOne(v, bias float32, res []float32, i int, fn act.Func) float32 {
	v = fn.Apply(v + bias)
	if res != nil {
		v += res[i]
	}
	return v
}

// normalizeRow writes (x[i]−mean)·scale[i] + shift[i] to dst[i].
func normalizeRow(dst, x, scale, shift []float32, mean float32) {
	x, scale, shift = x[:len(dst)], scale[:len(dst)], shift[:len(dst)]
	for i, v := range x {
		dst[i] = (v-mean)*scale[i] + shift[i]
	}
}

// softmax replaces p by softmax(scale·p): exp(scale·p − max)/Σ.
func softmax(p []float32, scale float32) {
	for i := range p {
		p[i] *= scale
	}
	m := p[0]
	for _, v := range p {
		m = max(m, v)
	}
	var sum float32
	for i, v := range p {
		e := float32(math.Exp(float64(v - m)))
		p[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range p {
		p[i] *= inv
	}
}

// addScaled writes a[i] + sign·b[i] to dst[i] for i < len(dst) (dst may
// be a: addScaled(y, y, x, s) is y += s·x). With sign ±1 the result is the
// exact sum or difference.
func addScaled(dst, a, b []float32, sign float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + sign*b[i]
	}
}
