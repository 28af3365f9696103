package preprocess

import (
	"bytes"
	"fmt"
)

// format is an image container format.
type format string

const (
	fmtJPEG format = "JPEG"
	fmtPNG  format = "PNG"
	fmtGIF  format = "GIF"
	fmtWebP format = "WebP"
	fmtBMP  format = "BMP"
	fmtTIFF format = "TIFF"
)

// supported lists the decodable formats by their magic bytes.
var supported = []struct {
	f     format
	magic func([]byte) bool
}{
	{fmtJPEG, prefix("\xff\xd8\xff")},
	{fmtPNG, prefix("\x89PNG\r\n\x1a\n")},
	{fmtGIF, func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	}},
	{fmtWebP, func(b []byte) bool { return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" }},
	{fmtBMP, prefix("BM")},
	{fmtTIFF, func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*"))
	}},
}

// known names formats that are recognised but not decoded.
var known = []struct {
	name  string
	magic func([]byte) bool
}{
	{"HEIF/AVIF (ISO BMFF 'ftyp' box)", func(b []byte) bool { return len(b) >= 12 && string(b[4:8]) == "ftyp" }},
	{"JPEG 2000", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cjP  ")) || bytes.HasPrefix(b, []byte("\xff\x4f\xff\x51"))
	}},
	{"JPEG XL", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("\xff\x0a")) || bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cJXL "))
	}},
	{"PDF", prefix("%PDF")},
	{"ICO/CUR", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("\x00\x00\x01\x00")) || bytes.HasPrefix(b, []byte("\x00\x00\x02\x00"))
	}},
	{"Photoshop PSD", prefix("8BPS")},
	{"QOI", prefix("qoif")},
	{"OpenEXR", prefix("\x76\x2f\x31\x01")},
	{"SVG/XML text", func(b []byte) bool {
		t := bytes.TrimLeft(b, " \t\r\n\xef\xbb\xbf")
		return bytes.HasPrefix(t, []byte("<?xml")) || bytes.HasPrefix(t, []byte("<svg"))
	}},
	{"HTML text", func(b []byte) bool {
		t := bytes.ToLower(bytes.TrimLeft(b, " \t\r\n\xef\xbb\xbf"))
		return bytes.HasPrefix(t, []byte("<!doctype html")) || bytes.HasPrefix(t, []byte("<html"))
	}},
	{"ZIP archive", prefix("PK\x03\x04")},
	{"gzip data", prefix("\x1f\x8b")},
	{"RIFF container that is not WebP", prefix("RIFF")},
	{"Netpbm (PBM/PGM/PPM)", func(b []byte) bool { return len(b) >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7' }},
}

func prefix(p string) func([]byte) bool {
	return func(b []byte) bool { return bytes.HasPrefix(b, []byte(p)) }
}

// sniff detects the format from the leading bytes, or returns an
// ErrUnsupportedFormat error that names what was detected.
func sniff(b []byte) (format, error) {
	for _, s := range supported {
		if s.magic(b) {
			return s.f, nil
		}
	}
	if len(b) == 0 {
		return "", fmt.Errorf("preprocess: %w: empty input", ErrUnsupportedFormat)
	}
	for _, k := range known {
		if k.magic(b) {
			return "", fmt.Errorf("preprocess: %w: detected %s; supported are JPEG, PNG, GIF, WebP, BMP, TIFF", ErrUnsupportedFormat, k.name)
		}
	}
	n := min(len(b), 8)
	return "", fmt.Errorf("preprocess: %w: unrecognised leading bytes % x (%q); supported are JPEG, PNG, GIF, WebP, BMP, TIFF",
		ErrUnsupportedFormat, b[:n], b[:n])
}
