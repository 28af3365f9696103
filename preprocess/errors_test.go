package preprocess

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// pngHeader returns a PNG signature and an IHDR chunk with a valid CRC
// declaring w x h (8-bit RGB), followed by nothing else.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk := append([]byte("IHDR"), ihdr...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

// jpegWithHeight returns the fixture JPEG with its SOF height replaced.
func jpegWithHeight(t *testing.T, h uint16) []byte {
	t.Helper()
	b := readFixture(t, "chelsea_420.jpg")
	for i := 2; i+9 < len(b); i++ {
		if b[i] == 0xff && b[i+1] == 0xc0 {
			binary.BigEndian.PutUint16(b[i+5:], h)
			return b
		}
	}
	t.Fatal("no SOF0 marker in chelsea_420.jpg")
	return nil
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeErrors(t *testing.T) {
	jpg := readFixture(t, "chelsea_420.jpg")
	pngP := readFixture(t, "chelsea_palette_trns.png")
	gifZero := append([]byte("GIF89a\x00\x00\x10\x00"), make([]byte, 20)...)
	cases := []struct {
		name    string
		r       io.Reader
		opt     Options
		want    error
		mention string // must appear in the message
	}{
		{"nil reader", nil, Options{}, ErrUnreadable, "nil reader"},
		{"read error", iotest.ErrReader(errors.New("disk on fire")), Options{}, ErrUnreadable, "disk on fire"},
		{"empty", bytes.NewReader(nil), Options{}, ErrUnsupportedFormat, "empty"},
		{"text", strings.NewReader("hello, this is not an image"), Options{}, ErrUnsupportedFormat, "68 65 6c 6c"},
		{"HEIC", strings.NewReader("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), Options{}, ErrUnsupportedFormat, "HEIF"},
		{"PDF", strings.NewReader("%PDF-1.4\n%âãÏÓ\n"), Options{}, ErrUnsupportedFormat, "PDF"},
		{"SVG", strings.NewReader("<?xml version=\"1.0\"?><svg/>"), Options{}, ErrUnsupportedFormat, "SVG"},
		{"truncated JPEG", bytes.NewReader(jpg[:len(jpg)/2]), Options{}, ErrUnreadable, "JPEG"},
		{"JPEG header only", bytes.NewReader(jpg[:200]), Options{}, ErrUnreadable, "JPEG"},
		{"truncated PNG", bytes.NewReader(pngP[:len(pngP)/3]), Options{}, ErrUnreadable, "PNG"},
		{"corrupt PNG CRC", bytes.NewReader(append(pngHeader(10, 10)[:29], 0, 0, 0, 0)), Options{}, ErrUnreadable, "PNG"},
		{"PNG 20000x20000", bytes.NewReader(pngHeader(20000, 20000)), Options{}, ErrTooLarge, "20000x20000"},
		{"PNG 4e9 pixels", bytes.NewReader(pngHeader(1<<31-1, 2)), Options{}, ErrTooLarge, "pixels"},
		{"over a custom limit", bytes.NewReader(jpg), Options{MaxPixels: 451*300 - 1}, ErrTooLarge, "451x300"},
		{"PNG zero width", bytes.NewReader(pngHeader(0, 10)), Options{}, ErrZeroSize, "0x10"},
		{"GIF zero size", bytes.NewReader(gifZero), Options{}, ErrZeroSize, "0x16"},
		{"JPEG zero height", bytes.NewReader(jpegWithHeight(t, 0)), Options{}, ErrZeroSize, "451x0"},
		{"GIF truncated", bytes.NewReader(readFixture(t, "chelsea_anim.gif")[:300]), Options{}, ErrUnreadable, "GIF"},
		{"WebP truncated", bytes.NewReader(readFixture(t, "coffee_lossy.webp")[:400]), Options{}, ErrUnreadable, "WebP"},
	}
	for _, c := range cases {
		img, err := Decode(c.r, c.opt)
		if !errors.Is(err, c.want) || img != nil {
			t.Errorf("%s: got (%v, %v), want error %v", c.name, img, err, c.want)
			continue
		}
		t.Logf("%s: %v", c.name, err)
		if !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.mention)
		}
	}
}

// TestLoadPropagatesErrors checks that Load returns Decode's errors and no
// tensor.
func TestLoadPropagatesErrors(t *testing.T) {
	x, err := Load(bytes.NewReader(pngHeader(20000, 20000)), Options{})
	if !errors.Is(err, ErrTooLarge) || x != nil {
		t.Errorf("Load: got (%d values, %v), want ErrTooLarge", len(x), err)
	}
}
