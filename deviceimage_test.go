//go:build (js || cgo) && !lowformer_nogpu

package lowformer

import (
	"context"
	"errors"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// fixturePhoto decodes a photo of preprocess/testdata as packed RGBA.
func fixturePhoto(t *testing.T, name string) *image.RGBA {
	t.Helper()
	f, err := os.Open(filepath.Join("preprocess", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := preprocess.Decode(f, preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(m, m.Rect, img, img.Bounds().Min, draw.Src)
	return m
}

// TestDeviceImage classifies and embeds photos uploaded to the model's
// image texture (and from a pixel buffer) with the GPU preprocessing and
// compares with Classify and Embed of the same pixels on the CPU
// preprocessing path: the same classes, probabilities and embedding within
// 2e-4.
func TestDeviceImage(t *testing.T) {
	ctx := context.Background()
	m := openOn(t, safetensorsOf(t, synthStateDict(t, smallConfig), "F32", nil), GPU)
	defer m.Close()
	for _, name := range []string{"rocket_422_progressive.jpg", "astronaut_rgba.png"} {
		img := fixturePhoto(t, name)
		w, h := img.Rect.Dx(), img.Rect.Dy()
		fill := DeviceImage{Width: w, Height: h, Fill: func(dev *gpu.Device, tex *gpu.ImageTexture) error { return dev.WriteRGBA(tex, img.Pix) }}
		opt := ClassifyOptions{TopK: 10, Side: 96}
		want, err := m.Classify(ctx, img, opt)
		if err != nil {
			t.Fatal(err)
		}
		var tm Timings
		opt.Timings = &tm
		got, err := m.ClassifyDeviceImage(ctx, fill, opt)
		if err != nil {
			t.Fatal(err)
		}
		if tm.Inference <= 0 || tm.Preprocess <= 0 {
			t.Errorf("timings not filled: %+v", tm)
		}
		for i := range want {
			if got[i].Index != want[i].Index || math.Abs(float64(got[i].Prob-want[i].Prob)) > 1e-5 {
				t.Errorf("%s: class %d is %+v with the GPU preprocessing, %+v on the CPU", name, i, got[i], want[i])
			}
		}
		ew, err := m.Embed(ctx, img, EmbedOptions{Side: 96})
		if err != nil {
			t.Fatal(err)
		}
		eg, err := m.EmbedDeviceImage(ctx, fill, EmbedOptions{Side: 96})
		if err != nil {
			t.Fatal(err)
		}
		if d := ref.MaxAbsDiff(eg, ew); d > 2e-4 {
			t.Errorf("%s: embedding differs by %.3g", name, d)
		}
		dev := m.gpu.(*deviceModel).dev
		buf, err := dev.NewBufferBytes("pixels", img.Pix)
		if err != nil {
			t.Fatal(err)
		}
		eb, err := m.EmbedDeviceImage(ctx, DeviceImage{Width: w, Height: h, Buffer: buf}, EmbedOptions{Side: 96})
		buf.Release()
		if err != nil {
			t.Fatal(err)
		}
		if d := ref.MaxAbsDiff(eb, ew); d > 2e-4 {
			t.Errorf("%s: embedding from a buffer differs by %.3g", name, d)
		}
		// A buffer of only the part the preprocessing reads.
		rect, err := m.DeviceImageRect(w, h, 96)
		if err != nil {
			t.Fatal(err)
		}
		part := make([]byte, 0, 4*rect.Dx()*rect.Dy())
		for y := rect.Min.Y; y < rect.Max.Y; y++ {
			part = append(part, img.Pix[img.PixOffset(rect.Min.X, y):][:4*rect.Dx()]...)
		}
		pbuf, err := dev.NewBufferBytes("part", part)
		if err != nil {
			t.Fatal(err)
		}
		ep, err := m.EmbedDeviceImage(ctx, DeviceImage{Width: w, Height: h, Buffer: pbuf, Rect: rect}, EmbedOptions{Side: 96})
		pbuf.Release()
		if err != nil {
			t.Fatal(err)
		}
		if d := ref.MaxAbsDiff(ep, ew); d > 2e-4 || rect.Dx()*rect.Dy() >= w*h {
			t.Errorf("%s: embedding from a buffer of part %v differs by %.3g", name, rect, d)
		}
		in, err := m.PreprocessDeviceImage(ctx, fill, 96, true)
		if err != nil {
			t.Fatal(err)
		}
		cpuIn := preprocess.Tensor(img, 96)
		for p := 0; p < 96*96; p++ {
			for c := 0; c < 3; c++ {
				if d := math.Abs(float64(in[4*p+c]-cpuIn[c*96*96+p])) * float64(preprocess.Std[c]); d > 1e-6 {
					t.Fatalf("%s: preprocessed pixel %d channel %d differs by %.3g of a [0,1] value", name, p, c, d)
				}
			}
		}
	}
	if _, err := m.DeviceImageRect(0, 4, 0); !errors.Is(err, ErrBadInput) {
		t.Errorf("DeviceImageRect of an empty image: %v, want ErrBadInput", err)
	}
	noop := func(*gpu.Device, *gpu.ImageTexture) error { return nil }
	for _, bad := range []DeviceImage{{Width: 0, Height: 4, Fill: noop}, {Width: 4, Height: 4},
		{Width: 4, Height: 4, Fill: noop, Rect: image.Rect(0, 0, 2, 2)}, // a Rect without a Buffer
	} {
		if _, err := m.ClassifyDeviceImage(ctx, bad, ClassifyOptions{}); !errors.Is(err, ErrBadInput) {
			t.Errorf("ClassifyDeviceImage(%+v): %v, want ErrBadInput", bad, err)
		}
	}
	dev := m.gpu.(*deviceModel).dev
	buf, err := dev.NewBuffer("pixels", 4*64*64)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Release()
	// A part that misses a column the preprocessing reads.
	short := DeviceImage{Width: 64, Height: 64, Buffer: buf, Rect: image.Rect(4, 0, 64, 64)}
	if _, err := m.ClassifyDeviceImage(ctx, short, ClassifyOptions{Side: 32}); !errors.Is(err, ErrBadInput) {
		t.Errorf("a Rect without the part read: %v, want ErrBadInput", err)
	}
	failing := DeviceImage{Width: 8, Height: 8, Fill: func(*gpu.Device, *gpu.ImageTexture) error { return errors.New("no frame") }}
	if _, err := m.ClassifyDeviceImage(ctx, failing, ClassifyOptions{}); err == nil || err.Error() != "no frame" {
		t.Errorf("a failing Fill: %v", err)
	}
	cpu := openOn(t, safetensorsOf(t, synthStateDict(t, smallConfig), "F32", nil), CPU)
	defer cpu.Close()
	if _, err := cpu.ClassifyDeviceImage(ctx, failing, ClassifyOptions{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("on the CPU backend: %v, want ErrBadInput", err)
	}
}
