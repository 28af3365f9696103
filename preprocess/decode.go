package preprocess

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"

	"github.com/lowformer/lowformer-webgpu/preprocess/internal/jpeg"
)

// Decode reads an image (JPEG, PNG, GIF first frame, WebP, BMP or TIFF) and
// returns it as Pillow's Image.open(f).convert("RGB") would hold it: an
// opaque *image.RGBA with Bounds().Min == (0, 0). The header's dimensions
// are checked against opt.MaxPixels before any pixel is decoded. With
// opt.ApplyEXIFOrientation the EXIF orientation is applied afterwards.
//
// The browser build (GOOS=js without the lowformer_allformats build tag)
// decodes JPEG and PNG only: for a GIF, WebP, BMP or TIFF file it returns an
// ErrFormatNotBuiltIn error after the checks it can make without the
// format's decoder (the file size; a GIF's declared size).
func Decode(r io.Reader, opt Options) (image.Image, error) {
	if r == nil {
		return nil, fmt.Errorf("preprocess: %w: nil reader", ErrUnreadable)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("preprocess: %w: reading input: %v", ErrUnreadable, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("preprocess: %w: file is larger than %d bytes", ErrTooLarge, MaxFileBytes)
	}
	f, err := sniff(data)
	if err != nil {
		return nil, err
	}
	extra, builtIn := extraFormats[f]
	if !builtIn && f != fmtJPEG && f != fmtPNG && f != fmtGIF {
		return nil, notBuiltIn(f)
	}
	w, h, err := dimensions(f, data, extra)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %w: %s header: %v", ErrUnreadable, f, err)
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("preprocess: %w: %s header declares %dx%d", ErrZeroSize, f, w, h)
	}
	if limit := opt.maxPixels(); w*h > limit {
		return nil, fmt.Errorf("preprocess: %w: %s header declares %dx%d = %d pixels, more than the limit of %d",
			ErrTooLarge, f, w, h, w*h, limit)
	}
	if !builtIn && f == fmtGIF {
		return nil, notBuiltIn(f)
	}
	img, err := decodePixels(f, data, extra)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %w: decoding %s: %v", ErrUnreadable, f, err)
	}
	rgb := ownRGB(img)
	if b := rgb.Bounds(); b.Empty() {
		return nil, fmt.Errorf("preprocess: %w: %s decoded to %dx%d", ErrZeroSize, f, b.Dx(), b.Dy())
	}
	if opt.ApplyEXIFOrientation {
		rgb = orient(rgb, exifOrientation(f, data))
	}
	return rgb, nil
}

// Load decodes an image and returns its normalized [3, r, r] tensor
// (r = opt.Size), i.e. Decode followed by Tensor.
func Load(r io.Reader, opt Options) ([]float32, error) {
	img, err := Decode(r, opt)
	if err != nil {
		return nil, err
	}
	return Tensor(img, opt.size()), nil
}

// dimensions returns the width and height that the header declares, without
// decoding pixels; extra reads the header of a format that formats.go
// does not.
func dimensions(f format, data []byte, extra extraFormat) (w, h int64, err error) {
	switch f {
	case fmtPNG:
		// IHDR must be the first chunk; read it directly so that zero or
		// huge sizes are reported as such rather than as format errors.
		if len(data) < 24 || string(data[12:16]) != "IHDR" {
			return 0, 0, errors.New("missing IHDR chunk")
		}
		return int64(binary.BigEndian.Uint32(data[16:])), int64(binary.BigEndian.Uint32(data[20:])), nil
	case fmtGIF:
		if len(data) < 10 {
			return 0, 0, errors.New("truncated logical screen descriptor")
		}
		return int64(binary.LittleEndian.Uint16(data[6:])), int64(binary.LittleEndian.Uint16(data[8:])), nil
	}
	var cfg image.Config
	if f == fmtJPEG {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	} else {
		cfg, err = extra.config(bytes.NewReader(data))
	}
	return int64(cfg.Width), int64(cfg.Height), err
}

// decodePixels decodes data of format f into a Go image whose type tells
// which Pillow mode it stands for (see toRGB); extra decodes the formats
// other than JPEG and PNG.
func decodePixels(f format, data []byte, extra extraFormat) (img image.Image, err error) {
	defer func() {
		// The x/image decoders are not hardened against every malformed
		// input; a panic there must not take the caller down.
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decoder panic: %v", p)
		}
	}()
	rd := bytes.NewReader(data)
	switch f {
	case fmtJPEG:
		return jpeg.Decode(rd)
	case fmtPNG:
		return png.Decode(rd)
	}
	return extra.decode(data)
}
