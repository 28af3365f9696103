package preprocess

import "errors"

// DefaultSize is the evaluation resolution of the published LowFormer
// ImageNet results.
const DefaultSize = 224

// DefaultMaxPixels is the default limit on width*height declared by an
// image's header.
const DefaultMaxPixels = 100_000_000

// MaxFileBytes is the most bytes Decode reads from its reader.
const MaxFileBytes = 1 << 30

// Options controls Decode and Load.
type Options struct {
	// Size is the side r of the square model input; <= 0 means DefaultSize.
	Size int
	// MaxPixels refuses images whose header declares more than this many
	// pixels (width*height), before any pixel is decoded; <= 0 means
	// DefaultMaxPixels.
	MaxPixels int
	// ApplyEXIFOrientation rotates/flips the decoded image according to its
	// EXIF Orientation tag (JPEG APP1, PNG eXIf, WebP EXIF, TIFF IFD0) as
	// PIL.ImageOps.exif_transpose does. It defaults to false because the
	// official evaluation (torchvision ImageFolder: Image.open + convert)
	// ignores the orientation.
	ApplyEXIFOrientation bool
}

func (o Options) size() int {
	if o.Size <= 0 {
		return DefaultSize
	}
	return o.Size
}

func (o Options) maxPixels() int64 {
	if o.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return int64(o.MaxPixels)
}

// Errors returned (wrapped, with details) by Decode and Load. Test them with
// errors.Is.
var (
	// ErrUnsupportedFormat: the data is not JPEG, PNG, GIF, WebP, BMP or TIFF.
	ErrUnsupportedFormat = errors.New("unsupported image format")
	// ErrUnreadable: the data looks like a supported format but its header
	// or pixel data is invalid or truncated.
	ErrUnreadable = errors.New("unreadable image")
	// ErrZeroSize: the header declares a zero width or height.
	ErrZeroSize = errors.New("image has zero width or height")
	// ErrTooLarge: the header declares more pixels than Options.MaxPixels, or
	// the file exceeds MaxFileBytes.
	ErrTooLarge = errors.New("image too large")
	// ErrFormatNotBuiltIn: the data is a GIF, WebP, BMP or TIFF file, a
	// format this build does not decode: the browser's lowformer.wasm
	// decodes JPEG and PNG only, and lowformer.js hands the others to
	// lowformer-decoders.wasm (see Decode).
	ErrFormatNotBuiltIn = errors.New("image format not built into this build")
)
