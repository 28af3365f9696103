//go:build js || cgo

package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/preprocess"
	"github.com/lowformer/lowformer-webgpu/shaders"
)

// Resize is one pass of the evaluation preprocessing on the GPU
// (preprocess.Resample: Pillow's antialiased bicubic resize of the shorter
// side to ⌈r/0.95⌉, center crop r, in Pillow's fixed point, then
// ImageNet normalization), so that an image on the device goes straight
// into a plan's input buffer with the bytes the CPU path computes.
//
// The horizontal pass (Vertical false) reads source rows Row0..Row0+Rows-1
// and writes Side columns. Bindings, in order:
//
//	Src   the image: an rgba8unorm texture of SrcW×SrcH (Texture), or a
//	      buffer of SrcW×SrcH packed RGBA bytes (R in the low byte)
//	Taps  preprocess.Flat(Resample.H, K)
//	Mid   [Rows][Side] packed RGB bytes, the output
//
// The vertical pass reads Mid and writes image Image of the model input.
// Bindings, in order:
//
//	Mid   as written by the horizontal pass
//	Taps  preprocess.Flat(Resample.V, K)
//	Y     [N][Side][Side][4] float32, the output (the fourth channel 0)
type Resize struct {
	Vertical   bool
	Texture    bool // horizontal: Src is a texture
	SrcW, SrcH int  // horizontal: the source size
	Row0, Rows int
	Side, K    int // K: the tap record's weights (preprocess.Resample.MaxTaps)
	Image      int // vertical: the image of Y written
	WG         int
}

// ChooseResize picks the two passes (horizontal, vertical) that preprocess
// a w×h image as r plans, into image img of a batch; texture says whether
// the source is a texture.
func ChooseResize(r preprocess.Resample, texture bool, img int) (h, v Resize) {
	k := r.MaxTaps()
	h = Resize{Texture: texture, SrcW: r.Width, SrcH: r.Height, Row0: r.Row0, Rows: r.Rows, Side: r.Side, K: k,
		WG: pickWorkgroup(r.Side*r.Rows, 64, 16)}
	v = Resize{Vertical: true, Rows: r.Rows, Side: r.Side, K: k, Image: img, WG: pickWorkgroup(r.Side*r.Side, 64, 16)}
	return h, v
}

// Label implements Kernel.
func (k Resize) Label() string {
	if k.Vertical {
		return fmt.Sprintf("resize_v_rows%d_side%d_k%d_img%d_wg%d", k.Rows, k.Side, k.K, k.Image, k.WG)
	}
	src := "buf"
	if k.Texture {
		src = "tex"
	}
	return fmt.Sprintf("resize_h_%s_src%dx%d_rows%d+%d_side%d_k%d_wg%d", src, k.SrcW, k.SrcH, k.Row0, k.Rows, k.Side, k.K, k.WG)
}

func (k Resize) validate() error {
	switch {
	case k.Side < 1 || k.Rows < 1 || k.K < 1 || k.Row0 < 0 || k.Image < 0:
		return fmt.Errorf("resize: side %d, rows %d+%d, %d taps, image %d must be positive", k.Side, k.Row0, k.Rows, k.K, k.Image)
	case !k.Vertical && (k.SrcW < 1 || k.SrcH < k.Row0+k.Rows):
		return fmt.Errorf("resize: source %dx%d does not hold rows %d..%d", k.SrcW, k.SrcH, k.Row0, k.Row0+k.Rows-1)
	case ceilDiv(k.invocations(), max(k.WG, 1)) > 65535:
		return fmt.Errorf("resize: %d workgroups exceed the 65535 of one dispatch dimension", ceilDiv(k.invocations(), k.WG))
	}
	if err := validateWorkgroup(k.WG); err != nil {
		return fmt.Errorf("resize: %w", err)
	}
	return nil
}

func (k Resize) invocations() int {
	if k.Vertical {
		return k.Side * k.Side
	}
	return k.Side * k.Rows
}

// Source implements Kernel.
func (k Resize) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	mean, std := make([]float64, 3), make([]float64, 3)
	for c := range 3 {
		mean[c], std[c] = float64(preprocess.Mean[c]), float64(preprocess.Std[c])
	}
	return shaders.Render("resize.wgsl", struct {
		Resize
		Decls         string
		PrecisionBits int
		Half          int
		Mean, Std     []float64
	}{k, decls(k.Bindings()), preprocess.PrecisionBits, 1 << (preprocess.PrecisionBits - 1), mean, std})
}

// Bindings implements Kernel.
func (k Resize) Bindings() []Binding {
	taps := Binding{"Taps", gpu.ReadStorage, "array<i32>"}
	if k.Vertical {
		return []Binding{{"Mid", gpu.ReadStorage, "array<u32>"}, taps, output("Y")}
	}
	src := Binding{"Src", gpu.ReadStorage, "array<u32>"}
	if k.Texture {
		src = Binding{"Src", gpu.Texture2D, "texture_2d<f32>"}
	}
	return []Binding{src, taps, {"Mid", gpu.WriteStorage, "array<u32>"}}
}

// Workgroups implements Kernel.
func (k Resize) Workgroups() (x, y, z uint32) {
	return uint32(ceilDiv(k.invocations(), k.WG)), 1, 1
}
