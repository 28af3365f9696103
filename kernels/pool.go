package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/shaders"
)

// MeanPool is the global average pool of an NHWC tensor [N,H,W,C] to
// [N,C]. Bindings: 0 input (read), 1 output (write).
type MeanPool struct {
	N, H, W, C int // C is a multiple of 4
	WG         int // workgroup size
}

// ChooseMeanPool picks the specialization for a shape.
func ChooseMeanPool(n, h, w, c int) MeanPool {
	wg := 64
	for wg > 16 && ceilDiv(n*c/4, wg) < 4 {
		wg /= 2
	}
	return MeanPool{N: n, H: h, W: w, C: c, WG: wg}
}

// Label implements Kernel.
func (k MeanPool) Label() string {
	return fmt.Sprintf("meanpool_n%d_h%d_w%d_c%d_wg%d", k.N, k.H, k.W, k.C, k.WG)
}

// Source implements Kernel.
func (k MeanPool) Source() (string, error) {
	if k.C%4 != 0 {
		return "", fmt.Errorf("channels %d not a multiple of 4", k.C)
	}
	return shaders.Render("pool.wgsl", k)
}

// Bindings implements Kernel.
func (k MeanPool) Bindings() []gpu.BindingKind {
	return []gpu.BindingKind{gpu.ReadStorage, gpu.WriteStorage}
}

// Workgroups implements Kernel.
func (k MeanPool) Workgroups() (x, y, z uint32) {
	return uint32(ceilDiv(k.N*k.C/4, k.WG)), 1, 1
}
