//go:build js || cgo

package kernels

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/lowformer/lowformer-webgpu/shaders"
)

// Winograd is a stride-1, padding-1 3×3 dense convolution of an NHWC
// tensor [N,H,W,Cin] → [N,H,W,Cout] by Winograd F(m×m, 3×3), m = 2 or 4:
// the output is cut into T = N·⌈H/m⌉·⌈W/m⌉ tiles of m×m pixels, and each
// tile costs α² = (m+2)² instead of 9m² multiply-adds per (cin, cout) pair
// (16 for 36 at m = 2, 36 for 144 at m = 4). It runs as three dispatches, in
// this order:
//
//	In    V[α²][T][Cin] = Bᵀ d B of each tile's α×α input patch d
//	Gemm  M[ξ] = V[ξ]·U[ξ] for ξ = 0..α²-1, U = WinogradWeights(w, m)
//	Out   Y = Act(Aᵀ m A + bias) + residual, m the α² values of a tile
//
// V and M are scratch buffers of VFloats and MFloats floats. The result
// differs from the direct convolution by rounding: at m = 2 the transforms
// add up to 4 terms with coefficients ±1 and ½; at m = 4 up to 6 terms with
// integer coefficients up to 8 (and ¼, ⅙, 1/12, 1/24 in the weights, which
// are transformed in float64), a few times the rounding of m = 2.
type Winograd struct {
	In   WinogradInput
	Gemm WinogradGemm
	Out  WinogradOutput
}

// UseWinograd reports whether a dense k×k convolution of an h×w image with
// cin → cout channels and the given stride runs as Winograd: stride-1 3×3
// convolutions with at least 64 input channels and images of at least
// 4×4. Measured on lavapipe against ChooseConv's direct kernel
// (BenchmarkWinograd, alternating, best of 4–5): 0.44–0.64× the time for
// 4×4 … 28×28 images with 64–128 input channels (B0's 14×14 128→512 and
// 7×7 128→256: 0.50× and 0.51×); with 16–32 input channels 0.8–1.3×, and
// below 4×4 (1–2 tiles per image) slower.
func UseWinograd(h, w, cin, cout, k, stride int) bool {
	return k == 3 && stride == 1 && cin >= 64 && cout >= 4 && h >= 4 && w >= 4
}

// useWinogradGPU is UseWinograd for the GPU set, which keeps Winograd only
// where it still pays on a GPU (an estimate from FLOP and byte counts; no
// GPU was at hand to measure). There the direct implicit GEMM of n images
// runs near the f32 FMA rate, and Winograd saves 55–75 % of its
// multiply-adds (F(2×2): 16/36 left, F(4×4): 36/144) but costs two more
// dispatches and a round trip of the α²/m² = 2.25× larger V and M through
// memory. The saving wins when
//
//   - the convolution is big enough for the saving to exceed the two
//     dispatches: at least gpuWinogradMinFLOPs (≈ 10 µs at the 5 TFLOP/s
//     effective and 60 % saved that the rule assumes) — B0 at batch 1
//     keeps its 14×14 128→512 convolutions (231 MFLOP) and runs its 7×7
//     128→256 ones (29 MFLOP) directly, up to batch 3;
//   - per pixel, the saved FLOPs outweigh the scratch traffic:
//     0.6·18·cin·cout / 5e12 s > 18·(cin+cout) bytes / 300 GB/s, i.e.
//     cin·cout ≥ 32·(cin+cout) (64→64 and wider).
func useWinogradGPU(n, h, w, cin, cout, k, stride int) bool {
	if !UseWinograd(h, w, cin, cout, k, stride) {
		return false
	}
	flops := 2 * float64(n*h*w) * 9 * float64(cin) * float64(cout)
	return flops >= gpuWinogradMinFLOPs && cin*cout >= 32*(cin+cout)
}

// gpuWinogradMinFLOPs is the direct convolution's FLOPs from which the GPU
// set runs it as Winograd (see useWinogradGPU).
const gpuWinogradMinFLOPs = 1e8

// winogradTiles is the number of m×m output tiles of an [n,h,w] image batch.
func winogradTiles(n, h, w, m int) int { return n * ceilDiv(h, m) * ceilDiv(w, m) }

// winogradTileSizes are the output tile sides ChooseWinograd considers.
var winogradTileSizes = []int{2, 4}

// ChooseWinograd picks the three kernels of a Winograd convolution: the
// output tile side m (2 or 4) and the Pointwise tile of the α² products
// [T × Cin]·[Cin × Cout] (counted as parallel work) with the least
// estimated GEMM time, α²·T over the tile's score; weights in a texture
// whenever the stacked matrices fit; 64-invocation transform workgroups
// (fewer when that leaves less than 4 workgroups). On lavapipe the m = 4
// products took 0.73× the time of m = 2 for B0's 14×14 128→512 layers and
// 0.78× for its 7×7 128→256 ones; m = 2 stays the choice for images of a
// few pixels, where 4×4 tiles would be mostly padding.
func ChooseWinograd(n, h, w, cin, cout int, e Epilogue) Winograd {
	var best Winograd
	bestCost := math.Inf(1)
	for _, m := range winogradTileSizes {
		if k, cost := winogradFor(n, h, w, cin, cout, m, e); cost < bestCost {
			best, bestCost = k, cost
		}
	}
	return best
}

// winogradFor is the Winograd convolution with output tiles of m×m and its
// estimated GEMM cost α²·T / score (see ChooseWinograd).
func winogradFor(n, h, w, cin, cout, m int, e Epilogue) (Winograd, float64) {
	planes := (m + 2) * (m + 2)
	t := winogradTiles(n, h, w, m)
	tile, score := scoreGemmTileBatch(t, cout/4, planes, gemmTiles)
	return Winograd{
		In:   WinogradInput{N: n, H: h, W: w, C: cin, M: m, WG: pickWorkgroup(t*cin/4, 64, 8)},
		Gemm: WinogradGemm{Planes: planes, Tiles: t, Cin: cin, Cout: cout, Tex: texFits(planes*cin, cout), Tile: tile},
		Out:  WinogradOutput{N: n, H: h, W: w, C: cout, M: m, WG: pickWorkgroup(t*cout/4, 64, 8), Epilogue: e},
	}, float64(planes*t) / score
}

// TileSide is the output tile side m.
func (k Winograd) TileSide() int { return k.In.M }

// VFloats is the size of the transformed input V in floats.
func (k Winograd) VFloats() int { return k.Gemm.Planes * k.Gemm.Tiles * k.Gemm.Cin }

// MFloats is the size of the products M in floats.
func (k Winograd) MFloats() int { return k.Gemm.Planes * k.Gemm.Tiles * k.Gemm.Cout }

// Kernels are the three dispatches in order.
func (k Winograd) Kernels() []Kernel { return []Kernel{k.In, k.Gemm, k.Out} }

// winogradPoints4 are the finite interpolation points of F(4×4,3×3).
// Against Lavin's 0, ±1, ±2 they halved the rounding error on lavapipe
// (TestWinograd: ≤ 4.1e-6 of max|ref| against ≤ 8.5e-6; 0, ±1, ±½ was
// worse than both). Their powers are exact in binary.
var winogradPoints4 = []float64{0, 1, -1, 0.5, -2}

// toomCook builds Bᵀ (α×α), G (α×3) and Aᵀ (m×α) of F(m, 3) for the α−1
// finite interpolation points pts and ∞: row j of Bᵀ holds the
// coefficients of Π_{l≠j}(x − a_l) (the last row those of Π_l(x − a_l)),
// row j of G is (1, a_j, a_j²) / Π_{l≠j}(a_j − a_l), and Aᵀ[i][j] = a_jⁱ
// (with the ∞ column 1 in the last row only).
func toomCook(pts []float64, m int) (bt, g, at [][]float64) {
	n := len(pts) + 1                  // α
	poly := func(skip int) []float64 { // coefficients of Π_{l≠skip}(x − a_l)
		c := []float64{1}
		for l, a := range pts {
			if l == skip {
				continue
			}
			next := make([]float64, len(c)+1)
			for k, v := range c {
				next[k+1] += v
				next[k] -= a * v
			}
			c = next
		}
		return c
	}
	for j := range pts {
		row := make([]float64, n)
		copy(row, poly(j))
		bt = append(bt, row)
		den := 1.0
		for l, a := range pts {
			if l != j {
				den *= pts[j] - a
			}
		}
		g = append(g, []float64{1 / den, pts[j] / den, pts[j] * pts[j] / den})
	}
	last := make([]float64, n)
	copy(last, poly(-1))
	bt = append(bt, last)
	g = append(g, []float64{0, 0, 1})
	for i := range m {
		row := make([]float64, n)
		for j, a := range pts {
			row[j] = math.Pow(a, float64(i))
		}
		if i == m-1 {
			row[n-1] = 1
		}
		at = append(at, row)
	}
	return bt, g, at
}

// winogradMatrices are Bᵀ (α×α), G (α×3) and Aᵀ (m×α) of F(m×m, 3×3):
// for m = 2 those of Lavin & Gray ("Fast Algorithms for Convolutional
// Neural Networks", points 0, ±1, ∞), for m = 4 the toomCook matrices of
// winogradPoints4.
func winogradMatrices(m int) (bt, g, at [][]float64, err error) {
	switch m {
	case 2:
		return [][]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
			[][]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
			[][]float64{{1, 1, 1, 0}, {0, 1, -1, -1}}, nil
	case 4:
		bt, g, at := toomCook(winogradPoints4, 4)
		return bt, g, at, nil
	}
	return nil, nil, nil, fmt.Errorf("winograd: output tile side %d: want 2 or 4", m)
}

// WinogradWeights transforms the [3][3][cin][cout] weights of a 3×3
// convolution (the IR layout) into the α² = (m+2)² matrices
// U[ξ][cin][cout] = (G g Gᵀ)[ξ] that WinogradGemm reads (its B) for
// output tiles of m×m, computed in float64 and rounded once.
func WinogradWeights(w []float32, cin, cout, m int) ([]float32, error) {
	if cin < 1 || cout < 1 || len(w) != 9*cin*cout {
		return nil, fmt.Errorf("winograd: %d weights for %d→%d channels, want 9·cin·cout = %d", len(w), cin, cout, 9*cin*cout)
	}
	_, g, _, err := winogradMatrices(m)
	if err != nil {
		return nil, err
	}
	alpha := m + 2
	plane := cin * cout
	out := make([]float32, alpha*alpha*plane)
	gg := make([][3]float64, alpha) // G·g
	for p := range plane {
		for i := range alpha {
			gg[i] = [3]float64{}
			for b := range 3 {
				for a := range 3 {
					gg[i][b] += g[i][a] * float64(w[(a*3+b)*plane+p])
				}
			}
		}
		for i := range alpha {
			for j := range alpha {
				var u float64
				for b := range 3 {
					u += gg[i][b] * g[j][b]
				}
				out[(i*alpha+j)*plane+p] = float32(u)
			}
		}
	}
	return out, nil
}

// linearCombination renders Σ coef[k]·name(k) as a WGSL expression of
// vec4 values, leaving out zero terms and multiplications by ±1.
func linearCombination(coef []float64, name func(k int) string) string {
	var b strings.Builder
	for k, c := range coef {
		if c == 0 {
			continue
		}
		switch {
		case b.Len() == 0 && c < 0:
			b.WriteString("-")
		case b.Len() > 0 && c < 0:
			b.WriteString(" - ")
		case b.Len() > 0:
			b.WriteString(" + ")
		}
		b.WriteString(name(k))
		if a := math.Abs(c); a != 1 {
			b.WriteString(" * " + strconv.FormatFloat(a, 'f', -1, 64))
			if a == math.Trunc(a) {
				b.WriteString(".0")
			}
		}
	}
	if b.Len() == 0 {
		return "vec4<f32>(0.0)"
	}
	return b.String()
}

// winogradXformData is the template data of the two transforms.
type winogradXformData struct {
	H, W, TW, TPI, C4, Plane, Total, GXI, WG int
	M, Alpha                                 int
	ActFn                                    string // the activation's WGSL function, "" for none
	Decls                                    string // the WGSL declarations of the bindings
	Residual                                 bool
	// Rows are the statements of the first half of the transform (Bᵀ d or
	// Aᵀ m, one let per value), Cols the expressions of the second half in
	// output order (the α² planes of Bᵀ d B, or the m² pixels of Aᵀ m A,
	// row-major).
	Rows, Cols []string
}

// winogradShape is what the two transforms share: the image batch, the
// channels they move, the output tile side and the workgroup size.
type winogradShape struct {
	N, H, W, C int // C is a multiple of 4
	M          int // output tile side, 2 or 4
	WG         int
}

func (s winogradShape) validate(what string) error {
	switch {
	case s.N < 1 || s.H < 1 || s.W < 1 || s.C < 4 || s.C%4 != 0:
		return fmt.Errorf("winograd %s: shape N=%d H=%d W=%d C=%d must be positive with C a multiple of 4", what, s.N, s.H, s.W, s.C)
	case s.M != 2 && s.M != 4:
		return fmt.Errorf("winograd %s: output tile side %d: want 2 or 4", what, s.M)
	}
	if err := validateWorkgroup(s.WG); err != nil {
		return fmt.Errorf("winograd %s: %w", what, err)
	}
	return nil
}

func (s winogradShape) invocations() int { return winogradTiles(s.N, s.H, s.W, s.M) * s.C / 4 }

// data is the template data; input selects the input transform's
// arithmetic (else the output transform's).
func (s winogradShape) data(e Epilogue, input bool) winogradXformData {
	inv := s.invocations()
	gx, _ := grid(ceilDiv(inv, s.WG))
	tw := ceilDiv(s.W, s.M)
	d := winogradXformData{H: s.H, W: s.W, TW: tw, TPI: ceilDiv(s.H, s.M) * tw, C4: s.C / 4, Plane: inv,
		Total: inv, GXI: gx * s.WG, WG: s.WG, M: s.M, Alpha: s.M + 2, ActFn: wgslAct(e.Act), Residual: e.Residual}
	bt, _, at, _ := winogradMatrices(s.M)
	if input { // e = Bᵀ d (α×α), V = e B
		for i, row := range bt {
			for j := range d.Alpha {
				d.Rows = append(d.Rows, fmt.Sprintf("let e%d_%d = %s;", i, j, linearCombination(row, func(k int) string { return fmt.Sprintf("d%d_%d", k, j) })))
			}
		}
		for i := range d.Alpha {
			for _, col := range bt {
				d.Cols = append(d.Cols, linearCombination(col, func(k int) string { return fmt.Sprintf("e%d_%d", i, k) }))
			}
		}
		return d
	}
	// s = Aᵀ m (m×α), Y = s A
	for i, row := range at {
		for j := range d.Alpha {
			d.Rows = append(d.Rows, fmt.Sprintf("let s%d_%d = %s;", i, j, linearCombination(row, func(k int) string { return fmt.Sprintf("m%d", k*d.Alpha+j) })))
		}
	}
	for i := range s.M {
		for _, col := range at {
			d.Cols = append(d.Cols, linearCombination(col, func(k int) string { return fmt.Sprintf("s%d_%d", i, k) }))
		}
	}
	return d
}

func (s winogradShape) workgroups() (x, y, z uint32) {
	gx, gy := grid(ceilDiv(s.invocations(), s.WG))
	return uint32(gx), uint32(gy), 1
}

// WinogradInput is the input transform of Winograd.
//
// Bindings, in order:
//
//	X  [N,H,W,C]
//	V  [α²][T][C], the output
type WinogradInput winogradShape

// Label implements Kernel.
func (k WinogradInput) Label() string {
	return fmt.Sprintf("winograd_in_f%d_n%d_%dx%d_c%d_wg%d", k.M, k.N, k.H, k.W, k.C, k.WG)
}

func (k WinogradInput) validate() error { return winogradShape(k).validate("input") }

// Source implements Kernel.
func (k WinogradInput) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	d := winogradShape(k).data(Epilogue{}, true)
	d.Decls = decls(k.Bindings())
	return shaders.Render("winograd_in.wgsl", d)
}

// Bindings implements Kernel.
func (k WinogradInput) Bindings() []Binding { return []Binding{input("X"), output("V")} }

// Workgroups implements Kernel.
func (k WinogradInput) Workgroups() (x, y, z uint32) { return winogradShape(k).workgroups() }

// WinogradOutput is the output transform of Winograd with the fused
// epilogue.
//
// Bindings, in order:
//
//	Mt    [α²][T][C], the products M of WinogradGemm
//	Bias  [C]
//	R     [N,H,W,C], the residual; only when Residual is set
//	Y     [N,H,W,C], the output
type WinogradOutput struct {
	N, H, W, C int // C is a multiple of 4
	M          int // output tile side, 2 or 4
	WG         int
	Epilogue
}

func (k WinogradOutput) shape() winogradShape { return winogradShape{k.N, k.H, k.W, k.C, k.M, k.WG} }

// Label implements Kernel.
func (k WinogradOutput) Label() string {
	return fmt.Sprintf("winograd_out_f%d_n%d_%dx%d_c%d_wg%d_%s", k.M, k.N, k.H, k.W, k.C, k.WG, k.Epilogue)
}

func (k WinogradOutput) validate() error {
	if err := k.shape().validate("output"); err != nil {
		return err
	}
	if err := k.Epilogue.validate(); err != nil {
		return fmt.Errorf("winograd output: %w", err)
	}
	return nil
}

// Source implements Kernel.
func (k WinogradOutput) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	d := k.shape().data(k.Epilogue, false)
	d.Decls = decls(k.Bindings())
	return shaders.Render("winograd_out.wgsl", d)
}

// Bindings implements Kernel.
func (k WinogradOutput) Bindings() []Binding {
	return withEpilogue([]Binding{input("Mt"), input("Bias")}, k.Residual, output("Y"))
}

// Workgroups implements Kernel.
func (k WinogradOutput) Workgroups() (x, y, z uint32) { return k.shape().workgroups() }

// WinogradGemm is the α² products M[ξ][T×Cout] = V[ξ][T×Cin]·U[ξ][Cin×Cout]
// of Winograd, one per gid.z, with the Pointwise tiling (register tiles,
// or cooperative ones with Coop).
//
// Bindings, in order:
//
//	A  [α²][T][Cin], the transformed input V of WinogradInput
//	B  WinogradWeights(w, m) = [α²][Cin][Cout] as a storage buffer, or
//	   with Tex an rgba32float texture of width Cout/4 and height α²·Cin
//	C  [α²][T][Cout], the products M
type WinogradGemm struct {
	Planes           int // α² = 16 (m = 2) or 36 (m = 4)
	Tiles, Cin, Cout int // Cin and Cout are multiples of 4
	Tile
	Coop Coop // the GPU set's workgroup-cooperative layout; zero: register tiling
	Tex  bool // U is a texture (needs α²·Cin and Cout/4 ≤ MaxTextureDim)
}

// Label implements Kernel.
func (k WinogradGemm) Label() string {
	return fmt.Sprintf("winograd_gemm_p%d_t%d_%dto%d_%s%s_%s", k.Planes, k.Tiles, k.Cin, k.Cout, k.Tile, k.Coop.label(), texLabel(k.Tex))
}

func (k WinogradGemm) validate() error {
	switch {
	case k.Planes != 16 && k.Planes != 36:
		return fmt.Errorf("winograd gemm: %d products: want 16 (F(2×2,3×3)) or 36 (F(4×4,3×3))", k.Planes)
	case k.Tiles < 1 || k.Cin < 4 || k.Cout < 4 || k.Cin%4 != 0 || k.Cout%4 != 0:
		return fmt.Errorf("winograd gemm: %d tiles, %d→%d channels: want positive tiles and channel counts that are multiples of 4", k.Tiles, k.Cin, k.Cout)
	case k.Tex && !texFits(k.Planes*k.Cin, k.Cout):
		return fmt.Errorf("winograd gemm: %d×%d weight texture exceeds the %d texture side", k.Cout/4, k.Planes*k.Cin, MaxTextureDim)
	}
	if err := k.Tile.validate(); err != nil {
		return fmt.Errorf("winograd gemm: %w", err)
	}
	if err := k.Coop.validate(k.Tile); err != nil {
		return fmt.Errorf("winograd gemm: %w", err)
	}
	return nil
}

func (k WinogradGemm) core() gemmCore {
	c := newGemmCore(k.Tiles, k.Cout/4, k.Tile, k.Tex, Epilogue{}, 0)
	c.Batched = true
	return c.cooperate(k.Coop, k.Cin/4)
}

// Source implements Kernel.
func (k WinogradGemm) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	c := k.core()
	c.Decls = decls(k.Bindings())
	c.render(c.dims())
	return shaders.Render("winograd_gemm.wgsl", newPointwiseData(c, k.Cin/4))
}

// Bindings implements Kernel.
func (k WinogradGemm) Bindings() []Binding {
	return []Binding{input("A"), weights("B", k.Tex), output("C")}
}

// Workgroups implements Kernel.
func (k WinogradGemm) Workgroups() (x, y, z uint32) {
	c := k.core()
	return uint32(c.GX), uint32(c.GY), uint32(k.Planes)
}
