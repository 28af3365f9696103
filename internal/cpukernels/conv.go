package cpukernels

// Geom is the geometry of an NHWC activation: N images of H×W pixels with
// C channels.
type Geom struct{ N, H, W, C int }

// Pixels is N·H·W.
func (g Geom) Pixels() int { return g.N * g.H * g.W }

// ConvOutSize is the output length of a convolution with kernel k, stride
// s and padding k/2 over an input of length n.
func ConvOutSize(n, k, s int) int { return (n+2*(k/2)-k)/s + 1 }

// Conv is a dense k×k convolution with padding k/2 as im2col + GEMM: each
// task gathers a block of output pixels' k·k·Cin input patches into its
// worker's scratch and multiplies them with the packed [k][k][Cin][Cout]
// weights, fusing the epilogue.
type Conv struct {
	X       []float32
	In      Geom
	K, Str  int
	Out     []float32
	Ho, Wo  int
	B       *PackedB
	Ep      Epilogue
	split   split
	scratch *Scratch
	runner
}

// NewConv prepares out = epilogue(conv(x)) for the workers of s; w holds
// the packed HWIO weights (PackB(w, k·k·Cin, Cout)).
func NewConv(x []float32, in Geom, k, stride int, out []float32, w *PackedB, ep Epilogue, s *Scratch) *Conv {
	c := &Conv{X: x, In: in, K: k, Str: stride, Out: out, B: w, Ep: ep, scratch: s,
		Ho: ConvOutSize(in.H, k, stride), Wo: ConvOutSize(in.W, k, stride)}
	if w.K != k*k*in.C {
		panic("cpukernels: Conv weights do not have k·k·Cin rows")
	}
	c.split = newSplit(in.N*c.Ho*c.Wo, w.Panels(), s.Workers())
	s.need(c.split.rowsPer * w.K)
	s.needPack(w)
	c.runner = runner{c.split.tasks(), c.Task}
	return c
}

// Task computes task t as worker.
func (c *Conv) Task(t, worker int) {
	defer clearUpper()
	i0, rows, p0, p1 := c.split.at(t)
	a := c.scratch.get(worker, rows*c.B.K)
	c.im2col(a, i0, rows)
	cout := c.B.N
	GemmBlock(c.Out[i0*cout:], cout, a, c.B.K, rows, c.B, p0, p1, c.Ep.rows(i0), c.scratch.pack(worker, c.B))
}

// im2col writes the input patches of output pixels [p0, p0+rows) to a,
// one row of k·k·Cin values each ([ky][kx][ci], zeros outside the image).
func (c *Conv) im2col(a []float32, p0, rows int) {
	in, k, cin := c.In, c.K, c.In.C
	pad := k / 2
	kc := k * cin
	for r := 0; r < rows; r++ {
		p := p0 + r
		ox := p % c.Wo
		oy := (p / c.Wo) % c.Ho
		n := p / (c.Wo * c.Ho)
		row := a[r*k*kc:][:k*kc]
		for ky := 0; ky < k; ky++ {
			dst := row[ky*kc:][:kc]
			iy := oy*c.Str - pad + ky
			if iy < 0 || iy >= in.H {
				clear(dst)
				continue
			}
			src := c.X[(n*in.H+iy)*in.W*cin:][:in.W*cin]
			ix0 := ox*c.Str - pad
			lo, hi := max(0, -ix0), min(k, in.W-ix0) // taps inside the row
			if lo >= hi {
				clear(dst)
				continue
			}
			clear(dst[:lo*cin])
			copy(dst[lo*cin:hi*cin], src[(ix0+lo)*cin:(ix0+hi)*cin])
			clear(dst[hi*cin:])
		}
	}
}
