package cpukernels

// Winograd is the dense 3×3 stride-1 convolution with padding 1 as
// Winograd F(2×2, 3×3): each 2×2 block of output pixels (a tile) comes
// from its 4×4 input patch d as Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so the channel
// mixing is 16 GEMMs (one per element of the 4×4 transform) of tiles×Cin
// by Cin×Cout, 16 multiplies per tile instead of 36. It runs in three
// phases, each spread with ForEach: the input transform (one task per
// tile, vectorized over channels), the GEMMs (element × row block ×
// panel group) and the output transform with the fused epilogue (one task
// per tile). The transforms only add and subtract, so the result stays
// within float32 rounding of the direct convolution.
type Winograd struct {
	X       []float32
	In      Geom
	Out     []float32
	U       *WinogradWeights
	Ep      Epilogue // LdRes = Cout
	tilesY  int      // tile rows per image
	tilesX  int      // tile columns per image
	tiles   int      // over the batch
	split   split    // of one element's GEMM
	zero    Epilogue // for the GEMMs: zero bias, no activation
	scratch *Scratch
	phases  [3]runner
}

// WinogradWeights are a 3×3 conv's weights transformed (G g Gᵀ) and packed
// as 16 Cin×Cout matrices, one per transform element.
type WinogradWeights struct {
	Cin, Cout int
	U         [16]*PackedB
}

// Bytes is the memory the packed weights hold.
func (w *WinogradWeights) Bytes() int64 {
	var t int64
	for _, u := range w.U {
		t += u.Bytes()
	}
	return t
}

// winogradG is the 4×3 weight transform of F(2×2, 3×3).
var winogradG = [4][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}

// PackWinograd transforms and packs the [3][3][Cin][Cout] weights.
func PackWinograd(w []float32, cin, cout int) *WinogradWeights {
	if len(w) != 9*cin*cout {
		panic("cpukernels: PackWinograd weight length does not match 3×3×Cin×Cout")
	}
	var mats [16][]float32
	for e := range mats {
		mats[e] = make([]float32, cin*cout)
	}
	for ci := 0; ci < cin; ci++ {
		for co := 0; co < cout; co++ {
			var g [3][3]float64
			for ky := 0; ky < 3; ky++ {
				for kx := 0; kx < 3; kx++ {
					g[ky][kx] = float64(w[((ky*3+kx)*cin+ci)*cout+co])
				}
			}
			for i := 0; i < 4; i++ {
				for j := 0; j < 4; j++ {
					var u float64
					for a := 0; a < 3; a++ {
						for b := 0; b < 3; b++ {
							u += winogradG[i][a] * g[a][b] * winogradG[j][b]
						}
					}
					mats[i*4+j][ci*cout+co] = float32(u)
				}
			}
		}
	}
	ww := &WinogradWeights{Cin: cin, Cout: cout}
	for e, m := range mats {
		ww.U[e] = PackB(m, cin, cout)
	}
	return ww
}

// WinogradSharedFloats is the shared scratch a Winograd conv needs: the
// transformed input and the GEMM results of every tile.
func WinogradSharedFloats(in Geom, cout int) int {
	tiles := in.N * ((in.H + 1) / 2) * ((in.W + 1) / 2)
	return 16 * tiles * (in.C + cout)
}

// NewWinograd prepares out = epilogue(conv3×3(x)) for the workers of s.
func NewWinograd(x []float32, in Geom, out []float32, u *WinogradWeights, ep Epilogue, s *Scratch) *Winograd {
	if u.Cin != in.C {
		panic("cpukernels: Winograd weights do not match the input channels")
	}
	c := &Winograd{X: x, In: in, Out: out, U: u, Ep: ep, scratch: s,
		tilesY: (in.H + 1) / 2, tilesX: (in.W + 1) / 2,
		zero: Epilogue{Bias: make([]float32, u.Cout)}}
	c.tiles = in.N * c.tilesY * c.tilesX
	c.split = newSplit(c.tiles, u.U[0].Panels(), s.Workers())
	s.needShared(WinogradSharedFloats(in, u.Cout))
	s.needPack(u.U[0])
	c.phases = [3]runner{{c.tiles, c.inputTask}, {16 * c.split.tasks(), c.gemmTask}, {c.tiles, c.outputTask}}
	return c
}

// Run runs the three phases.
func (c *Winograd) Run() {
	for i := range c.phases {
		c.phases[i].Run()
	}
}

// v is the transformed inputs, tile-major ([tile][element][Cin]): element
// e of tile t at v()[(16t+e)·Cin:], so that a tile's input transform
// writes one contiguous block; the GEMM of element e reads its rows with
// a stride of 16·Cin.
func (c *Winograd) v() []float32 { return c.scratch.shared[:16*c.tiles*c.In.C] }

// m is the GEMM results, tile-major as v ([tile][element][Cout]), so that
// a tile's output transform reads one contiguous block (element-major,
// its 16 rows lie tiles·Cout apart and the transform waits on cache
// misses: the output transform of B0's 14×14 layers took 3–4× longer).
func (c *Winograd) m() []float32 {
	return c.scratch.shared[16*c.tiles*c.In.C:][:16*c.tiles*c.U.Cout]
}

// tile returns tile t's image and top-left output pixel.
func (c *Winograd) tile(t int) (n, oy, ox int) {
	per := c.tilesY * c.tilesX
	return t / per, 2 * (t % per / c.tilesX), 2 * (t % c.tilesX)
}

// inputTask writes Bᵀ d B of tile t's 4×4 input patch d (zeros outside
// the image) to tile t's block of the transformed inputs: the patch is
// copied there, then winoInput transforms it in place.
func (c *Winograd) inputTask(t, _ int) {
	cin := c.In.C
	d := c.v()[16*t*cin:][:16*cin]
	n, oy, ox := c.tile(t)
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			dst := d[(i*4+j)*cin:][:cin]
			iy, ix := oy-1+i, ox-1+j
			if iy < 0 || iy >= c.In.H || ix < 0 || ix >= c.In.W {
				clear(dst)
				continue
			}
			copy(dst, c.X[((n*c.In.H+iy)*c.In.W+ix)*cin:][:cin])
		}
	}
	winoInput(d, cin)
}

// gemmTask multiplies one transform element's inputs by its weights for
// one row block and panel group.
func (c *Winograd) gemmTask(t, worker int) {
	defer clearUpper()
	per := c.split.tasks()
	e := t / per
	i0, rows, p0, p1 := c.split.at(t % per)
	cin, cout := c.In.C, c.U.Cout
	GemmBlock(c.m()[(16*i0+e)*cout:], 16*cout, c.v()[(16*i0+e)*cin:], 16*cin, rows, c.U.U[e], p0, p1, c.zero, c.scratch.pack(worker, c.U.U[e]))
}

// outputTask writes the 2×2 output pixels of tile t (those inside the
// image): Aᵀ m A with the epilogue (winoOutput).
func (c *Winograd) outputTask(t, _ int) {
	var pix [4]int // output pixel of each of the tile's four, -1 outside the image
	n, oy, ox := c.tile(t)
	for r := 0; r < 2; r++ {
		for q := 0; q < 2; q++ {
			pix[r*2+q] = -1
			if oy+r < c.In.H && ox+q < c.In.W {
				pix[r*2+q] = (n*c.In.H+oy+r)*c.In.W + ox + q
			}
		}
	}
	cout := c.U.Cout
	winoOutput(c.Out, c.m()[16*t*cout:][:16*cout], cout, &pix, c.Ep)
}
