//go:build js || cgo

package model

import (
	"fmt"
	"image"
	"image/draw"
	"os"
	"path/filepath"
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
		for _, texture := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s_%d_tex%v", c.file, c.side, texture), func(t *testing.T) {
				src := ImageSource{Width: w, Height: h}
				if texture {
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
