//go:build js || cgo

package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/shaders"
)

// Linear is a fully connected layer on a batch of feature vectors:
// C[Batch×N] = Act(A[Batch×K]·W[K×N] + bias), the rows being the images.
// It runs the Pointwise register tiling with a TM×TN tile (TM up to the
// batch, so that each weight is loaded once per TM images).
//
// N need not be a multiple of 4 (custom class counts): the weights and
// bias are then read from a zero-padded copy with ⌈N/4⌉·4 columns made by
// PackWeights and PackBias, and C is stored element by element with row
// stride N, so the output is exactly [Batch][N]. When N is a multiple of 4
// the packing functions return their argument (the IR layout [K][N]).
//
// Bindings, in order:
//
//	A     [Batch][K]
//	B     PackWeights(w) = [K][N4·4] as a storage buffer, or with Tex an
//	      rgba32float texture of width N4 and height K, N4 = ⌈N/4⌉
//	Bias  PackBias(b) = [N4·4]
//	C     [Batch][N], the output (of f32, not vec4, when N is not a
//	      multiple of 4)
type Linear struct {
	Batch, K, N int // K is a multiple of 4
	Tile
	Coop     Coop // the GPU set's workgroup-cooperative layout; zero: register tiling
	Tex      bool // B is a texture (needs K ≤ MaxTextureDim and N4 ≤ MaxTextureDim)
	Epilogue      // activation only: Linear binds no residual
	// Generic is the generic flavour (generic.go): the shape and the
	// activation are read from the Params binding, after C; whether N is
	// a multiple of 4 (the output's type) stays structural.
	Generic bool
}

// n4 is the padded vec4 column count.
func (k Linear) n4() int { return ceilDiv(k.N, 4) }

// FLOPs is the multiply-add count ×2.
func (k Linear) FLOPs() float64 { return 2 * float64(k.Batch) * float64(k.K) * float64(k.N) }

// Label implements Kernel.
func (k Linear) Label() string {
	if k.Generic {
		s := fmt.Sprintf("%s_%s", k.Tile, texLabel(k.Tex))
		if k.N%4 != 0 {
			s += "_scalar"
		}
		return genericLabel("linear", s, false)
	}
	return fmt.Sprintf("linear_b%d_k%d_n%d_%s%s_%s_%s", k.Batch, k.K, k.N, k.Tile, k.Coop.label(), texLabel(k.Tex), k.Epilogue)
}

func (k Linear) validate() error {
	switch {
	case k.Batch < 1 || k.K < 4 || k.N < 1:
		return fmt.Errorf("linear: shape batch=%d K=%d N=%d must be positive with K ≥ 4", k.Batch, k.K, k.N)
	case k.K%4 != 0:
		return fmt.Errorf("linear: K=%d must be a multiple of 4", k.K)
	case k.Tex && !texFits(k.K, k.N):
		return fmt.Errorf("linear: %d×%d weight texture exceeds the %d texture side", k.n4(), k.K, MaxTextureDim)
	}
	if err := k.Tile.validate(); err != nil {
		return fmt.Errorf("linear: %w", err)
	}
	if err := k.Coop.validate(k.Tile); err != nil {
		return fmt.Errorf("linear: %w", err)
	}
	if err := k.Epilogue.validateNoResidual(); err != nil {
		return fmt.Errorf("linear: %w", err)
	}
	return nil
}

func (k Linear) core() gemmCore {
	nOut := 0
	if k.N%4 != 0 {
		nOut = k.N
	}
	c := newGemmCore(k.Batch, k.n4(), k.Tile, k.Tex, k.Epilogue, nOut).cooperate(k.Coop, k.K/4)
	if k.Generic {
		c = c.generic(k.Epilogue)
	}
	return c
}

// dims implements generic.
func (k Linear) dims() []dim {
	return append(append(k.core().dims(), u32Dim("K4", k.K/4)), actDims(k.Generic, k.Epilogue)...)
}

func (k Linear) isGeneric() bool { return k.Generic }

// pipelineKey keeps of N only whether it is a multiple of 4 (N = 1 when
// not): the output's WGSL type.
func (k Linear) pipelineKey() Kernel {
	return Linear{N: min(k.N%4, 1), Tile: k.Tile, Tex: k.Tex, Generic: true}
}

// Source implements Kernel.
func (k Linear) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	c := k.core()
	c.Decls = decls(k.Bindings())
	d := newPointwiseData(c, k.K/4)
	if k.Generic {
		d.KB4 = kBlockVec4
		if err := validateDims(k.dims()); err != nil {
			return "", fmt.Errorf("linear: %w", err)
		}
		d.render(k.dims())
	} else {
		d.render(d.dims())
	}
	return shaders.Render("gemm.wgsl", d)
}

// Bindings implements Kernel.
func (k Linear) Bindings() []Binding {
	bs := gemmBindings(k.Tex, false)
	if k.N%4 != 0 {
		bs[len(bs)-1].Type = "array<f32>"
	}
	return withParams(bs, k.Generic)
}

// Workgroups implements Kernel.
func (k Linear) Workgroups() (x, y, z uint32) {
	c := k.core()
	return uint32(c.GX), uint32(c.GY), 1
}

// PackWeights returns the [K][N] weights w in the layout its B binding reads:
// w itself when N is a multiple of 4, else a copy with each row padded by
// zeros to ⌈N/4⌉·4 columns. It fails when len(w) ≠ K·N.
func (k Linear) PackWeights(w []float32) ([]float32, error) {
	if len(w) != k.K*k.N {
		return nil, fmt.Errorf("linear %s: %d weights, want K·N = %d", k.Label(), len(w), k.K*k.N)
	}
	return padColumns(w, k.K, k.N, 4*k.n4()), nil
}

// PackBias returns the [N] bias in the layout its Bias binding reads: b itself
// when N is a multiple of 4, else zero-padded to ⌈N/4⌉·4 values. A nil b
// means no bias and gives zeros. It fails when len(b) ∉ {0, N}.
func (k Linear) PackBias(b []float32) ([]float32, error) {
	if b == nil {
		return make([]float32, 4*k.n4()), nil
	}
	if len(b) != k.N {
		return nil, fmt.Errorf("linear %s: %d bias values, want N = %d", k.Label(), len(b), k.N)
	}
	return padColumns(b, 1, k.N, 4*k.n4()), nil
}

// padColumns copies a rows×n row-major matrix into rows×np (np ≥ n) with
// zero-filled extra columns; it returns m itself when np == n.
func padColumns(m []float32, rows, n, np int) []float32 {
	if np == n {
		return m
	}
	out := make([]float32, rows*np)
	for r := 0; r < rows; r++ {
		copy(out[r*np:], m[r*n:(r+1)*n])
	}
	return out
}

// linearTiles are the candidate column widths of Linear with their
// relative speeds (measured at batch 1 and 8 on the head shapes); the rows
// of a tile are the whole batch, up to 8.
var linearTiles = []struct {
	TN    int
	speed float64
}{{16, 1}, {8, 0.9}, {4, 0.85}}

// ChooseLinear picks the specialization of a fully connected layer: a tile
// holding the whole batch (at most 8 rows, so each weight is streamed once
// per 8 images), the column width with the best estimated speed given the
// padding and ≥ 4 workgroups, and texture weights whenever they fit.
func ChooseLinear(batch, k, n int, e Epilogue) Linear {
	tm := min(batch, 8)
	tiles := make([]gemmTile, len(linearTiles))
	for i, c := range linearTiles {
		tiles[i] = gemmTile{TM: tm, TN: c.TN, speed: c.speed}
	}
	return Linear{Batch: batch, K: k, N: n, Tile: chooseGemmTile(batch, ceilDiv(n, 4), tiles), Tex: texFits(k, n), Epilogue: e}
}
