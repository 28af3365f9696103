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

// Task computes output row t.
func (d *Depthwise) Task(t, _ int) {
	defer clearUpper()
	n, oy := t/d.Ho, t%d.Ho
	in, k, c := d.In, d.K, d.In.C
	pad := k / 2
	ky0, ky1 := max(0, pad-oy*d.Str), min(k, in.H+pad-oy*d.Str)
	for ox := 0; ox < d.Wo; ox++ {
		ix0 := ox*d.Str - pad
		kx0, kx1 := max(0, -ix0), min(k, in.W-ix0)
		p := t*d.Wo + ox
		dwPixel(d, n, oy*d.Str-pad, ix0, ky0, ky1, kx0, kx1, p*c, d.Ep.rows(p))
	}
}

// tapOffset returns, for the output pixel whose window starts at (iy0,
// ix0), the offset in X of input pixel (iy0+ky, ix0+kx) for ky, kx.
func (d *Depthwise) tapOffset(n, iy0, ix0, ky, kx int) int {
	return ((n*d.In.H+iy0+ky)*d.In.W + ix0 + kx) * d.In.C
}
