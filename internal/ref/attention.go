package ref

import (
	"fmt"
	"math"
)

// Attention is plain softmax attention over the H·W tokens (row-major) of
// each image: for head j, O_j = softmax(q_j·k_jᵀ/√headDim)·v_j. The input's
// channels are ordered [head][q|k|v][d] (heads·3·headDim of them); the
// output has heads·headDim channels ordered [head][d]. Scores, softmax and
// sums are in float64.
func Attention(x *Tensor, heads, headDim int) *Tensor {
	if heads < 1 || headDim < 1 || x.C != heads*3*headDim {
		panic(fmt.Sprintf("ref: Attention input has %d channels, want heads %d × 3 × headDim %d", x.C, heads, headDim))
	}
	L := x.H * x.W
	out := NewTensor(x.N, x.H, x.W, heads*headDim)
	scale := 1 / math.Sqrt(float64(headDim))
	parallelFor(x.N*heads, func(job int) {
		n, j := job/heads, job%heads
		token := func(t, part int) []float32 {
			return x.Data[(n*L+t)*x.C+(j*3+part)*headDim:][:headDim]
		}
		p := make([]float64, L)
		o := make([]float64, headDim)
		for t := 0; t < L; t++ {
			q := token(t, 0)
			maxS := math.Inf(-1)
			for s := 0; s < L; s++ {
				var dot float64
				for d, kv := range token(s, 1) {
					dot += float64(q[d]) * float64(kv)
				}
				p[s] = dot * scale
				maxS = math.Max(maxS, p[s])
			}
			var sum float64
			for s := range p {
				p[s] = math.Exp(p[s] - maxS)
				sum += p[s]
			}
			clear(o)
			for s := 0; s < L; s++ {
				ps := p[s] / sum
				for d, vv := range token(s, 2) {
					o[d] += ps * float64(vv)
				}
			}
			dst := out.Data[(n*L+t)*out.C+j*headDim:][:headDim]
			for d, v := range o {
				dst[d] = float32(v)
			}
		}
	})
	return out
}
