package cpukernels

import (
	"math"
)

// Attention is softmax(q·kᵀ/√d)·v per (image, head) over the H·W tokens of
// an input whose channels are ordered [head][q|k|v][d]; the output has
// Heads·HeadDim channels ordered [head][d]. A task is one (image, head):
// it packs the head's keysᵀ and values as GEMM weights (PackedB layout) in
// its worker's scratch, computes the scores of all queries with one GEMM,
// the softmax of each row, and the output with a second GEMM, so both
// products run on the GEMM micro-tile.
type Attention struct {
	X              []float32
	In             Geom
	Out            []float32
	Heads, HeadDim int
	scratch        *Scratch // per worker: keysᵀ and values packed, then the scores [L][L]
	keys, values   []PackedB
	zero           Epilogue // zero bias (L ≥ d values), no activation
	runner
}

// NewAttention prepares the attention of x (in.C = heads·3·headDim).
func NewAttention(x []float32, in Geom, out []float32, heads, headDim int, s *Scratch) *Attention {
	if in.C != heads*3*headDim {
		panic("cpukernels: Attention input channels are not heads·3·headDim")
	}
	L := in.H * in.W
	a := &Attention{X: x, In: in, Out: out, Heads: heads, HeadDim: headDim, scratch: s,
		keys: make([]PackedB, s.Workers()), values: make([]PackedB, s.Workers()),
		zero: Epilogue{Bias: make([]float32, max(L, headDim))}}
	for w := range a.keys {
		a.keys[w] = PackedB{K: headDim, N: L, kp: roundUp(headDim, kStep)}
		a.values[w] = PackedB{K: L, N: headDim, kp: roundUp(L, kStep)}
	}
	kb, vb := a.keys[0].packedLen(), a.values[0].packedLen()
	s.need(kb + vb + L*L)
	s.needPack(&a.keys[0])
	s.needPack(&a.values[0])
	a.runner = runner{in.N * heads, a.Task} // one task per (image, head)
	return a
}

// Task computes head t%Heads of image t/Heads as worker.
func (a *Attention) Task(t, worker int) {
	defer clearUpper()
	n, j := t/a.Heads, t%a.Heads
	L, d, c := a.In.H*a.In.W, a.HeadDim, a.In.C
	oc := a.Heads * d
	x := a.X[n*L*c:][:L*c]
	keys, values := &a.keys[worker], &a.values[worker]
	kb, vb := keys.packedLen(), values.packedLen()
	buf := a.scratch.get(worker, kb+vb+L*L)
	keys.data, values.data = buf[:kb], buf[kb:][:vb]
	scores := buf[kb+vb:][:L*L]
	clear(buf[:kb+vb]) // the padding
	nr := PanelWidth()
	for s := 0; s < L; s++ {
		tok := x[s*c:][:c]
		// keysᵀ ([d][L]): token s is column s, its rows nr values apart
		col := keys.data[keys.at(0, s):]
		for i, v := range tok[(j*3+1)*d:][:d] {
			col[i*nr] = v
		}
		// values ([L][d]): token s is row s, nr values in each panel
		v := tok[(j*3+2)*d:][:d]
		for i0 := 0; i0 < d; i0 += nr {
			copy(values.data[values.at(s, i0):][:min(nr, d-i0)], v[i0:])
		}
	}
	// scores[q][s] = q·k_s, then softmax(scale·scores[q]) row by row
	GemmBlock(scores, L, x[j*3*d:], c, L, keys, 0, keys.Panels(), a.zero, a.scratch.pack(worker, keys))
	scale := float32(1 / math.Sqrt(float64(d)))
	for q := 0; q < L; q++ {
		softmax(scores[q*L:][:L], scale)
	}
	// out[q] = Σ_s p[q][s]·v_s
	GemmBlock(a.Out[n*L*oc+j*d:], oc, scores, L, L, values, 0, values.Panels(), a.zero, a.scratch.pack(worker, values))
}
