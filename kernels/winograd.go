package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/internal/gpu"
	"github.com/lowformer/lowformer-webgpu/shaders"
)

// Winograd is a stride-1, padding-1 3×3 dense convolution of an NHWC
// tensor [N,H,W,Cin] → [N,H,W,Cout] by Winograd F(2×2, 3×3): the output is
// cut into T = N·⌈H/2⌉·⌈W/2⌉ tiles of 2×2 pixels, and each tile costs 16
// instead of 36 multiply-adds per (cin, cout) pair. It runs as three
// dispatches, in this order:
//
//	In    V[16][T][Cin] = Bᵀ d B of each tile's 4×4 input patch d
//	Gemm  M[ξ] = V[ξ]·U[ξ] for ξ = 0..15, U = WinogradWeights(w)
//	Out   Y = Act(Aᵀ m A + bias) + residual, m the 16 values of a tile
//
// V and M are scratch buffers of VFloats and MFloats floats. The result
// differs from the direct convolution by rounding only (the transforms
// add up to 4 terms with coefficients ±1 and ½).
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

// winogradTiles is the number of 2×2 output tiles of an [n,h,w] image batch.
func winogradTiles(n, h, w int) int { return n * ceilDiv(h, 2) * ceilDiv(w, 2) }

// ChooseWinograd picks the three kernels of a Winograd convolution: the
// Pointwise tile choice for the [T × Cin]·[Cin × Cout] products (counting
// the 16 of them as parallel work), weights in a texture whenever the 16
// stacked matrices fit, and 64-invocation transform workgroups (fewer when
// that leaves less than 4 workgroups).
func ChooseWinograd(n, h, w, cin, cout int, e Epilogue) Winograd {
	t := winogradTiles(n, h, w)
	return Winograd{
		In: WinogradInput{N: n, H: h, W: w, C: cin, WG: pickWorkgroup(t*cin/4, 64, 8)},
		Gemm: WinogradGemm{Tiles: t, Cin: cin, Cout: cout, Tex: texFits(16*cin, cout),
			Tile: chooseGemmTileBatch(t, cout/4, 16, gemmTiles)},
		Out: WinogradOutput{N: n, H: h, W: w, C: cout, WG: pickWorkgroup(t*cout/4, 64, 8), Epilogue: e},
	}
}

// VFloats is the size of the transformed input V in floats.
func (k Winograd) VFloats() int { return 16 * k.Gemm.Tiles * k.Gemm.Cin }

// MFloats is the size of the products M in floats.
func (k Winograd) MFloats() int { return 16 * k.Gemm.Tiles * k.Gemm.Cout }

// Kernels are the three dispatches in order.
func (k Winograd) Kernels() []Kernel { return []Kernel{k.In, k.Gemm, k.Out} }

// WinogradWeights transforms the [3][3][cin][cout] weights of a 3×3
// convolution (the IR layout) into the 16 matrices U[ξ][cin][cout] =
// (G g Gᵀ)[ξ] that WinogradGemm reads (binding 1), computed in float64 and
// rounded once.
func WinogradWeights(w []float32, cin, cout int) ([]float32, error) {
	if cin < 1 || cout < 1 || len(w) != 9*cin*cout {
		return nil, fmt.Errorf("winograd: %d weights for %d→%d channels, want 9·cin·cout = %d", len(w), cin, cout, 9*cin*cout)
	}
	g := [4][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	plane := cin * cout
	out := make([]float32, 16*plane)
	for p := range plane {
		var gg [4][3]float64 // G·g
		for i := range 4 {
			for b := range 3 {
				for a := range 3 {
					gg[i][b] += g[i][a] * float64(w[(a*3+b)*plane+p])
				}
			}
		}
		for i := range 4 {
			for j := range 4 {
				var u float64
				for b := range 3 {
					u += gg[i][b] * g[j][b]
				}
				out[(i*4+j)*plane+p] = float32(u)
			}
		}
	}
	return out, nil
}

// winogradXformData is the template data of the two transforms.
type winogradXformData struct {
	H, W, TW, TPI, C4, Plane, Total, GXI, WG int
	Act                                      int
	Residual                                 bool
}

// winogradShape is what the two transforms share: the image batch, the
// channels they move and the workgroup size.
type winogradShape struct {
	N, H, W, C int // C is a multiple of 4
	WG         int
}

func (s winogradShape) validate(what string) error {
	switch {
	case s.N < 1 || s.H < 1 || s.W < 1 || s.C < 4 || s.C%4 != 0:
		return fmt.Errorf("winograd %s: shape N=%d H=%d W=%d C=%d must be positive with C a multiple of 4", what, s.N, s.H, s.W, s.C)
	case s.WG < 1 || s.WG > 256:
		return fmt.Errorf("winograd %s: workgroup size %d outside 1..256", what, s.WG)
	}
	return nil
}

func (s winogradShape) invocations() int { return winogradTiles(s.N, s.H, s.W) * s.C / 4 }

func (s winogradShape) data(e Epilogue) winogradXformData {
	inv := s.invocations()
	gx, _ := grid(ceilDiv(inv, s.WG))
	tw := ceilDiv(s.W, 2)
	return winogradXformData{H: s.H, W: s.W, TW: tw, TPI: ceilDiv(s.H, 2) * tw, C4: s.C / 4, Plane: inv,
		Total: inv, GXI: gx * s.WG, WG: s.WG, Act: int(e.Act), Residual: e.Residual}
}

func (s winogradShape) workgroups() (x, y, z uint32) {
	gx, gy := grid(ceilDiv(s.invocations(), s.WG))
	return uint32(gx), uint32(gy), 1
}

// WinogradInput is the input transform of Winograd.
//
// Bindings:
//
//	0  X  read storage, [N,H,W,C]
//	1  V  read-write storage, [16][T][C]
type WinogradInput winogradShape

// Label implements Kernel.
func (k WinogradInput) Label() string {
	return fmt.Sprintf("winograd_in_n%d_%dx%d_c%d_wg%d", k.N, k.H, k.W, k.C, k.WG)
}

// Source implements Kernel.
func (k WinogradInput) Source() (string, error) {
	s := winogradShape(k)
	if err := s.validate("input"); err != nil {
		return "", err
	}
	return shaders.Render("winograd_in.wgsl", s.data(Epilogue{}))
}

// Bindings implements Kernel.
func (k WinogradInput) Bindings() []gpu.BindingKind {
	return []gpu.BindingKind{gpu.ReadStorage, gpu.WriteStorage}
}

// Workgroups implements Kernel.
func (k WinogradInput) Workgroups() (x, y, z uint32) { return winogradShape(k).workgroups() }

// WinogradOutput is the output transform of Winograd with the fused
// epilogue.
//
// Bindings:
//
//	0  M         read storage, [16][T][C]
//	1  bias      read storage, [C]
//	2  residual  read storage, [N,H,W,C]; only when Residual is set
//	2 or 3  Y    read-write storage, [N,H,W,C]
type WinogradOutput struct {
	N, H, W, C int // C is a multiple of 4
	WG         int
	Epilogue
}

func (k WinogradOutput) shape() winogradShape { return winogradShape{k.N, k.H, k.W, k.C, k.WG} }

// Label implements Kernel.
func (k WinogradOutput) Label() string {
	return fmt.Sprintf("winograd_out_n%d_%dx%d_c%d_wg%d_%s", k.N, k.H, k.W, k.C, k.WG, k.Epilogue)
}

// Source implements Kernel.
func (k WinogradOutput) Source() (string, error) {
	if err := k.shape().validate("output"); err != nil {
		return "", err
	}
	if err := k.Epilogue.validate(); err != nil {
		return "", fmt.Errorf("winograd output: %w", err)
	}
	return shaders.Render("winograd_out.wgsl", k.shape().data(k.Epilogue))
}

// Bindings implements Kernel.
func (k WinogradOutput) Bindings() []gpu.BindingKind {
	b := []gpu.BindingKind{gpu.ReadStorage, gpu.ReadStorage}
	if k.Residual {
		b = append(b, gpu.ReadStorage)
	}
	return append(b, gpu.WriteStorage)
}

// Workgroups implements Kernel.
func (k WinogradOutput) Workgroups() (x, y, z uint32) { return k.shape().workgroups() }

// WinogradGemm is the 16 products M[ξ][T×Cout] = V[ξ][T×Cin]·U[ξ][Cin×Cout]
// of Winograd, one per gid.z, with the Pointwise register tiling.
//
// Bindings:
//
//	0  V  read storage, [16][T][Cin]
//	1  U  WinogradWeights(w) = [16][Cin][Cout]: read storage, or with Tex
//	      an rgba32float texture of width Cout/4 and height 16·Cin
//	2  M  read-write storage, [16][T][Cout]
type WinogradGemm struct {
	Tiles, Cin, Cout int // Cin and Cout are multiples of 4
	Tile
	Tex bool // U is a texture (needs 16·Cin and Cout/4 ≤ MaxTextureDim)
}

// Label implements Kernel.
func (k WinogradGemm) Label() string {
	return fmt.Sprintf("winograd_gemm_t%d_%dto%d_%s_%s", k.Tiles, k.Cin, k.Cout, k.Tile, texLabel(k.Tex))
}

func (k WinogradGemm) validate() error {
	switch {
	case k.Tiles < 1 || k.Cin < 4 || k.Cout < 4 || k.Cin%4 != 0 || k.Cout%4 != 0:
		return fmt.Errorf("winograd gemm: %d tiles, %d→%d channels: want positive tiles and channel counts that are multiples of 4", k.Tiles, k.Cin, k.Cout)
	case k.Tex && !texFits(16*k.Cin, k.Cout):
		return fmt.Errorf("winograd gemm: %d×%d weight texture exceeds the %d texture side", k.Cout/4, 16*k.Cin, MaxTextureDim)
	}
	if err := k.Tile.validate(); err != nil {
		return fmt.Errorf("winograd gemm: %w", err)
	}
	return nil
}

func (k WinogradGemm) core() gemmCore {
	c := newGemmCore(k.Tiles, k.Cout/4, k.Tile, k.Tex, Epilogue{}, 0)
	c.Batched = true
	return c
}

// Source implements Kernel.
func (k WinogradGemm) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	return shaders.Render("winograd_gemm.wgsl", pointwiseData{k.core(), k.Cin / 4})
}

// Bindings implements Kernel.
func (k WinogradGemm) Bindings() []gpu.BindingKind {
	b := gpu.ReadStorage
	if k.Tex {
		b = gpu.Texture2D
	}
	return []gpu.BindingKind{gpu.ReadStorage, b, gpu.WriteStorage}
}

// Workgroups implements Kernel.
func (k WinogradGemm) Workgroups() (x, y, z uint32) {
	c := k.core()
	return uint32(c.GX), uint32(c.GY), 16
}
