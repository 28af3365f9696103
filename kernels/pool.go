//go:build js || cgo

package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/shaders"
)

// MeanPool is the global average pool of an NHWC tensor [N,H,W,C] to
// [N,C].
//
// Bindings, in order:
//
//	X  [N][H][W][C]
//	Y  [N][C], the output
type MeanPool struct {
	N, H, W, C int // C is a multiple of 4
	WG         int // workgroup size
}

// ChooseMeanPool picks the specialization for a shape.
func ChooseMeanPool(n, h, w, c int) MeanPool {
	return MeanPool{N: n, H: h, W: w, C: c, WG: pickWorkgroup(n*c/4, 64, 16)}
}

// Label implements Kernel.
func (k MeanPool) Label() string {
	return fmt.Sprintf("meanpool_n%d_h%d_w%d_c%d_wg%d", k.N, k.H, k.W, k.C, k.WG)
}

func (k MeanPool) validate() error {
	switch {
	case k.N < 1 || k.H < 1 || k.W < 1 || k.C < 4 || k.C%4 != 0:
		return fmt.Errorf("meanpool: shape N=%d H=%d W=%d C=%d must be positive with C a multiple of 4", k.N, k.H, k.W, k.C)
	case k.WG >= 1 && ceilDiv(k.N*k.C/4, k.WG) > 65535:
		return fmt.Errorf("meanpool: %d workgroups exceed the 65535 of one dispatch dimension", ceilDiv(k.N*k.C/4, k.WG))
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
	return shaders.Render("pool.wgsl", struct {
		MeanPool
		Decls string
	}{k, decls(k.Bindings())})
}

// Bindings implements Kernel.
func (k MeanPool) Bindings() []Binding { return []Binding{input("X"), output("Y")} }

// Workgroups implements Kernel.
func (k MeanPool) Workgroups() (x, y, z uint32) {
	return uint32(ceilDiv(k.N*k.C/4, k.WG)), 1, 1
}
