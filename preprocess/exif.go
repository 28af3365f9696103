package preprocess

import (
	"bytes"
	"encoding/binary"
	"image"
)

// exifOrientation returns the EXIF Orientation tag (1..8) of the file, or 1
// when there is none. It looks where Pillow's getexif() looks: the first
// JPEG APP1 "Exif" segment, the PNG eXIf chunk, the WebP EXIF chunk, or the
// TIFF file's own first IFD.
func exifOrientation(f format, data []byte) int {
	var tiffData []byte
	switch f {
	case fmtJPEG:
		tiffData = jpegExif(data)
	case fmtPNG:
		tiffData = pngChunk(data, "eXIf")
	case fmtWebP:
		tiffData = riffChunk(data, "EXIF")
	case fmtTIFF:
		tiffData = data
	}
	// Some writers keep the "Exif\0\0" prefix in PNG and WebP chunks too.
	tiffData = bytes.TrimPrefix(tiffData, []byte("Exif\x00\x00"))
	if o := tiffOrientation(tiffData); o >= 1 && o <= 8 {
		return o
	}
	return 1
}

// jpegExif returns the TIFF payload of the first APP1 Exif segment.
func jpegExif(b []byte) []byte {
	p := 2
	for p+4 <= len(b) && b[p] == 0xff {
		marker := b[p+1]
		if marker == 0xda || marker == 0xd9 { // SOS, EOI: no more headers.
			return nil
		}
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if n < 2 || p+2+n > len(b) {
			return nil
		}
		seg := b[p+4 : p+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		p += 2 + n
	}
	return nil
}

// pngChunk returns the data of the first chunk of the given type.
func pngChunk(b []byte, typ string) []byte {
	p := 8
	for p+8 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[p:]))
		if n < 0 || p+12+n > len(b) {
			return nil
		}
		if string(b[p+4:p+8]) == typ {
			return b[p+8 : p+8+n]
		}
		p += 12 + n
	}
	return nil
}

// riffChunk returns the data of the first top-level WebP chunk of the type.
func riffChunk(b []byte, typ string) []byte {
	p := 12
	for p+8 <= len(b) {
		n := int(binary.LittleEndian.Uint32(b[p+4:]))
		if n < 0 || p+8+n > len(b) {
			return nil
		}
		if string(b[p:p+4]) == typ {
			return b[p+8 : p+8+n]
		}
		p += 8 + n + n&1
	}
	return nil
}

// tiffOrientation reads tag 0x0112 (a SHORT) from the first IFD of a TIFF
// structure; it returns 0 when absent or malformed.
func tiffOrientation(b []byte) int {
	if len(b) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	ifd := int64(bo.Uint32(b[4:]))
	if ifd+2 > int64(len(b)) {
		return 0
	}
	n := int64(bo.Uint16(b[ifd:]))
	for i := int64(0); i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(b)) {
			return 0
		}
		if bo.Uint16(b[e:]) == 0x0112 && bo.Uint16(b[e+2:]) == 3 {
			return int(bo.Uint16(b[e+8:]))
		}
	}
	return 0
}

// orient applies an EXIF orientation as ImageOps.exif_transpose does
// (2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE,
// 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90).
func orient(img *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return img
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5: // Transpose.
				sx, sy = y, x
			case 6: // Rotate 90 degrees clockwise.
				sx, sy = y, h-1-x
			case 7: // Transverse.
				sx, sy = w-1-y, h-1-x
			case 8: // Rotate 90 degrees counter-clockwise.
				sx, sy = w-1-y, x
			}
			copy(out.Pix[out.PixOffset(x, y):out.PixOffset(x, y)+4], img.Pix[img.PixOffset(sx, sy):])
		}
	}
	return out
}
