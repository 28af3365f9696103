package preprocess

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"strings"
	"testing"
)

// withoutExtraFormats makes Decode behave as in the browser's lowformer.wasm
// (GOOS=js without the lowformer_allformats tag) for the rest of the test.
func withoutExtraFormats(t *testing.T) {
	t.Helper()
	saved := extraFormats
	extraFormats = map[format]extraFormat{}
	t.Cleanup(func() { extraFormats = saved })
}

// TestDecodeWithoutExtraFormats checks Decode of the build without the GIF,
// WebP, BMP and TIFF decoders: each of those formats is ErrFormatNotBuiltIn
// naming it (after the GIF size checks), JPEG and PNG decode as before.
func TestDecodeWithoutExtraFormats(t *testing.T) {
	full := map[string]image.Image{}
	for _, name := range []string{"chelsea_420.jpg", "chelsea_palette_trns.png"} {
		img, err := Decode(bytes.NewReader(readFixture(t, name)), Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		full[name] = img
	}
	withoutExtraFormats(t)
	gifHuge := append([]byte("GIF89a"), binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, 60000), 60000)...)
	gifHuge = append(gifHuge, make([]byte, 20)...)
	cases := []struct {
		name    string
		data    []byte
		want    error
		mention string
	}{
		{"GIF", readFixture(t, "chelsea_anim.gif"), ErrFormatNotBuiltIn, "GIF"},
		{"GIF offset frame", readFixture(t, "offset_frame_trns.gif"), ErrFormatNotBuiltIn, "GIF"},
		{"WebP lossy", readFixture(t, "coffee_lossy.webp"), ErrFormatNotBuiltIn, "WebP"},
		{"WebP lossless", readFixture(t, "rocket_lossless.webp"), ErrFormatNotBuiltIn, "WebP"},
		{"BMP", readFixture(t, "coffee.bmp"), ErrFormatNotBuiltIn, "BMP"},
		{"TIFF", readFixture(t, "rocket_lzw.tif"), ErrFormatNotBuiltIn, "TIFF"},
		{"corrupt TIFF", readFixture(t, "rocket_lzw.tif")[:100], ErrFormatNotBuiltIn, "TIFF"},
		// A GIF's declared size is checked without its decoder.
		{"GIF zero size", append([]byte("GIF89a\x00\x00\x10\x00"), make([]byte, 20)...), ErrZeroSize, "0x16"},
		{"GIF 60000x60000", gifHuge, ErrTooLarge, "60000x60000"},
		{"not an image", []byte("hello, this is not an image"), ErrUnsupportedFormat, "68 65 6c 6c"},
	}
	for _, c := range cases {
		img, err := Decode(bytes.NewReader(c.data), Options{})
		if !errors.Is(err, c.want) || img != nil {
			t.Errorf("%s: got (%v, %v), want error %v", c.name, img, err, c.want)
			continue
		}
		t.Logf("%s: %v", c.name, err)
		if !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.mention)
		}
	}
	for name, want := range full {
		img, err := Decode(bytes.NewReader(readFixture(t, name)), Options{})
		if err != nil {
			t.Errorf("%s without the extra formats: %v", name, err)
			continue
		}
		if !bytes.Equal(img.(*image.RGBA).Pix, want.(*image.RGBA).Pix) {
			t.Errorf("%s: the pixels differ without the extra formats", name)
		}
	}
}
