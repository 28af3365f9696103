//go:build js || cgo

package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/shaders"
)

// StatsPerImage is the number of f32 values GroupNormStats writes per image
// in one part (Parts ≤ 1): the stats buffer is [N][2] with [n][0] = mean and
// [n][1] = rstd = 1/√(biased variance + 1e-5) over the image's H·W·C
// values. A consumer that folds the normalization into its loads computes
// (x − mean)·rstd·gamma[c] + beta[c]. With Parts ≥ 2 the buffer holds
// partial statistics instead (see GroupNormStats); StatsFloats is its size
// either way.
const StatsPerImage = 2

// GroupNormStats computes the GroupNorm(1, C) statistics of an NHWC tensor
// [N,HW,C]: one workgroup of WG invocations per image; each invocation runs
// Welford's update over its values taken relative to the image's first
// value, and the workgroup merges the partial (count, mean, M2) with Chan's
// formula in a tree over workgroup memory, so the variance stays accurate
// for values with a large mean.
//
// With Parts ≥ 2 (the GPU set) each image is cut into Parts slices of
// ⌈H·W·C/4 / Parts⌉ vec4, one workgroup each, so that small batches still
// have several workgroups in flight: workgroup p of image n writes
// Stats[n][p] = (count, mean − K, M2, K) of its slice, K the image's first
// value, and GroupNormApply (with the same Parts) merges an image's parts
// with Chan's formula.
//
// With Loads ≥ 2 (the GPU set) each invocation loads that many vec4 before
// updating with them, so that a single workgroup per image keeps several
// memory requests in flight per invocation.
//
// With Subgroups (an adapter with the subgroups feature; see
// Kernel.Fallback for adapters without) the workgroup instead reduces in
// two sums, each a subgroupAdd plus one pass over the subgroups' partials
// in workgroup memory: Σn and Σn·mean give the image's mean μ, then
// Σ(M2 + n·(mean − μ)²) its M2 (Chan's formula as a sum), two barriers
// instead of log2(WG).
//
// Bindings, in order:
//
//	X      [N][HW][C]
//	Stats  [N][StatsPerImage], the output
type GroupNormStats struct {
	N, HW, C  int // C a multiple of 4
	WG        int // a power of two
	Loads     int // ≥ 2: vec4 loads each invocation issues before their updates
	Parts     int // ≥ 2: workgroups per image, writing partial statistics
	Subgroups bool
	// Generic is the generic flavour (generic.go, without parts, loads or
	// subgroups): the values per image are read from the Params binding,
	// after Stats.
	Generic bool
}

// GroupNormApply normalizes with the statistics of GroupNormStats:
// Y = (X − mean)·rstd·gamma[c] + beta[c]. One invocation handles 4
// channels of PX pixels.
//
// Bindings, in order:
//
//	X      [N][HW][C]
//	Stats  [N][StatsPerImage], GroupNormStats' output
//	Gamma  [C]
//	Beta   [C]
//	Y      [N][HW][C], the output
type GroupNormApply struct {
	N, HW, C int
	PX       int // pixels per invocation
	WG       int
	Parts    int // GroupNormStats' Parts
	// Generic is the generic flavour (generic.go, without parts): the
	// shape is read from the Params binding, after Y.
	Generic bool
}

// LayerNorm normalizes each image's C values of [N,C] (eps 1e-5), applies
// the affine and then Act: one workgroup per image, statistics as in
// GroupNormStats.
//
// Bindings, in order:
//
//	X      [N][C]
//	Gamma  [C]
//	Beta   [C]
//	Y      [N][C], the output
type LayerNorm struct {
	N, C      int // C a multiple of 4
	WG        int // a power of two
	Subgroups bool
	Epilogue  // activation only: LayerNorm binds no residual
	// Generic is the generic flavour (generic.go, without subgroups): the
	// channels and the activation are read from the Params binding, after Y.
	Generic bool
}

// ChooseGroupNorm picks the statistics and apply kernels of a GroupNorm
// over [n,h,w,c].
func ChooseGroupNorm(n, h, w, c int) (GroupNormStats, GroupNormApply) {
	s := GroupNormStats{N: n, HW: h * w, C: c, WG: normWorkgroup(h * w * c / 4)}
	a := GroupNormApply{N: n, HW: h * w, C: c, PX: min(4, h*w)}
	a.WG = pickWorkgroup(a.invocations(), 64, 16)
	return s, a
}

// ChooseLayerNorm picks the LayerNorm kernel of [n,c].
func ChooseLayerNorm(n, c int, e Epilogue) LayerNorm {
	return LayerNorm{N: n, C: c, WG: normWorkgroup(c / 4), Epilogue: e}
}

// chooseGroupNormGPU is the GPU set's choice: workgroups of 256
// invocations with 4 loads in flight each for the statistics, as many
// parts per image (up to 16) as give each invocation a full step of loads,
// and two pixels × one vec4 per invocation in workgroups of 256 (fewer for
// 4 workgroups) to apply.
func chooseGroupNormGPU(n, h, w, c int, subgroups bool) (GroupNormStats, GroupNormApply) {
	s := GroupNormStats{N: n, HW: h * w, C: c, WG: 256, Loads: 4, Subgroups: subgroups}
	s.Parts = s.wholeParts(min(max(h*w*c/4/(s.WG*s.Loads), 1), 16, 65535/n))
	a := GroupNormApply{N: n, HW: h * w, C: c, PX: min(2, h*w), Parts: s.Parts}
	a.WG = pickWorkgroup(a.invocations(), 256, 64)
	return s, a
}

// chooseLayerNormGPU is the GPU set's choice: one vec4 per invocation, in
// a workgroup of the power of two in 32..256 nearest above C/4.
func chooseLayerNormGPU(n, c int, e Epilogue, subgroups bool) LayerNorm {
	wg := 32
	for wg < 256 && wg < c/4 {
		wg *= 2
	}
	return LayerNorm{N: n, C: c, WG: wg, Subgroups: subgroups, Epilogue: e}
}

// normWorkgroup is the reduction workgroup for s4 vec4 per image: 256
// invocations, fewer for small images (at least 8 vec4 each, at least 32).
func normWorkgroup(s4 int) int {
	wg := 256
	for wg > 32 && s4 < 8*wg {
		wg /= 2
	}
	return wg
}

// validateNorm checks what the statistics template needs: n images of
// s values of c channels, one workgroup of wg invocations each.
func validateNorm(family string, n, s, c, wg int) error {
	switch {
	case n < 1 || n > 65535 || s < 1:
		return fmt.Errorf("%s: bad shape N=%d with %d values per image", family, n, s)
	case c < 4 || c%4 != 0:
		return fmt.Errorf("%s: channels %d not a positive multiple of 4", family, c)
	case wg < 1 || wg > 256 || wg&(wg-1) != 0:
		return fmt.Errorf("%s: workgroup size %d is not a power of two in 1..256", family, wg)
	}
	return nil
}

// s4 is the number of vec4 per image.
func (k GroupNormStats) s4() int { return k.HW * k.C / 4 }

// ps4 is the number of vec4 per part.
func (k GroupNormStats) ps4() int { return ceilDiv(k.s4(), max(k.Parts, 1)) }

// wholeParts is the number of parts that cutting the image into up to
// parts slices of ⌈S4/parts⌉ vec4 makes (none empty).
func (k GroupNormStats) wholeParts(parts int) int {
	k.Parts = parts
	return ceilDiv(k.s4(), k.ps4())
}

// StatsFloats is the size in f32 of the statistics buffer: N·StatsPerImage,
// or N·Parts·4 with Parts ≥ 2.
func (k GroupNormStats) StatsFloats() int {
	if k.Parts > 1 {
		return 4 * k.N * k.Parts
	}
	return StatsPerImage * k.N
}

func (k GroupNormStats) validate() error {
	switch {
	case k.Loads < 0 || k.Loads > 8:
		return fmt.Errorf("groupnorm stats: %d loads per step outside 0..8", k.Loads)
	case k.Generic && (k.Parts > 1 || k.Loads > 1 || k.Subgroups):
		return fmt.Errorf("groupnorm stats: the generic kernel has no parts, loads in flight or subgroups")
	case k.Parts < 0 || k.Parts > 1 && (k.N*k.Parts > 65535 || k.wholeParts(k.Parts) != k.Parts):
		return fmt.Errorf("groupnorm stats: %d parts of %d images of %d vec4: over 65535 workgroups or an empty part",
			k.Parts, k.N, k.s4())
	}
	return validateNorm("groupnorm stats", k.N, k.HW*k.C, k.C, k.WG)
}

func (k GroupNormApply) validate() error {
	switch {
	case k.N < 1 || k.HW < 1 || k.C < 4 || k.C%4 != 0:
		return fmt.Errorf("groupnorm apply: bad shape N=%d HW=%d C=%d (C a multiple of 4)", k.N, k.HW, k.C)
	case k.PX < 1 || k.PX > 16:
		return fmt.Errorf("groupnorm apply: %d pixels per invocation outside 1..16", k.PX)
	case k.Parts < 0 || k.Parts > 64:
		return fmt.Errorf("groupnorm apply: %d parts outside 0..64", k.Parts)
	case k.Generic && k.Parts > 1:
		return fmt.Errorf("groupnorm apply: the generic kernel has no parts")
	}
	if err := validateWorkgroup(k.WG); err != nil {
		return fmt.Errorf("groupnorm apply: %w", err)
	}
	return nil
}

func (k LayerNorm) validate() error {
	if err := validateNorm("layernorm", k.N, k.C, k.C, k.WG); err != nil {
		return err
	}
	if k.Generic && k.Subgroups {
		return fmt.Errorf("layernorm: the generic kernel has no subgroups")
	}
	if err := k.Epilogue.validateNoResidual(); err != nil {
		return fmt.Errorf("layernorm: %w", err)
	}
	return nil
}

// Label implements Kernel.
func (k GroupNormStats) Label() string {
	if k.Generic {
		return genericLabel("gnstats", fmt.Sprintf("wg%d", k.WG), false)
	}
	loads := ""
	if k.Loads > 1 {
		loads = fmt.Sprintf("_ld%d", k.Loads)
	}
	return fmt.Sprintf("gnstats_n%d_hw%d_c%d_wg%d%s%s%s", k.N, k.HW, k.C, k.WG, loads, partsLabel(k.Parts),
		subgroupsLabel(k.Subgroups))
}

// partsLabel is the label suffix of GroupNorm kernels with parts.
func partsLabel(parts int) string {
	if parts > 1 {
		return fmt.Sprintf("_p%d", parts)
	}
	return ""
}

// Fallback implements Optional: with Subgroups, the same statistics by the
// workgroup tree.
func (k GroupNormStats) Fallback() (Kernel, bool) {
	ok := k.Subgroups
	k.Subgroups = false
	return k, ok
}

// Source implements Kernel.
func (k GroupNormStats) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	dims, load := renderDims(k.Generic, k.dims())
	return shaders.Render("gnstats.wgsl", struct {
		GroupNormStats
		S4, PS4                       int
		Decls, Enable, Dims, LoadDims string
	}{k, k.s4(), k.ps4(), decls(k.Bindings()), enables(k.Subgroups), dims, load})
}

// dims implements generic.
func (k GroupNormStats) dims() []dim { return []dim{u32Dim("S4", k.s4())} }

func (k GroupNormStats) isGeneric() bool { return k.Generic }

func (k GroupNormStats) pipelineKey() Kernel { return GroupNormStats{WG: k.WG, Generic: true} }

// statsBinding is the statistics of GroupNormStats as the given kind:
// (mean, rstd) per image, or with parts (count, mean, M2, K) per part.
func statsBinding(kind gpu.BindingKind, parts int) Binding {
	if parts > 1 {
		return Binding{"Stats", kind, vec4s}
	}
	return Binding{"Stats", kind, "array<vec2<f32>>"}
}

// Bindings implements Kernel.
func (k GroupNormStats) Bindings() []Binding {
	return withParams([]Binding{input("X"), statsBinding(gpu.WriteStorage, k.Parts)}, k.Generic)
}

// Workgroups implements Kernel.
func (k GroupNormStats) Workgroups() (x, y, z uint32) { return uint32(k.N * max(k.Parts, 1)), 1, 1 }

// invocations is the number of useful invocations.
func (k GroupNormApply) invocations() int { return k.N * ceilDiv(k.HW, k.PX) * k.C / 4 }

// grid is the dispatch grid.
func (k GroupNormApply) grid() (x, y int) { return grid(ceilDiv(k.invocations(), k.WG)) }

// Label implements Kernel.
func (k GroupNormApply) Label() string {
	if k.Generic {
		return genericLabel("gnapply", fmt.Sprintf("px%d_wg%d", k.PX, k.WG), false)
	}
	return fmt.Sprintf("gnapply_n%d_hw%d_c%d_px%d_wg%d%s", k.N, k.HW, k.C, k.PX, k.WG, partsLabel(k.Parts))
}

// Source implements Kernel.
func (k GroupNormApply) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	gx, _ := k.grid()
	dims, load := renderDims(k.Generic, k.dims())
	return shaders.Render("gnapply.wgsl", struct {
		GroupNormApply
		PB, Total, GX         int
		Decls, Dims, LoadDims string
	}{k, ceilDiv(k.HW, k.PX), k.invocations(), gx, decls(k.Bindings()), dims, load})
}

// dims implements generic.
func (k GroupNormApply) dims() []dim {
	gx, _ := k.grid()
	return []dim{u32Dim("C4", k.C/4), u32Dim("HW", k.HW), u32Dim("PB", ceilDiv(k.HW, k.PX)), u32Dim("TOTAL", k.invocations()), u32Dim("GX", gx)}
}

func (k GroupNormApply) isGeneric() bool { return k.Generic }

func (k GroupNormApply) pipelineKey() Kernel {
	return GroupNormApply{PX: k.PX, WG: k.WG, Generic: true}
}

// Bindings implements Kernel.
func (k GroupNormApply) Bindings() []Binding {
	return withParams([]Binding{input("X"), statsBinding(gpu.ReadStorage, k.Parts), input("Gamma"), input("Beta"), output("Y")}, k.Generic)
}

// Workgroups implements Kernel.
func (k GroupNormApply) Workgroups() (x, y, z uint32) {
	gx, gy := k.grid()
	return uint32(gx), uint32(gy), 1
}

// Label implements Kernel.
func (k LayerNorm) Label() string {
	if k.Generic {
		return genericLabel("layernorm", fmt.Sprintf("wg%d", k.WG), false)
	}
	return fmt.Sprintf("layernorm_n%d_c%d_wg%d%s_%s", k.N, k.C, k.WG, subgroupsLabel(k.Subgroups), k.Epilogue)
}

// Fallback implements Optional: with Subgroups, the same LayerNorm by the
// workgroup tree.
func (k LayerNorm) Fallback() (Kernel, bool) {
	ok := k.Subgroups
	k.Subgroups = false
	return k, ok
}

// Source implements Kernel.
func (k LayerNorm) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	dims, load := renderDims(k.Generic, k.dims())
	return shaders.Render("layernorm.wgsl", struct {
		LayerNorm
		S4, Loads                            int
		ActFn, Decls, Enable, Dims, LoadDims string
	}{k, k.C / 4, 1, genericActFn(k.Generic, k.Act), decls(k.Bindings()), enables(k.Subgroups), dims, load})
}

// dims implements generic.
func (k LayerNorm) dims() []dim {
	return append([]dim{u32Dim("S4", k.C/4)}, actDims(k.Generic, k.Epilogue)...)
}

func (k LayerNorm) isGeneric() bool { return k.Generic }

func (k LayerNorm) pipelineKey() Kernel { return LayerNorm{WG: k.WG, Generic: true} }

// Bindings implements Kernel.
func (k LayerNorm) Bindings() []Binding {
	return withParams([]Binding{input("X"), input("Gamma"), input("Beta"), output("Y")}, k.Generic)
}

// Workgroups implements Kernel.
func (k LayerNorm) Workgroups() (x, y, z uint32) { return uint32(k.N), 1, 1 }
