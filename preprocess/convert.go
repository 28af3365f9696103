package preprocess

import (
	"image"
	"image/color"
)

// toRGB converts a decoded image to an opaque *image.RGBA exactly as Pillow's
// convert("RGB") converts the mode that the Go image type stands for:
//
//   - *image.RGBA: taken as "RGB" (the stored R, G, B are copied; alpha is
//     ignored, which is exact for the opaque images the decoders return);
//   - *image.NRGBA, *image.NRGBA64, *image.RGBA64: "RGBA"/"RGB" with the
//     alpha dropped, not composited; 16-bit samples keep their high byte as
//     Pillow's "RGB;16B"/"RGBA;16B" raw modes do;
//   - *image.Gray: "L", replicated; *image.Gray16: "I", clipped to 255 as
//     Pillow's i2rgb does;
//   - *image.Paletted: "P", looked up in the palette (transparency ignored);
//   - *image.CMYK: "CMYK", with Pillow's cmyk2rgb;
//   - anything else: through color.NRGBAModel, high bytes.
func toRGB(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	set := func(x, y int, r, g, bl uint8) {
		o := out.PixOffset(x-b.Min.X, y-b.Min.Y)
		out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = r, g, bl, 255
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch m := img.(type) {
			case *image.RGBA:
				p := m.Pix[m.PixOffset(x, y):]
				set(x, y, p[0], p[1], p[2])
			case *image.NRGBA:
				p := m.Pix[m.PixOffset(x, y):]
				set(x, y, p[0], p[1], p[2])
			case *image.NRGBA64:
				p := m.Pix[m.PixOffset(x, y):]
				set(x, y, p[0], p[2], p[4])
			case *image.RGBA64:
				p := m.Pix[m.PixOffset(x, y):]
				set(x, y, p[0], p[2], p[4])
			case *image.Gray:
				v := m.Pix[m.PixOffset(x, y)]
				set(x, y, v, v, v)
			case *image.Gray16:
				p := m.Pix[m.PixOffset(x, y):]
				v := uint8(255)
				if p[0] == 0 {
					v = p[1]
				}
				set(x, y, v, v, v)
			case *image.Paletted:
				r, g, bl := paletteRGB(m.Palette, m.Pix[m.PixOffset(x, y)])
				set(x, y, r, g, bl)
			case *image.CMYK:
				p := m.Pix[m.PixOffset(x, y):]
				r, g, bl := cmykToRGB(p[0], p[1], p[2], p[3])
				set(x, y, r, g, bl)
			default:
				c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
				set(x, y, uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8))
			}
		}
	}
	return out
}

// ownRGB is toRGB for an image that the caller owns: an *image.RGBA at the
// origin (what the JPEG, WebP and most PNG decodes give) is made opaque in
// place instead of copied.
func ownRGB(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) {
		for i := 3; i < len(m.Pix); i += 4 {
			m.Pix[i] = 255
		}
		return m
	}
	return toRGB(img)
}

// paletteRGB looks up index i. Pillow's palettes start as a grey ramp, so an
// index past the end of the palette reads as (i, i, i).
func paletteRGB(p color.Palette, i uint8) (r, g, b uint8) {
	if int(i) >= len(p) {
		return i, i, i
	}
	switch c := p[i].(type) {
	case color.RGBA:
		return c.R, c.G, c.B
	case color.NRGBA:
		return c.R, c.G, c.B
	}
	c := color.NRGBA64Model.Convert(p[i]).(color.NRGBA64)
	return uint8(c.R >> 8), uint8(c.G >> 8), uint8(c.B >> 8)
}

// cmykToRGB is Pillow's cmyk2rgb (Convert.c, Pillow >= 8):
// out = nk - nk*in/255 with nk = 255 - K and Pillow's MULDIV255 rounding.
func cmykToRGB(c, m, y, k uint8) (r, g, b uint8) {
	nk := 255 - int(k)
	f := func(v uint8) uint8 {
		t := int(v)*nk + 128
		return uint8(nk - ((t>>8)+t)>>8)
	}
	return f(c), f(m), f(y)
}
