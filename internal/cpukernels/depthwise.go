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
	blocks [2]int   // dwBlocks: the output pixels where blocks of dwBlock start
	runner
}

// NewDepthwise prepares out = epilogue(depthwise(x)).
func NewDepthwise(x []float32, in Geom, k, stride int, w, out []float32, ep Epilogue) *Depthwise {
	d := &Depthwise{X: x, In: in, K: k, Str: stride, W: w, Out: out, Ep: ep,
		Ho: ConvOutSize(in.H, k, stride), Wo: ConvOutSize(in.W, k, stride)}
	d.blocks[0], d.blocks[1] = dwBlocks(in.W, k, stride, d.Wo)
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
	g := dwGeom{rows: ky1 - ky0, width: in.W, c: c, k: k, stride: d.Str, wo: d.Wo, blocks: d.blocks}
	x := d.X[((n*in.H)+iy0+ky0)*in.W*c:][:g.rows*in.W*c]
	dwOutRow(d.Out[t*d.Wo*c:][:d.Wo*c], x, d.W[ky0*k*c:][:g.rows*k*c], g, d.Ep.rows(t*d.Wo))
}

// dwGeom is the geometry of one output row of a depthwise convolution:
// rows kernel rows inside the image (x and w start at the first of them),
// input rows of width pixels of c channels, kernel k, stride, wo output
// pixels, and the output pixels [blocks[0], blocks[1]) where a block of
// dwBlock pixels may start (dwBlocks).
type dwGeom struct {
	rows, width, c, k, stride, wo int
	blocks                        [2]int
}

// taps returns output pixel ox's first input column and the range of
// kernel columns [kx0, kx1) inside the image.
func (g dwGeom) taps(ox int) (ix0, kx0, kx1 int) {
	ix0 = ox*g.stride - g.k/2
	return ix0, max(0, -ix0), min(g.k, g.width-ix0)
}

// dwBlocks returns the output pixels [lo, hi) of a row of wo pixels
// (input width pixels, kernel k, stride) where a block of dwBlock
// pixels, all of whose taps lie inside the image, may start: from the
// first pixel whose taps start inside the image to the last block that
// ends inside both the image and the row (lo ≥ hi: none). Both bounds
// hold for every row, so NewDepthwise works them out once.
func dwBlocks(width, k, stride, wo int) (lo, hi int) {
	lo = (k/2 + stride - 1) / stride // first ox with ox·stride − k/2 ≥ 0
	hi = lo
	for hi+dwBlock <= wo && (hi+dwBlock-1)*stride-k/2+k <= width {
		hi++
	}
	return lo, hi
}

// interior returns the first output pixel from ox0 on where a block of
// dwBlock pixels with all taps inside the image starts, or wo when none
// does.
func (g dwGeom) interior(ox0 int) int {
	if ox := max(ox0, g.blocks[0]); ox < g.blocks[1] {
		return ox
	}
	return g.wo
}

// dwBlock is the number of output pixels whose sums dwOutRow keeps in
// registers at once where all their taps lie inside the image: four
// independent sums (a dependency chain of adds each) and each weight
// vector loaded once for them.
const dwBlock = 4
