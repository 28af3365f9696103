package main

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// TestDecodeRGBA: decodeRGBA returns preprocess.Decode's pixels (with the
// options passed on), and its errors.
func TestDecodeRGBA(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "preprocess", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name string
		opt  preprocess.Options
	}{
		{"chelsea_anim.gif", preprocess.Options{}},
		{"offset_frame_trns.gif", preprocess.Options{}},
		{"coffee_lossy.webp", preprocess.Options{}},
		{"rocket_lossless.webp", preprocess.Options{}},
		{"coffee.bmp", preprocess.Options{}},
		{"rocket_lzw.tif", preprocess.Options{}},
		{"chelsea_exif6.jpg", preprocess.Options{ApplyEXIFOrientation: true}},
	} {
		b := read(c.name)
		img, err := preprocess.Decode(bytes.NewReader(b), c.opt)
		if err != nil {
			t.Fatal(err)
		}
		want := img.(*image.RGBA)
		w, h, rgba, err := decodeRGBA(b, c.opt)
		if err != nil || w != want.Rect.Dx() || h != want.Rect.Dy() || !bytes.Equal(rgba, want.Pix) {
			t.Errorf("%s: %dx%d, %d bytes, %v; want Decode's %v, %d bytes", c.name, w, h, len(rgba), err, want.Rect, len(want.Pix))
		}
	}
	tif := read("rocket_lzw.tif")
	for _, c := range []struct {
		name    string
		file    []byte
		opt     preprocess.Options
		want    error
		mention string
	}{
		{"corrupt TIFF", append(bytes.Clone(tif[:8]), make([]byte, 64)...), preprocess.Options{}, preprocess.ErrUnreadable, "TIFF"},
		{"truncated TIFF", tif[:len(tif)/3], preprocess.Options{}, preprocess.ErrUnreadable, "TIFF"},
		{"over maxPixels", read("coffee.bmp"), preprocess.Options{MaxPixels: 100}, preprocess.ErrTooLarge, "BMP"},
		{"not an image", []byte("hello"), preprocess.Options{}, preprocess.ErrUnsupportedFormat, "68 65 6c"},
	} {
		_, _, rgba, err := decodeRGBA(c.file, c.opt)
		if !errors.Is(err, c.want) || rgba != nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: %v (%d bytes), want %v mentioning %q", c.name, err, len(rgba), c.want, c.mention)
		}
	}
}
