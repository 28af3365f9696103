//go:build js || cgo

package model

import (
	"fmt"
	"image"
	"image/draw"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// TestGPUImageMatchesCPUPreprocessing runs photos of preprocess/testdata
// through the GPU preprocessing (from the model's image texture and from a
// pixel buffer) and the b0 graph in one submit, and compares the logits
// and the embedding with the same graph run on preprocess.Tensor's input
// (within the spec's 2e-4: the preprocessed bytes are the same).
func TestGPUImageMatchesCPUPreprocessing(t *testing.T) {
	dev := gputest.Device(t)
	g := synthGraph(t, "b0")
	m := NewGPU(dev, g, kernels.Target{})
	defer m.Close()
	emb, _ := g.Embedding()
	for _, c := range []struct {
		file string
		side int
	}{{"rocket_422_progressive.jpg", 224}, {"astronaut_rgba.png", 224}, {"coffee_444_progressive.jpg", 160}} {
		f, err := os.Open(filepath.Join("..", "preprocess", "testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		img, err := preprocess.Decode(f, preprocess.Options{})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		rgba := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
		draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
		w, h := rgba.Rect.Dx(), rgba.Rect.Dy()
		want, err := m.Outputs(preprocess.Tensor(rgba, c.side), 1, c.side, c.side, []Value{g.Logits(), emb})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []struct{ texture, crop bool }{{true, false}, {false, false}, {false, true}} {
			texture := v.texture
			t.Run(fmt.Sprintf("%s_%d_tex%v_crop%v", c.file, c.side, texture, v.crop), func(t *testing.T) {
				src := ImageSource{Width: w, Height: h}
				if v.crop { // a buffer of only the part the preprocessing reads
					src.Rect = SourceRect(w, h, c.side)
					part := rgba.SubImage(src.Rect).(*image.RGBA)
					pix := make([]byte, 0, 4*src.Rect.Dx()*src.Rect.Dy())
					for y := src.Rect.Min.Y; y < src.Rect.Max.Y; y++ {
						pix = append(pix, part.Pix[part.PixOffset(src.Rect.Min.X, y):][:4*src.Rect.Dx()]...)
					}
					b, err := dev.NewBufferBytes("part", pix)
					if err != nil {
						t.Fatal(err)
					}
					defer b.Release()
					src.Buffer = b
					small := src
					small.Rect.Max.X--
					if _, err := m.OutputsImage(small, c.side, nil); err == nil || !strings.Contains(err.Error(), "does not hold") {
						t.Errorf("a part smaller than SourceRect's: error %v", err)
					}
				} else if texture {
					tex, err := m.ImageTexture(w, h)
					if err != nil {
						t.Fatal(err)
					}
					if err := dev.WriteRGBA(tex, rgba.Pix); err != nil {
						t.Fatal(err)
					}
					src.View = tex.View
				} else {
					b, err := dev.NewBufferBytes("pixels", rgba.Pix)
					if err != nil {
						t.Fatal(err)
					}
					defer b.Release()
					src.Buffer = b
				}
				got, err := m.OutputsImage(src, c.side, []Value{g.Logits(), emb})
				if err != nil {
					t.Fatal(err)
				}
				for i, name := range []string{"logits", "embedding"} {
					d := ref.MaxAbsDiff(got[i], want[i])
					t.Logf("%s: max |Δ| %.2e against the CPU-preprocessed input", name, d)
					if d > logitTol {
						t.Errorf("%s differ by %.3g > %.0e", name, d, logitTol)
					}
				}
			})
		}
	}
	if _, err := m.OutputsImage(ImageSource{Width: 10, Height: 10}, 224, nil); err == nil {
		t.Error("an image source without texture or buffer gave no error")
	}
}

// TestGPUPreprocessKeepsBindGroups checks that the frames of a stream
// reuse the preprocessing's bind groups (the same buffer into the same
// plan), that another buffer of the same size gets its own, and that each
// run reads the buffer it was given: the input written is the CPU path's
// for both buffers, alternately.
func TestGPUPreprocessKeepsBindGroups(t *testing.T) {
	dev := gputest.Device(t)
	m := NewGPU(dev, synthGraph(t, "b0"), kernels.Target{})
	defer m.Close()
	const w, h, side = 64, 48, 32
	var srcs [2]ImageSource
	var wants [2][]float32
	for i := range srcs {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for p := range img.Pix {
			img.Pix[p] = uint8(p*7 + 91*i)
			if p%4 == 3 {
				img.Pix[p] = 255
			}
		}
		buf, err := dev.NewBufferBytes("frame", img.Pix)
		if err != nil {
			t.Fatal(err)
		}
		defer buf.Release()
		srcs[i] = ImageSource{Buffer: buf, Width: w, Height: h}
		wants[i] = preprocess.Tensor(img, side)
	}
	pre, err := m.preprocessor(srcs[0], side)
	if err != nil {
		t.Fatal(err)
	}
	var groups []any
	for _, i := range []int{0, 0, 1, 1, 0} {
		got, err := m.PreprocessImage(srcs[i], side, true)
		if err != nil {
			t.Fatal(err)
		}
		for p := range side * side {
			for c := range 3 {
				if d := got[4*p+c] - wants[i][c*side*side+p]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("buffer %d: input value %d/%d differs from the CPU path's by %g", i, p, c, d)
				}
			}
		}
		groups = append(groups, pre.hPass.Group)
	}
	if groups[0] != groups[1] || groups[2] != groups[3] || groups[1] == groups[2] || groups[3] == groups[4] {
		t.Errorf("bind groups of buffers 0, 0, 1, 1, 0: %p %p %p %p %p: want the same for a repeated buffer only", groups...)
	}
}

// TestSourceRectKept checks that SourceRect's kept answers are
// kernels.SourceRect's, asked again and after more sizes than it keeps.
func TestSourceRectKept(t *testing.T) {
	sizes := [][3]int{{640, 480, 48}, {640, 480, 224}, {480, 640, 224}, {97, 61, 224}, {1920, 1080, 160}}
	for i := range 2 * maxPreprocessors {
		sizes = append(sizes, [3]int{300 + 7*i, 200 + 3*i, 64})
	}
	for round := range 3 {
		for _, c := range sizes {
			want := kernels.SourceRect(preprocess.NewResample(c[0], c[1], c[2]))
			if got := SourceRect(c[0], c[1], c[2]); got != want {
				t.Errorf("round %d, %dx%d to %d: SourceRect %v, want %v", round, c[0], c[1], c[2], got, want)
			}
			if got := SourceRect(c[0], c[1], c[2]); got != want { // now kept
				t.Errorf("round %d, %dx%d to %d, again: SourceRect %v, want %v", round, c[0], c[1], c[2], got, want)
			}
		}
	}
	if n := len(sourceRects.m); n > maxPreprocessors {
		t.Errorf("%d answers kept, want at most %d", n, maxPreprocessors)
	}
}
