package cpukernels

// Depthwise is a depthwise (groups == C) k×k convolution with padding k/2
// and the fused epilogue, vectorized over channels. A task is one output
// row.
type Depthwise struct {
	X      []float32
	In     Geom
	K, Str int
	W      []float32 // [k][k][C]
	Out    []float32
	Ho, Wo int
	Ep     Epilogue // LdRes = C
	runner
}

// NewDepthwise prepares out = epilogue(depthwise(x)).
func NewDepthwise(x []float32, in Geom, k, stride int, w, out []float32, ep Epilogue) *Depthwise {
	d := &Depthwise{X: x, In: in, K: k, Str: stride, W: w, Out: out, Ep: ep,
		Ho: ConvOutSize(in.H, k, stride), Wo: ConvOutSize(in.W, k, stride)}
	d.runner = runner{in.N * d.Ho, d.Task} // one task per output row
	return d
}

// Task computes output row t: each pixel's taps a kernel row at a time
// (dwRow, whose taps are contiguous in X and W), then the epilogue.
func (d *Depthwise) Task(t, _ int) {
	defer clearUpper()
	n, oy := t/d.Ho, t%d.Ho
	in, k, c := d.In, d.K, d.In.C
	pad := k / 2
	iy0 := oy*d.Str - pad
	ky0, ky1 := max(0, -iy0), min(k, in.H-iy0)
	for ox := 0; ox < d.Wo; ox++ {
		ix0 := ox*d.Str - pad
		kx0, kx1 := max(0, -ix0), min(k, in.W-ix0)
		taps := kx1 - kx0
		p := t*d.Wo + ox
		out := d.Out[p*c:][:c]
		for ky := ky0; ky < ky1; ky++ {
			x := d.X[((n*in.H+iy0+ky)*in.W+ix0+kx0)*c:][:taps*c]
			dwRow(out, x, d.W[(ky*k+kx0)*c:][:taps*c], taps, ky == ky0)
		}
		ep := d.Ep.rows(p)
		var res []float32
		if ep.Res != nil {
			res = ep.Res[:c]
		}
		finishRow(out, out, ep.Bias, res, ep.Act)
	}
}
