package preprocess

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The fixtures and their expected values come from testdata/gen_fixtures.py,
// which runs Pillow 9.4 and torchvision 0.14 (see testdata/README.md).

// decodedHashes reads expected/decoded_sha256.txt: name -> (WxH, sha256 of
// the RGB bytes that PIL's convert("RGB") yields).
func decodedHashes(t *testing.T) map[string][2]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "expected", "decoded_sha256.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string][2]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && !strings.HasPrefix(fields[0], "#") {
			m[fields[0]] = [2]string{fields[1], fields[2]}
		}
	}
	if len(m) == 0 {
		t.Fatal("no hashes in decoded_sha256.txt")
	}
	return m
}

// rgbBytes returns the packed RGB bytes of an *image.RGBA from Decode.
func rgbBytes(m *image.RGBA) []byte {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := make([]byte, 0, 3*w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := m.PixOffset(x, y)
			out = append(out, m.Pix[o:o+3]...)
		}
	}
	return out
}

func decodeFile(t *testing.T, path string, opt Options) *image.RGBA {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Decode(bytes.NewReader(data), opt)
	if err != nil {
		t.Fatalf("Decode(%s): %v", path, err)
	}
	m, ok := img.(*image.RGBA)
	if !ok || m.Rect.Min != (image.Point{}) {
		t.Fatalf("Decode(%s) returned %T with bounds %v, want *image.RGBA at the origin", path, img, img.Bounds())
	}
	return m
}

// checkDecoded compares a decoded image with PIL's, by size and hash.
func checkDecoded(t *testing.T, key string, m *image.RGBA, want [2]string) {
	t.Helper()
	size := fmt.Sprintf("%dx%d", m.Rect.Dx(), m.Rect.Dy())
	sum := sha256.Sum256(rgbBytes(m))
	if size != want[0] || hex.EncodeToString(sum[:]) != want[1] {
		t.Errorf("%s: decoded %s sha256 %x, PIL decodes %s sha256 %s", key, size, sum, want[0], want[1])
	}
}

// fixtureNames lists the input fixtures (everything in testdata that is
// not the generator, the README or expected/).
func fixtureNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasSuffix(n, ".py") || strings.HasSuffix(n, ".md") {
			continue
		}
		names = append(names, n)
	}
	if len(names) < 10 {
		t.Fatalf("only %d fixtures found", len(names))
	}
	return names
}

func TestDecodeMatchesPIL(t *testing.T) {
	hashes := decodedHashes(t)
	for _, name := range fixtureNames(t) {
		want, ok := hashes[name]
		if !ok {
			t.Errorf("%s: no expected hash", name)
			continue
		}
		checkDecoded(t, name, decodeFile(t, filepath.Join("testdata", name), Options{}), want)
	}
}

// TestDecodeGoJPEGVariantsMatchPIL decodes the JPEG variants in Go's own
// image/testdata (4:1:0 to 4:4:4, progressive, restart markers, RGB, CMYK,
// grayscale) and compares them with PIL's decoding.
func TestDecodeGoJPEGVariantsMatchPIL(t *testing.T) {
	dir := filepath.Join(runtime.GOROOT(), "src", "image", "testdata")
	n := 0
	for key, want := range decodedHashes(t) {
		name, ok := strings.CutPrefix(key, "GOROOT/")
		if !ok {
			continue
		}
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			t.Skipf("Go's image/testdata is not installed (%v)", err)
		}
		checkDecoded(t, key, decodeFile(t, path, Options{}), want)
		n++
	}
	if n < 20 {
		t.Errorf("only %d GOROOT JPEG hashes", n)
	}
}

// readExpectedPNG returns a [3, r, r] channel-major crop stored as an RGB PNG.
func readExpectedPNG(t *testing.T, path string) []uint8 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, ok := img.(*image.RGBA)
	if !ok {
		t.Fatalf("%s: %T, want an RGB PNG", path, img)
	}
	r := m.Rect.Dx()
	out := make([]uint8, 3*r*r)
	for y := 0; y < r; y++ {
		for x := 0; x < r; x++ {
			o := m.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				out[c*r*r+y*r+x] = m.Pix[o+c]
			}
		}
	}
	return out
}

// diffStats returns the max and mean absolute difference in [0,1] units.
func diffStats(got, want []uint8) (maxd, mean float64) {
	sum := 0
	for i := range got {
		d := int(got[i]) - int(want[i])
		if d < 0 {
			d = -d
		}
		sum += d
		maxd = max(maxd, float64(d)/255)
	}
	return maxd, float64(sum) / float64(len(got)) / 255
}

// checkCrop compares Unnormalized(img, r) with torchvision's crop. The
// tolerance is 2/255 max and 0.5/255 mean per image; the measured
// difference is logged (it is 0 when the reproduction is exact).
func checkCrop(t *testing.T, label string, img image.Image, r int, wantPath string) {
	t.Helper()
	want := readExpectedPNG(t, wantPath)
	if len(want) != 3*r*r {
		t.Fatalf("%s: expected crop has %d values, want %d", wantPath, len(want), 3*r*r)
	}
	got := Unnormalized(img, r)
	maxd, mean := diffStats(got, want)
	t.Logf("%-40s r=%d  max|diff| = %.4f (%g/255)  mean|diff| = %.6f", label, r, maxd, math.Round(maxd*255), mean)
	if maxd > 2.0/255 || mean > 0.5/255 {
		t.Errorf("%s r=%d: max|diff| %.4f (limit %.4f), mean %.6f (limit %.6f)", label, r, maxd, 2.0/255, mean, 0.5/255)
	}
}

func TestCropsMatchTorchvision(t *testing.T) {
	for _, name := range fixtureNames(t) {
		img := decodeFile(t, filepath.Join("testdata", name), Options{})
		found := 0
		for _, r := range []int{224, 160} {
			p := filepath.Join("testdata", "expected", fmt.Sprintf("%s.r%d.png", name, r))
			if _, err := os.Stat(p); err != nil {
				continue
			}
			found++
			checkCrop(t, name, img, r, p)
		}
		if found == 0 {
			t.Errorf("%s: no expected crop", name)
		}
	}
}

func TestEXIFOrientation(t *testing.T) {
	path := filepath.Join("testdata", "chelsea_exif6.jpg")
	// Default: ignored, as in the official evaluation.
	plain := decodeFile(t, path, Options{})
	if plain.Rect.Dx() != 451 || plain.Rect.Dy() != 300 {
		t.Errorf("default decode is %v, want 451x300 (orientation ignored)", plain.Rect)
	}
	// Opt-in: as ImageOps.exif_transpose.
	rotated := decodeFile(t, path, Options{ApplyEXIFOrientation: true})
	checkDecoded(t, "chelsea_exif6.jpg:transposed", rotated, decodedHashes(t)["chelsea_exif6.jpg:transposed"])
	checkCrop(t, "chelsea_exif6.jpg transposed", rotated, 224, filepath.Join("testdata", "expected", "chelsea_exif6.jpg.transposed.r224.png"))
}

// TestOrientAllCases checks every orientation against its inverse mapping on
// a small asymmetric image: each transform must move the pixel that
// exif_transpose moves to the top-left corner.
func TestOrientAllCases(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range src.Pix {
		src.Pix[i] = uint8(i)
	}
	at := func(m *image.RGBA, x, y int) uint8 { return m.Pix[m.PixOffset(x, y)] }
	// Top-left output pixel for each orientation, as (x, y) in the source.
	cases := []struct {
		o      int
		w, h   int
		sx, sy int
	}{
		{1, 3, 2, 0, 0}, {2, 3, 2, 2, 0}, {3, 3, 2, 2, 1}, {4, 3, 2, 0, 1},
		{5, 2, 3, 0, 0}, {6, 2, 3, 0, 1}, {7, 2, 3, 2, 1}, {8, 2, 3, 2, 0},
	}
	for _, c := range cases {
		out := orient(src, c.o)
		if out.Rect.Dx() != c.w || out.Rect.Dy() != c.h {
			t.Errorf("orientation %d: size %v, want %dx%d", c.o, out.Rect, c.w, c.h)
			continue
		}
		if got, want := at(out, 0, 0), at(src, c.sx, c.sy); got != want {
			t.Errorf("orientation %d: top-left %d, want source (%d,%d) = %d", c.o, got, c.sx, c.sy, want)
		}
	}
}

// readF32 reads a little-endian float32 file.
func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// TestLoadMatchesTorchvisionFloat32 runs the whole pipeline, including
// ToTensor and Normalize, against torchvision's float32 output.
func TestLoadMatchesTorchvisionFloat32(t *testing.T) {
	for _, name := range []string{"chelsea_420.jpg", "rocket_422_progressive.jpg"} {
		want := readF32(t, filepath.Join("testdata", "expected", name+".r32.f32"))
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Load(f, Options{Size: 32})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
		}
		maxd := 0.0
		for i := range got {
			maxd = max(maxd, math.Abs(float64(got[i]-want[i])))
		}
		t.Logf("%s r=32 float32 max|diff| = %g", name, maxd)
		// One uint8 step is 1/255/0.224 = 0.0175 after normalization.
		if maxd > 2.0/255/0.224 {
			t.Errorf("%s: max|diff| %g", name, maxd)
		}
	}
}
