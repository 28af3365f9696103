package cpukernels

import (
	"math"
)

// Attention is softmax(q·kᵀ/√d)·v per (image, head) over the H·W tokens of
// an input whose channels are ordered [head][q|k|v][d]; the output has
// Heads·HeadDim channels ordered [head][d]. A task is one (image, head):
// it transposes the head's keys into its worker's scratch so that the
// scores of a query are one combination of key rows vectorized over keys,
// and its output one combination of value rows vectorized over d.
type Attention struct {
	X              []float32
	In             Geom
	Out            []float32
	Heads, HeadDim int
	scratch        *Scratch // per worker: keysᵀ [d][L], then scores [L]
	runner
}

// NewAttention prepares the attention of x (in.C = heads·3·headDim).
func NewAttention(x []float32, in Geom, out []float32, heads, headDim int, s *Scratch) *Attention {
	if in.C != heads*3*headDim {
		panic("cpukernels: Attention input channels are not heads·3·headDim")
	}
	a := &Attention{X: x, In: in, Out: out, Heads: heads, HeadDim: headDim, scratch: s}
	s.need((headDim + 1) * in.H * in.W)
	a.runner = runner{in.N * heads, a.Task} // one task per (image, head)
	return a
}

// Task computes head t%Heads of image t/Heads.
func (a *Attention) Task(t, worker int) {
	defer clearUpper()
	n, j := t/a.Heads, t%a.Heads
	L, d, c := a.In.H*a.In.W, a.HeadDim, a.In.C
	oc := a.Heads * d
	x := a.X[n*L*c:][:L*c]
	buf := a.scratch.get(worker, (d+1)*L)
	kt, p := buf[:d*L], buf[d*L:]
	for s := 0; s < L; s++ {
		for i, v := range x[s*c+(j*3+1)*d:][:d] {
			kt[i*L+s] = v
		}
	}
	scale := float32(1 / math.Sqrt(float64(d)))
	for q := 0; q < L; q++ {
		combineRows(p, kt, L, x[q*c+j*3*d:][:d], scale) // scores: scale·Σ_i q[i]·keysᵀ[i]
		softmax(p)
		o := a.Out[(n*L+q)*oc+j*d:][:d]
		combineRows(o, x[(j*3+2)*d:], c, p, 1) // Σ_s p[s]·v_s
	}
}
