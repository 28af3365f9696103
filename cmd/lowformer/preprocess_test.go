package main

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// torch's ImageNet normalization constants, written out independently of
// the preprocess package.
var (
	torchMean = [3]float32{0.485, 0.456, 0.406}
	torchStd  = [3]float32{0.229, 0.224, 0.225}
)

// expectedTensor reads a Python reference of preprocess/testdata/expected:
// a raw float32 .f32 tensor, or a .png uint8 crop that it normalizes as
// torch does ((v/255 - mean) / std in float32), as [3,r,r].
func expectedTensor(t *testing.T, name string) []float32 {
	t.Helper()
	path := testImage(t, filepath.Join("expected", name))
	if filepath.Ext(name) == ".f32" {
		return readOutput(t, path)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	r := b.Dx()
	out := make([]float32, 3*r*r)
	for y := 0; y < r; y++ {
		for x := 0; x < r; x++ {
			c := image.Image(img).At(b.Min.X+x, b.Min.Y+y)
			rr, gg, bb, _ := c.RGBA()
			for ch, v := range []uint32{rr >> 8, gg >> 8, bb >> 8} {
				out[ch*r*r+y*r+x] = (float32(v)/255 - torchMean[ch]) / torchStd[ch]
			}
		}
	}
	return out
}

// TestPreprocessReference checks the written tensor bit for bit against
// torchvision's output for fixture images (size, format and EXIF cases).
func TestPreprocessReference(t *testing.T) {
	cases := []struct {
		image    string
		flags    []string
		expected string
	}{
		{"chelsea_420.jpg", []string{"-size", "32"}, "chelsea_420.jpg.r32.f32"},
		{"rocket_422_progressive.jpg", []string{"-size", "32"}, "rocket_422_progressive.jpg.r32.f32"},
		{"chelsea_420.jpg", nil, "chelsea_420.jpg.r224.png"}, // default -size 224
		{"coffee_lossy.webp", []string{"-size", "160"}, "coffee_lossy.webp.r160.png"},
		{"chelsea_exif6.jpg", nil, "chelsea_exif6.jpg.r224.png"},
		{"chelsea_exif6.jpg", []string{"-exif"}, "chelsea_exif6.jpg.transposed.r224.png"},
		{"rocket_lzw.tif", nil, "rocket_lzw.tif.r224.png"},
	}
	for _, c := range cases {
		t.Run(c.expected, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "x.bin")
			args := append(append([]string{"preprocess"}, c.flags...), "-o", out, testImage(t, c.image))
			r := mustCLI(t, args...)
			if r.stdout != "" {
				t.Errorf("preprocess printed %q", r.stdout)
			}
			got, want := readOutput(t, out), expectedTensor(t, c.expected)
			if len(got) != len(want) {
				t.Fatalf("wrote %d values, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("value %d is %v, torchvision gives %v", i, got[i], want[i])
				}
			}
		})
	}
	t.Run("stdout", func(t *testing.T) {
		r := mustCLI(t, "preprocess", "-size", "32", "-o", "-", testImage(t, "chelsea_420.jpg"))
		if d := maxAbsDiff(t, decodeFloats(t, []byte(r.stdout)), expectedTensor(t, "chelsea_420.jpg.r32.f32")); d != 0 {
			t.Errorf("-o - differs from the reference by %g", d)
		}
	})
}

// TestPreprocessErrors checks the refusals: bad command lines, missing,
// unreadable, unsupported and oversized images.
func TestPreprocessErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.bin")
	cat := testImage(t, "chelsea_420.jpg")
	catBytes, err := os.ReadFile(cat)
	if err != nil {
		t.Fatal(err)
	}
	truncated := tmpFile(t, "truncated.jpg", catBytes[:len(catBytes)/3])
	text := tmpFile(t, "notes.jpg", []byte("these are not pixels\n"))
	heic := tmpFile(t, "photo.heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"))
	bomb := tmpFile(t, "bomb.png", bombPNG(20000, 20000))
	checkErrors(t, []errCase{
		{"no output", []string{"preprocess", cat}, 1, "-o is required"},
		{"no image", []string{"preprocess", "-o", out}, 1, "missing IMAGE argument"},
		{"two images", []string{"preprocess", "-o", out, cat, cat}, 1, "unexpected arguments"},
		{"size too small", []string{"preprocess", "-size", "16", "-o", out, cat}, 1, "-size 16: want 32..2048"},
		{"size too large", []string{"preprocess", "-size", "4096", "-o", out, cat}, 1, "-size 4096: want 32..2048"},
		{"bad max pixels", []string{"preprocess", "-max-pixels", "0", "-o", out, cat}, 1, "-max-pixels 0"},
		{"missing image", []string{"preprocess", "-o", out, filepath.Join(dir, "none.jpg")}, 1, "none.jpg: no such file"},
		{"directory", []string{"preprocess", "-o", out, dir}, 1, "is a directory, not an image"},
		{"truncated", []string{"preprocess", "-o", out, truncated}, 1, "truncated.jpg: preprocess: unreadable image"},
		{"text", []string{"preprocess", "-o", out, text}, 1, "notes.jpg: preprocess: unsupported image format"},
		{"heic", []string{"preprocess", "-o", out, heic}, 1, "HEIF"},
		{"decompression bomb", []string{"preprocess", "-o", out, bomb}, 1, "image too large: PNG header declares 20000x20000 = 400000000 pixels"},
		{"max pixels", []string{"preprocess", "-max-pixels", "100000", "-o", out, cat}, 1, "451x300 = 135300 pixels, more than the limit of 100000"},
		{"output folder missing", []string{"preprocess", "-o", filepath.Join(dir, "no", "out.bin"), cat}, 1, "no such file"},
	})
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed run wrote %s", out)
	}
}
