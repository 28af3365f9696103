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

// Task computes output row t (dwOutRow) from the kernel rows that fall
// inside the image.
func (d *Depthwise) Task(t, _ int) {
	defer clearUpper()
	n, oy := t/d.Ho, t%d.Ho
	in, k, c := d.In, d.K, d.In.C
	iy0 := oy*d.Str - k/2
	ky0, ky1 := max(0, -iy0), min(k, in.H-iy0)
	g := dwGeom{rows: ky1 - ky0, width: in.W, c: c, k: k, stride: d.Str, wo: d.Wo}
	x := d.X[((n*in.H)+iy0+ky0)*in.W*c:][:g.rows*in.W*c]
	dwOutRow(d.Out[t*d.Wo*c:][:d.Wo*c], x, d.W[ky0*k*c:][:g.rows*k*c], g, d.Ep.rows(t*d.Wo))
}

// dwGeom is the geometry of one output row of a depthwise convolution:
// rows kernel rows inside the image (x and w start at the first of them),
// input rows of width pixels of c channels, kernel k, stride, wo output
// pixels.
type dwGeom struct{ rows, width, c, k, stride, wo int }

// taps returns output pixel ox's first input column and the range of
// kernel columns [kx0, kx1) inside the image.
func (g dwGeom) taps(ox int) (ix0, kx0, kx1 int) {
	ix0 = ox*g.stride - g.k/2
	return ix0, max(0, -ix0), min(g.k, g.width-ix0)
}

// interior returns the first output pixel past ox0 whose taps all lie
// inside the image from there on for dwBlock pixels, or wo when none does.
func (g dwGeom) interior(ox0 int) int {
	for ox := ox0; ox+dwBlock <= g.wo; ox++ {
		ix0 := ox*g.stride - g.k/2
		if ix0 >= 0 && (ox+dwBlock-1)*g.stride-g.k/2+g.k <= g.width {
			return ox
		}
	}
	return g.wo
}

// dwBlock is the number of output pixels whose sums dwOutRow keeps in
// registers at once where all their taps lie inside the image: four
// independent sums (a dependency chain of adds each) and each weight
// vector loaded once for them.
const dwBlock = 4
