//go:build js || cgo

package kernels

import (
	"fmt"
	"image"

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
// The horizontal pass (Vertical false) reads image rows Row0..Row0+Rows-1
// and writes Side columns. Its source holds the SrcW×SrcH pixels of the
// image from (X0, Y0) on: all of it, or SourceRect's part. An invocation writes four adjacent columns
// (a group) of rowBlock rows: it reads the source pixels under the group's
// taps, a window of Window pixels from a multiple of 4, four at a time
// (one vec4 load from a buffer whose rows are a multiple of 4 pixels
// long), once per row for all four columns. Bindings, in order:
//
//	Src   the image: an rgba8unorm texture of SrcW×SrcH (Texture), or a
//	      buffer of SrcW×SrcH packed RGBA bytes (R in the low byte)
//	Taps  TapTable(Resample.H)
//	Mid   [Rows][MidWidth] packed RGB bytes, the output (MidWords words;
//	      the columns past Side unused)
//
// The vertical pass reads Mid and writes image Image of the model input.
// An invocation writes four adjacent columns of four adjacent rows (a
// block): it reads the Mid rows under the block's taps, a window of Window
// rows, four columns (one vec4) at a time, once for all four rows.
// Bindings, in order:
//
//	Mid   as written by the horizontal pass
//	Taps  TapTable(Resample.V)
//	Y     [N][Side][Side][4] float32, the output (the fourth channel 0)
//
// The weights of a group or block span its whole window (zero outside each
// sample's taps), so that every loop has constant bounds and each loaded
// value serves four samples: on a CPU adapter (lavapipe) every storage
// load with a per-invocation address costs a scalar load per lane and
// dominates the passes' time, a loop whose length varies per invocation
// runs masked to the longest, and multiplying by a zero weight is cheap.
type Resize struct {
	Vertical   bool
	Texture    bool // horizontal: Src is a texture
	SrcW, SrcH int  // horizontal: the source size
	X0, Y0     int  // horizontal: where the source starts in the image (X0 a multiple of 4)
	Row0, Rows int  // image rows (horizontal: read; vertical: held by Mid)
	Side       int
	Window     int // source pixels (a multiple of 4) or Mid rows a window spans (WindowOf)
	Image      int // vertical: the image of Y written
	WG         int
}

// rowBlock is the number of rows of Mid an invocation of the horizontal
// pass writes: rowChunk when it holds its weights in registers
// (unrolled), else rowBlock, four rows read at a time.
const (
	rowBlock = 4
	rowChunk = 16
)

// maxUnrolledQuads and maxUnrolledRows are the largest windows (in quads
// of pixels, in rows) whose pass holds its weights in registers, its loop
// over the window unrolled; colChunk is the number of column quads an
// invocation of such a vertical pass writes.
const (
	maxUnrolledQuads = 24
	maxUnrolledRows  = 32
	colChunk         = 8
)

// unrolled says whether the pass holds its weights in registers for
// rowChunk rows (horizontal) or colChunk column quads (vertical).
func (k Resize) unrolled() bool {
	if k.Vertical {
		return k.Window <= maxUnrolledRows
	}
	return k.Window/4 <= maxUnrolledQuads
}

// colChunks is the number of column chunks of a vertical pass.
func (k Resize) colChunks() int {
	if k.unrolled() {
		return ceilDiv(k.quads(), colChunk)
	}
	return k.quads()
}

// rowsPer is the number of rows of Mid an invocation of the horizontal
// pass writes.
func (k Resize) rowsPer() int {
	if k.unrolled() {
		return rowChunk
	}
	return rowBlock
}

// ChooseResize picks the two passes (horizontal, vertical) that preprocess
// a w×h image as r plans, into image img of a batch; texture says whether
// the source is a texture.
func ChooseResize(r preprocess.Resample, texture bool, img int) (h, v Resize) {
	h = Resize{Texture: texture, SrcW: r.Width, SrcH: r.Height, Row0: r.Row0, Rows: r.Rows, Side: r.Side,
		Window: WindowOf(r.H, false)}
	h.WG = pickWorkgroup(h.invocations(), 64, 16)
	v = Resize{Vertical: true, Rows: r.Rows, Side: r.Side, Window: WindowOf(r.V, true), Image: img}
	v.WG = pickWorkgroup(v.invocations(), 64, 16)
	return h, v
}

// SourceRect is the part of the image that the passes of r read: the
// columns under the horizontal taps, from a multiple of 4 (the pass reads
// four pixels at a time) to a multiple of 4 or the image's edge, and rows
// Row0..Row0+Rows-1 widened to even rows (a 4:2:0 video frame's part then
// converts to RGB as the whole frame does). An image source may hold only
// this part (Resize.Within), so that less is copied and uploaded.
func SourceRect(r preprocess.Resample) image.Rectangle {
	x0, x1 := r.Width, 0
	for _, t := range r.H {
		x0, x1 = min(x0, t.Min), max(x1, t.Min+len(t.Weights))
	}
	x0, x1 = x0&^3, min(4*ceilDiv(x1, 4), r.Width)
	return image.Rect(x0, r.Row0&^1, x1, min(r.Row0+r.Rows+(r.Row0+r.Rows)%2, r.Height))
}

// Within is the horizontal pass k reading a source that holds only the
// part rect of the image (which must contain SourceRect's; the zero
// rectangle: the whole image).
func (k Resize) Within(rect image.Rectangle) Resize {
	if !rect.Empty() {
		k.X0, k.Y0, k.SrcW, k.SrcH = rect.Min.X, rect.Min.Y, rect.Dx(), rect.Dy()
	}
	return k
}

// WindowOf is the window of the taps of a pass: the most source pixels
// (horizontal, counted from the multiple of 4 at or before the first tap)
// or Mid rows (vertical) under the taps of four consecutive samples.
func WindowOf(taps []preprocess.Taps, vertical bool) int {
	w := 1
	for g := 0; g < len(taps); g += 4 {
		start, end := windowStart(taps[g].Min, vertical), 0
		for _, t := range taps[g:min(g+4, len(taps))] {
			start = min(start, windowStart(t.Min, vertical))
			end = max(end, t.Min+len(t.Weights))
		}
		w = max(w, end-start)
	}
	if !vertical {
		w = 4 * ceilDiv(w, 4)
	}
	return w
}

// windowStart is where a window that holds source index min starts.
func windowStart(min int, vertical bool) int {
	if vertical {
		return min
	}
	return min &^ 3
}

// TapTable lays out the taps of a pass (Resample.H or Resample.V, as k
// reads them): a record of vec4<i32> for each four consecutive samples,
// the first holding the start of their window (horizontal: the source
// pixel divided by 4; vertical: the Mid row) and three zeros, then one
// vec4 for each position of the window holding the four samples' weights
// there (zero outside a sample's taps, and for samples past Side).
func (k Resize) TapTable(taps []preprocess.Taps) []int32 {
	rec := 4 * (1 + k.Window)
	out := make([]int32, rec*ceilDiv(len(taps), 4))
	for g := 0; g < len(taps); g += 4 {
		r := out[rec*(g/4):][:rec]
		start := windowStart(taps[g].Min, k.Vertical)
		for _, t := range taps[g:min(g+4, len(taps))] {
			start = min(start, windowStart(t.Min, k.Vertical))
		}
		r[0] = int32(start)
		if !k.Vertical {
			r[0] = int32(start / 4)
		}
		for j, t := range taps[g:min(g+4, len(taps))] {
			for i, w := range t.Weights {
				r[4*(1+t.Min-start+i)+j] = w
			}
		}
	}
	return out
}

// Label implements Kernel.
func (k Resize) Label() string {
	if k.Vertical {
		return fmt.Sprintf("resize_v_rows%d_side%d_win%d_img%d_wg%d", k.Rows, k.Side, k.Window, k.Image, k.WG)
	}
	src := "buf"
	if k.Texture {
		src = "tex"
	}
	return fmt.Sprintf("resize_h_%s_src%dx%d@%d,%d_rows%d+%d_side%d_win%d_wg%d", src, k.SrcW, k.SrcH, k.X0, k.Y0, k.Row0, k.Rows, k.Side, k.Window, k.WG)
}

func (k Resize) validate() error {
	switch {
	case k.Side < 1 || k.Rows < 1 || k.Window < 1 || k.Row0 < 0 || k.Image < 0:
		return fmt.Errorf("resize: side %d, rows %d+%d, window %d, image %d must be positive", k.Side, k.Row0, k.Rows, k.Window, k.Image)
	case !k.Vertical && k.Window%4 != 0:
		return fmt.Errorf("resize: a horizontal window of %d pixels is not a multiple of 4", k.Window)
	case !k.Vertical && (k.SrcW < 1 || k.X0 < 0 || k.X0%4 != 0 || k.Y0 < 0 || k.Y0 > k.Row0 || k.Y0+k.SrcH < k.Row0+k.Rows):
		return fmt.Errorf("resize: a source of %dx%d from (%d,%d) (x a multiple of 4) does not hold rows %d..%d", k.SrcW, k.SrcH, k.X0, k.Y0, k.Row0, k.Row0+k.Rows-1)
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
		return k.colChunks() * k.quads()
	}
	return k.quads() * ceilDiv(k.Rows, k.rowsPer())
}

// quads is the number of four-column groups of a row of Mid or Y (and of
// four-row blocks of Y).
func (k Resize) quads() int { return ceilDiv(k.Side, 4) }

// aligned says whether the horizontal pass reads its source buffer four
// pixels (a vec4) at a time: rows of a multiple of 4 pixels.
func (k Resize) aligned() bool { return !k.Vertical && !k.Texture && k.SrcW%4 == 0 }

// MidWidth is the row length of Mid in words: Side rounded up to a
// multiple of 4, so that both passes move four columns as a vec4.
func (k Resize) MidWidth() int { return 4 * k.quads() }

// MidWords is the length of Mid in 32-bit words.
func (k Resize) MidWords() int { return k.Rows * k.MidWidth() }

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
		Decls               string
		PrecisionBits, Half int
		MidQuads, Quads     int
		RowBlock, ColChunk  int
		Unrolled            bool
		Aligned             bool // the source buffer is read as vec4
		RaggedRows          bool // Side (vertical) or Rows (horizontal) is not a multiple of the rows an invocation writes
		RaggedCols          bool // Side is not a multiple of 4
		Mean, Std           []float64
	}{k, decls(k.Bindings()), preprocess.PrecisionBits, 1 << (preprocess.PrecisionBits - 1),
		k.quads(), k.quads(), k.rowsPer(), colChunk, k.unrolled(), k.aligned(),
		(k.Vertical && k.Side%4 != 0) || (!k.Vertical && k.Rows%k.rowsPer() != 0), k.Side%4 != 0,
		mean, std})
}

// Bindings implements Kernel.
func (k Resize) Bindings() []Binding {
	taps := Binding{"Taps", gpu.ReadStorage, "array<vec4<i32>>"}
	if k.Vertical {
		return []Binding{{"Mid", gpu.ReadStorage, "array<vec4<u32>>"}, taps, output("Y")}
	}
	src := Binding{"Src", gpu.ReadStorage, "array<u32>"}
	if k.aligned() {
		src.Type = "array<vec4<u32>>"
	}
	if k.Texture {
		src = Binding{"Src", gpu.Texture2D, "texture_2d<f32>"}
	}
	return []Binding{src, taps, {"Mid", gpu.WriteStorage, "array<vec4<u32>>"}}
}

// Workgroups implements Kernel.
func (k Resize) Workgroups() (x, y, z uint32) {
	return uint32(ceilDiv(k.invocations(), k.WG)), 1, 1
}
