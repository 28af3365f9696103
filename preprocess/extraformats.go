//go:build !js || lowformer_allformats

package preprocess

import (
	"bytes"
	"image"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// The decoders of GIF (first frame), WebP, BMP and TIFF: in every build but
// the browser's lowformer.wasm (GOOS=js), and in the one that decodes them
// for it (wasm/decoders, built with -tags lowformer_allformats).
func init() {
	extraFormats[fmtGIF] = extraFormat{decode: decodeGIF}
	extraFormats[fmtWebP] = extraFormat{config: webp.DecodeConfig, decode: func(b []byte) (image.Image, error) { return decodeWebP(bytes.NewReader(b)) }}
	extraFormats[fmtBMP] = extraFormat{config: bmp.DecodeConfig, decode: func(b []byte) (image.Image, error) { return bmp.Decode(bytes.NewReader(b)) }}
	extraFormats[fmtTIFF] = extraFormat{config: tiff.DecodeConfig, decode: func(b []byte) (image.Image, error) { return tiff.Decode(bytes.NewReader(b)) }}
}
