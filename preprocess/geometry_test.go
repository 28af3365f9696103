package preprocess

import (
	"image"
	"math/rand"
	"testing"
	"time"
)

// Expected values below were printed by Python 3.11 / torchvision 0.14:
// math.ceil(r/0.95), _compute_resized_output_size and
// int(round((n - r) / 2.0)).

func TestResizeShortSide(t *testing.T) {
	for _, c := range []struct{ r, want int }{
		{224, 236}, {160, 169}, {128, 135}, {192, 203}, {256, 270}, {288, 304},
		{19, 20}, {38, 40}, {57, 60}, {95, 100},
	} {
		if got := ResizeShortSide(c.r); got != c.want {
			t.Errorf("ResizeShortSide(%d) = %d, want %d", c.r, got, c.want)
		}
	}
}

func TestResizedSize(t *testing.T) {
	for _, c := range []struct{ w, h, s, ww, wh int }{
		{451, 300, 236, 354, 236}, {451, 300, 169, 254, 169},
		{427, 640, 236, 236, 353}, {640, 427, 236, 353, 236},
		{600, 400, 236, 354, 236}, {600, 400, 169, 253, 169},
		{512, 512, 236, 236, 236}, {1, 5000, 236, 236, 1180000},
		{5000, 1, 169, 845000, 169}, {333, 1000, 236, 236, 708},
		{3, 7, 236, 236, 550}, {1000, 999, 236, 236, 236},
	} {
		if w, h := ResizedSize(c.w, c.h, c.s); w != c.ww || h != c.wh {
			t.Errorf("ResizedSize(%d, %d, %d) = %dx%d, want %dx%d", c.w, c.h, c.s, w, h, c.ww, c.wh)
		}
	}
}

func TestCropOffset(t *testing.T) {
	for _, c := range []struct{ n, r, want int }{
		{236, 224, 6}, {237, 224, 6}, {238, 224, 7}, {239, 224, 8},
		{353, 224, 64}, {354, 224, 65}, {169, 160, 4}, {170, 160, 5}, {171, 160, 6},
	} {
		if got := CropOffset(c.n, c.r); got != c.want {
			t.Errorf("CropOffset(%d, %d) = %d, want %d", c.n, c.r, got, c.want)
		}
	}
}

func randomRGBA(w, h int, seed int64) *image.RGBA {
	rng := rand.New(rand.NewSource(seed))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rng.Read(m.Pix)
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 255
	}
	return m
}

// TestWindowEqualsFullResize checks that computing only the crop window
// gives the same pixels as resizing the whole image and then cropping.
func TestWindowEqualsFullResize(t *testing.T) {
	for _, c := range []struct{ w, h, nw, nh int }{
		{97, 61, 40, 30}, {61, 97, 130, 200}, {50, 50, 50, 80}, {80, 50, 30, 50},
	} {
		src := packRGB(randomRGBA(c.w, c.h, int64(c.w)))
		full := resizeWindow(src, c.nw, c.nh, 0, 0, c.nw, c.nh)
		x0, y0, cw, ch := c.nw/3, c.nh/4, c.nw/2, c.nh/2
		win := resizeWindow(src, c.nw, c.nh, x0, y0, cw, ch)
		for y := 0; y < ch; y++ {
			for x := 0; x < cw; x++ {
				for k := 0; k < 3; k++ {
					a := full.pix[(y0+y)*full.stride+4*(x0+x)+k]
					b := win.pix[y*win.stride+4*x+k]
					if a != b {
						t.Fatalf("%v: window (%d,%d,%d) = %d, full = %d", c, x, y, k, b, a)
					}
				}
			}
		}
	}
}

// TestElongatedImageIsCheap: a 2x20000 image resizes (conceptually) to
// 236x2360000; only the 224x224 window may be computed.
func TestElongatedImageIsCheap(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 2, 20000))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	start := time.Now()
	u := Unnormalized(img, 224)
	if len(u) != 3*224*224 {
		t.Fatalf("got %d values", len(u))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestTensorNormalization checks ToTensor+Normalize on constant images,
// whose resize is exact, against float32 arithmetic done by hand.
func TestTensorNormalization(t *testing.T) {
	for _, v := range []uint8{0, 1, 128, 254, 255} {
		m := image.NewRGBA(image.Rect(0, 0, 300, 250))
		for i := range m.Pix {
			m.Pix[i] = v
		}
		x := Tensor(m, 32)
		for c := 0; c < 3; c++ {
			want := (float32(v)/255 - Mean[c]) / Std[c]
			for i := c * 32 * 32; i < (c+1)*32*32; i++ {
				if x[i] != want {
					t.Fatalf("v=%d channel %d: got %v, want %v", v, c, x[i], want)
				}
			}
		}
	}
}

// TestNonRGBAInputs: Tensor and Unnormalized accept any image.Image and
// convert it as Decode would.
func TestNonRGBAInputs(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range g.Pix {
		g.Pix[i] = uint8(3 * i)
	}
	a, b := Unnormalized(g, 16), Unnormalized(toRGB(g), 16)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("gray input differs from its RGB conversion at %d", i)
		}
	}
	// An offset sub-image must be handled as its own origin.
	rgba := randomRGBA(60, 50, 7)
	sub := rgba.SubImage(image.Rect(10, 5, 50, 45))
	c, d := Unnormalized(sub, 16), Unnormalized(toRGB(sub), 16)
	for i := range c {
		if c[i] != d[i] {
			t.Fatalf("sub-image differs at %d", i)
		}
	}
	// Empty images and bad sizes do not panic.
	if u := Unnormalized(image.NewRGBA(image.Rectangle{}), 0); len(u) != 3*DefaultSize*DefaultSize {
		t.Errorf("empty image: %d values", len(u))
	}
}

func TestCMYKFormula(t *testing.T) {
	// Values printed by Pillow 9.4: Image CMYK -> convert("RGB").
	for _, c := range []struct {
		in  [4]uint8
		out [3]uint8
	}{
		{[4]uint8{0, 0, 0, 0}, [3]uint8{255, 255, 255}},
		{[4]uint8{100, 50, 200, 30}, [3]uint8{137, 181, 49}},
		{[4]uint8{255, 0, 0, 128}, [3]uint8{0, 127, 127}},
		{[4]uint8{10, 20, 30, 255}, [3]uint8{0, 0, 0}},
	} {
		r, g, b := cmykToRGB(c.in[0], c.in[1], c.in[2], c.in[3])
		if [3]uint8{r, g, b} != c.out {
			t.Errorf("cmykToRGB%v = %d,%d,%d, want %v", c.in, r, g, b, c.out)
		}
	}
}
