//go:build !js || lowformer_allformats

package preprocess

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
)

// gifFrame0 is what Pillow needs from a GIF besides the pixel indices: the
// first frame's real palette (Go's decoder blanks the transparent entry) and
// its transparent index.
type gifFrame0 struct {
	palette     color.Palette
	transparent int // -1 when none
}

// decodeGIF returns the first frame as Pillow 9.4 loads it: a "P" image of
// the logical screen size, filled with the transparent index (or 0) outside
// the frame, using the frame's own palette with every entry intact.
func decodeGIF(data []byte) (image.Image, error) {
	info, err := parseGIFFrame0(data)
	if err != nil {
		return nil, err
	}
	cfg, err := gif.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	img, err := gif.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	frame, ok := img.(*image.Paletted)
	if !ok {
		return nil, errors.New("first frame is not paletted")
	}
	canvas := image.NewPaletted(image.Rect(0, 0, cfg.Width, cfg.Height), info.palette)
	if info.transparent >= 0 {
		for i := range canvas.Pix {
			canvas.Pix[i] = uint8(info.transparent)
		}
	}
	r := frame.Rect.Intersect(canvas.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(canvas.Pix[canvas.PixOffset(r.Min.X, y):canvas.PixOffset(r.Max.X, y)],
			frame.Pix[frame.PixOffset(r.Min.X, y):frame.PixOffset(r.Max.X, y)])
	}
	return canvas, nil
}

// parseGIFFrame0 walks the GIF blocks up to the first image descriptor.
func parseGIFFrame0(b []byte) (gifFrame0, error) {
	errShort := errors.New("truncated GIF header")
	info := gifFrame0{transparent: -1}
	if len(b) < 13 {
		return info, errShort
	}
	readTable := func(p int, flags byte) (color.Palette, int, error) {
		n := 1 << (flags&7 + 1)
		if p+3*n > len(b) {
			return nil, p, errShort
		}
		pal := make(color.Palette, n)
		for i := range pal {
			pal[i] = color.RGBA{b[p+3*i], b[p+3*i+1], b[p+3*i+2], 255}
		}
		return pal, p + 3*n, nil
	}
	p := 13
	var global color.Palette
	var err error
	if b[10]&0x80 != 0 {
		if global, p, err = readTable(p, b[10]); err != nil {
			return info, err
		}
	}
	for p < len(b) {
		switch b[p] {
		case 0x21: // Extension.
			if p+2 > len(b) {
				return info, errShort
			}
			label := b[p+1]
			p += 2
			if label == 0xf9 && p+5 <= len(b) && b[p] >= 4 {
				if b[p+1]&1 != 0 {
					info.transparent = int(b[p+4])
				}
			}
			for p < len(b) && b[p] != 0 { // Sub-blocks.
				p += 1 + int(b[p])
			}
			p++
		case 0x2c: // Image descriptor.
			if p+10 > len(b) {
				return info, errShort
			}
			info.palette = global
			if flags := b[p+9]; flags&0x80 != 0 {
				if info.palette, _, err = readTable(p+10, flags); err != nil {
					return info, err
				}
			}
			if info.palette == nil {
				return info, errors.New("no color table")
			}
			return info, nil
		default:
			return info, errors.New("no image in GIF")
		}
	}
	return info, errShort
}
