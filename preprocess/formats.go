package preprocess

import (
	"fmt"
	"image"
	"io"
)

// extraFormat is the decoder of a format that every build knows by its
// magic bytes (sniff) but that only some builds decode: GIF, WebP, BMP and
// TIFF (extraformats.go). The browser's lowformer.wasm leaves them out to
// stay small; lowformer.js decodes them with lowformer-decoders.wasm
// (wasm/decoders), a build with them.
type extraFormat struct {
	// config reads the header's dimensions (nil for GIF, whose dimensions
	// every build reads).
	config func(io.Reader) (image.Config, error)
	// decode decodes the pixels into a Go image whose type tells the
	// Pillow mode it stands for (see toRGB).
	decode func([]byte) (image.Image, error)
}

// extraFormats holds the extra formats this build decodes; extraformats.go
// fills it in every build but GOOS=js without the lowformer_allformats tag.
var extraFormats = map[format]extraFormat{}

// notBuiltIn is Decode's error for a format this build does not decode.
func notBuiltIn(f format) error {
	return fmt.Errorf("preprocess: %w: %s (this build decodes JPEG and PNG; in the browser lowformer.js decodes %s with lowformer-decoders.wasm)",
		ErrFormatNotBuiltIn, f, f)
}
