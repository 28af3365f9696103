package cpukernels

// ConvT is the ConvTranspose2d k4 s2 p1 (output 2H×2W) cropped to
// CropH×CropW, with bias and residual. Output pixel (oy, ox) gathers the
// 2×2 input pixels (qy−ty, qx−tx), ty, tx ∈ {0, 1}, where oy+1 = 2qy+ry,
// through taps (ry+2ty, rx+2tx); so each parity class (ry, rx) is a GEMM
// with K = 4·Cin over its own packed weights. A task is one output row and
// one column parity.
type ConvT struct {
	X            []float32
	In           Geom
	Out          []float32
	CropH, CropW int
	B            [2][2]*PackedB // by (ry, rx)
	Ep           Epilogue
	scratch      *Scratch
	runner
}

// PackConvT packs the [4][4][Cin][Cout] weights of a ConvTranspose k4 s2
// p1 into its four parity GEMMs.
func PackConvT(w []float32, cin, cout int) [2][2]*PackedB {
	var b [2][2]*PackedB
	for ry := 0; ry < 2; ry++ {
		for rx := 0; rx < 2; rx++ {
			sub := make([]float32, 0, 4*cin*cout)
			for ty := 0; ty < 2; ty++ {
				for tx := 0; tx < 2; tx++ {
					ky, kx := ry+2*ty, rx+2*tx
					sub = append(sub, w[(ky*4+kx)*cin*cout:][:cin*cout]...)
				}
			}
			b[ry][rx] = PackB(sub, 4*cin, cout)
		}
	}
	return b
}

// NewConvT prepares out = crop(convT(x) + bias) + residual (ep.Act must be
// act.None; ep.Res, if any, has out's layout with LdRes = Cout).
func NewConvT(x []float32, in Geom, out []float32, cropH, cropW int, w [2][2]*PackedB, ep Epilogue, s *Scratch) *ConvT {
	c := &ConvT{X: x, In: in, Out: out, CropH: cropH, CropW: cropW, B: w, Ep: ep, scratch: s}
	s.need((cropW + 1) / 2 * 4 * in.C)
	s.needPack(w[0][0])
	c.runner = runner{in.N * cropH * 2, c.Task} // one task per output row and column parity
	return c
}

// Task computes the output pixels of row t/2 whose ox+1 has parity t%2.
func (c *ConvT) Task(t, worker int) {
	defer clearUpper()
	rx, row := t%2, t/2
	n, oy := row/c.CropH, row%c.CropH
	ry, qy := (oy+1)%2, (oy+1)/2
	ox0 := 1 - rx // first ox with (ox+1)%2 == rx
	if ox0 >= c.CropW {
		return
	}
	count := (c.CropW - ox0 + 1) / 2
	cin := c.In.C
	a := c.scratch.get(worker, count*4*cin)
	for i := 0; i < count; i++ {
		qx := (ox0 + 2*i + 1) / 2
		for ty := 0; ty < 2; ty++ {
			for tx := 0; tx < 2; tx++ {
				dst := a[(i*4+ty*2+tx)*cin:][:cin]
				iy, ix := qy-ty, qx-tx
				if iy < 0 || iy >= c.In.H || ix < 0 || ix >= c.In.W {
					clear(dst)
					continue
				}
				copy(dst, c.X[((n*c.In.H+iy)*c.In.W+ix)*cin:][:cin])
			}
		}
	}
	b := c.B[ry][rx]
	cout := b.N
	first := (row*c.CropW + ox0) // first output pixel of the task
	GemmBlock(c.Out[first*cout:], 2*cout, a, 4*cin, count, b, 0, b.Panels(), stride2(c.Ep.rows(first), cout), c.scratch.pack(worker, b))
}

// stride2 makes the epilogue step two pixels per GEMM row.
func stride2(e Epilogue, cout int) Epilogue {
	e.LdRes = 2 * cout
	return e
}
