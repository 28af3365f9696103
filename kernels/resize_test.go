//go:build js || cgo

package kernels

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// photo decodes a fixture of preprocess/testdata as packed RGBA.
func photo(t *testing.T, name string) *image.RGBA {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "preprocess", "testdata", name))
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

// TestResizeMatchesCPU preprocesses the repository's photos, cropped to
// several sizes (downscales, upscales, no resize in one or both
// directions), with the two Resize passes from a texture and from a buffer
// into image 1 of a batch of 2, and compares with preprocess.Tensor: the
// bytes are Pillow's in both, so the normalized values may differ only by
// float32 rounding of the division (far below 1/255).
func TestResizeMatchesCPU(t *testing.T) {
	d := gputest.Device(t)
	photos := []*image.RGBA{photo(t, "rocket_422_progressive.jpg"), photo(t, "coffee_444_progressive.jpg"),
		photo(t, "camera_gray.jpg"), photo(t, "astronaut_rgba.png")}
	for _, c := range []struct {
		photo, w, h, side int // w, h: the top-left crop of the photo used (0: all of it)
	}{
		{0, 0, 0, 224}, {1, 0, 0, 224}, {2, 0, 0, 224}, {3, 0, 0, 224}, {0, 0, 0, 160}, {0, 320, 240, 224},
		{1, 236, 300, 224}, {2, 236, 236, 224}, {0, 100, 70, 224}, {1, 451, 33, 64}, {2, 224, 224, 224},
		// Downscales by more than 12 across: windows too wide to unroll.
		{1, 0, 0, 16}, {1, 451, 300, 20},
	} {
		src := photos[c.photo]
		if c.w > 0 {
			src = src.SubImage(image.Rect(0, 0, c.w, c.h)).(*image.RGBA)
		}
		w, h := src.Rect.Dx(), src.Rect.Dy()
		pix := make([]byte, 4*w*h)
		for y := 0; y < h; y++ {
			copy(pix[4*w*y:], src.Pix[src.PixOffset(0, y):][:4*w])
		}
		want := preprocess.Tensor(src, c.side)
		r := preprocess.NewResample(w, h, c.side)
		for _, v := range []struct{ texture, crop bool }{{true, false}, {false, false}, {true, true}, {false, true}} {
			t.Run(fmt.Sprintf("photo%d_%dx%d_to%d_tex%v_crop%v", c.photo, w, h, c.side, v.texture, v.crop), func(t *testing.T) {
				texture := v.texture
				hk, vk := ChooseResize(r, texture, 1)
				pix, sw, sh := pix, w, h
				if v.crop { // the source holds only the part the passes read
					rect := SourceRect(r)
					if !rect.In(image.Rect(0, 0, w, h)) || rect.Min.X%4 != 0 || rect.Min.Y%2 != 0 || rect.Min.Y > r.Row0 || rect.Max.Y < r.Row0+r.Rows {
						t.Fatalf("SourceRect %v of a %dx%d image, rows %d+%d", rect, w, h, r.Row0, r.Rows)
					}
					hk = hk.Within(rect)
					sw, sh = rect.Dx(), rect.Dy()
					part := make([]byte, 0, 4*sw*sh)
					for y := rect.Min.Y; y < rect.Max.Y; y++ {
						part = append(part, pix[4*(w*y+rect.Min.X):4*(w*y+rect.Max.X)]...)
					}
					pix = part
				}
				var srcRes gpu.Resource
				if texture {
					tex, err := d.NewImageTexture("src", sw, sh)
					if err != nil {
						t.Fatal(err)
					}
					defer tex.Release()
					if err := d.WriteRGBA(tex, pix); err != nil {
						t.Fatal(err)
					}
					srcRes = gpu.Resource{View: tex.View}
				} else {
					b, err := d.NewBufferBytes("src", pix)
					if err != nil {
						t.Fatal(err)
					}
					defer b.Release()
					srcRes = gpu.BufferRes(b)
				}
				ht, err := d.NewBufferBytes("htaps", wgpu.ToBytes(hk.TapTable(r.H)))
				if err != nil {
					t.Fatal(err)
				}
				defer ht.Release()
				vt, err := d.NewBufferBytes("vtaps", wgpu.ToBytes(vk.TapTable(r.V)))
				if err != nil {
					t.Fatal(err)
				}
				defer vt.Release()
				mid := buffer(t, nil, hk.MidWords())
				side2 := c.side * c.side
				out := buffer(t, nil, 2*side2*4)
				got := runKernels(t, []Kernel{hk, vk}, [][]gpu.Resource{
					{srcRes, gpu.BufferRes(ht), mid.res()},
					{mid.res(), gpu.BufferRes(vt), out.res()},
				}, out, 2*side2*4)
				worst := 0.0
				for p := 0; p < side2; p++ {
					if got[4*p] != 0 || got[4*p+3] != 0 { // image 0 is untouched
						t.Fatalf("image 0 pixel %d written: %v", p, got[4*p:4*p+4])
					}
					for ch := 0; ch < 3; ch++ {
						d := math.Abs(float64(got[4*(side2+p)+ch] - want[ch*side2+p]))
						worst = max(worst, d*float64(preprocess.Std[ch])) // in units of the [0,1] pixel value
					}
					if got[4*(side2+p)+3] != 0 {
						t.Fatalf("pixel %d: fourth channel %v", p, got[4*(side2+p)+3])
					}
				}
				t.Logf("%s + %s: max |Δ| %.2e of a [0,1] pixel value (1/255 = %.2e)", hk.Label(), vk.Label(), worst, 1.0/255)
				if worst > 1e-6 {
					t.Errorf("max |Δ| %.3g of a [0,1] pixel value: the GPU bytes differ from Pillow's", worst)
				}
			})
		}
	}
}

func TestResizeRejectsBadShapes(t *testing.T) {
	for _, k := range []Resize{
		{Side: 0, Rows: 1, Window: 4, WG: 64, SrcW: 1, SrcH: 1},
		{Side: 4, Rows: 5, Window: 4, WG: 64, SrcW: 4, SrcH: 4},
		{Side: 4, Rows: 1, Window: 0, WG: 64, SrcW: 4, SrcH: 4},
		{Side: 4, Rows: 1, Window: 4, WG: 0, SrcW: 4, SrcH: 4},
		{Vertical: true, Side: 4096, Rows: 1, Window: 1, WG: 1},
		{Side: 4, Rows: 4, Window: 4, WG: 64, SrcW: 4, SrcH: 4, X0: 2},          // X0 not a multiple of 4
		{Side: 4, Row0: 1, Rows: 4, Window: 4, WG: 64, SrcW: 4, SrcH: 4, Y0: 2}, // rows 1, 5 outside
		{Side: 4, Row0: 2, Rows: 4, Window: 4, WG: 64, SrcW: 4, SrcH: 4, Y0: 1}, // row 5 outside
	} {
		if _, err := k.Source(); err == nil {
			t.Errorf("%s: no error", k.Label())
		}
	}
}

// TestResizeUnrollsSmallWindows checks which passes hold their weights in
// registers, so that TestResizeMatchesCPU covers both forms of each pass.
func TestResizeUnrollsSmallWindows(t *testing.T) {
	for _, c := range []struct {
		w, h, side int
		hUnrolled  bool
		vUnrolled  bool
	}{
		{640, 480, 224, true, true}, {640, 480, 48, true, false}, {600, 400, 224, true, true},
		{600, 400, 16, false, false}, {451, 300, 20, false, false}, {451, 33, 64, true, true},
	} {
		hk, vk := ChooseResize(preprocess.NewResample(c.w, c.h, c.side), false, 0)
		if hk.unrolled() != c.hUnrolled || vk.unrolled() != c.vUnrolled {
			t.Errorf("%dx%d → %d: windows %d, %d, unrolled %v, %v, want %v, %v", c.w, c.h, c.side, hk.Window, vk.Window,
				hk.unrolled(), vk.unrolled(), c.hUnrolled, c.vUnrolled)
		}
	}
}
