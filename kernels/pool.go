//go:build js || cgo

package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/shaders"
)

// MeanPool is the global average pool of an NHWC tensor [N,H,W,C] to
// [N,C]. With PL ≤ 1 (the CPU set) one invocation sums the H·W pixels of
// 4 channels; with PL ≥ 2 (the GPU set) a workgroup of WG = CG·PL
// invocations handles CG vec4 channel groups, PL invocations summing every
// PL-th pixel of each, and adds the PL partial sums in a tree over
// workgroup memory.
//
// Bindings, in order:
//
//	X  [N][H][W][C]
//	Y  [N][C], the output
type MeanPool struct {
	N, H, W, C int // C is a multiple of 4
	WG         int // workgroup size
	PL         int // ≥ 2: pixel lanes per channel group, a power of two dividing WG
	// Generic is the generic flavour (generic.go, without lanes): the shape
	// is read from the Params binding, after Y.
	Generic bool
}

// ChooseMeanPool picks the specialization for a shape.
func ChooseMeanPool(n, h, w, c int) MeanPool {
	return MeanPool{N: n, H: h, W: w, C: c, WG: pickWorkgroup(n*c/4, 64, 16)}
}

// chooseMeanPoolGPU is the GPU set's choice: up to 16 pixel lanes (a power
// of two no larger than H·W) per channel group in workgroups of 64 (256
// where 64 would need more than 65535 workgroups), or the CPU set's kernel
// with workgroups of 64..256 for a single pixel or a batch too large even
// then.
func chooseMeanPoolGPU(n, h, w, c int) MeanPool {
	pl := 1
	for pl < 16 && 2*pl <= h*w {
		pl *= 2
	}
	for _, wg := range []int{64, 256} {
		if k := (MeanPool{N: n, H: h, W: w, C: c, WG: wg, PL: pl}); pl > 1 && k.workgroups() <= 65535 {
			return k
		}
	}
	return MeanPool{N: n, H: h, W: w, C: c, WG: pickWorkgroup(n*c/4, 256, 64)}
}

// lanes reports whether k is the GPU set's form, with PL pixel lanes.
func (k MeanPool) lanes() bool { return k.PL >= 2 }

// workgroups is the number of workgroups.
func (k MeanPool) workgroups() int {
	if k.lanes() {
		return k.N * ceilDiv(k.C/4, k.WG/k.PL)
	}
	return ceilDiv(k.N*k.C/4, k.WG)
}

// Label implements Kernel.
func (k MeanPool) Label() string {
	if k.Generic {
		return genericLabel("meanpool", fmt.Sprintf("wg%d", k.WG), false)
	}
	pl := ""
	if k.lanes() {
		pl = fmt.Sprintf("_pl%d", k.PL)
	}
	return fmt.Sprintf("meanpool_n%d_h%d_w%d_c%d_wg%d%s", k.N, k.H, k.W, k.C, k.WG, pl)
}

func (k MeanPool) validate() error {
	switch {
	case k.N < 1 || k.H < 1 || k.W < 1 || k.C < 4 || k.C%4 != 0:
		return fmt.Errorf("meanpool: shape N=%d H=%d W=%d C=%d must be positive with C a multiple of 4", k.N, k.H, k.W, k.C)
	case k.Generic && k.lanes():
		return fmt.Errorf("meanpool: the generic kernel has no pixel lanes")
	case k.lanes() && (k.PL&(k.PL-1) != 0 || k.WG%k.PL != 0):
		return fmt.Errorf("meanpool: %d pixel lanes not a power of two dividing the workgroup size %d", k.PL, k.WG)
	case k.WG >= 1 && k.workgroups() > 65535:
		return fmt.Errorf("meanpool: %d workgroups exceed the 65535 of one dispatch dimension", k.workgroups())
	}
	if err := validateWorkgroup(k.WG); err != nil {
		return fmt.Errorf("meanpool: %w", err)
	}
	return nil
}

// Source implements Kernel.
func (k MeanPool) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	dims, load := renderDims(k.Generic, k.dims())
	return shaders.Render("pool.wgsl", struct {
		MeanPool
		CG                    int
		Decls, Dims, LoadDims string
	}{k, k.WG / max(k.PL, 1), decls(k.Bindings()), dims, load})
}

// dims implements generic (the sizes of the kernel without lanes).
func (k MeanPool) dims() []dim {
	return []dim{u32Dim("N", k.N), u32Dim("HW", k.H*k.W), u32Dim("C4", k.C/4)}
}

func (k MeanPool) isGeneric() bool { return k.Generic }

func (k MeanPool) pipelineKey() Kernel { return MeanPool{WG: k.WG, Generic: true} }

// Bindings implements Kernel.
func (k MeanPool) Bindings() []Binding {
	return withParams([]Binding{input("X"), output("Y")}, k.Generic)
}

// Workgroups implements Kernel.
func (k MeanPool) Workgroups() (x, y, z uint32) {
	return uint32(k.workgroups()), 1, 1
}
