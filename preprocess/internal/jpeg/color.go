package jpeg

import "image"

// This file reproduces what libjpeg-turbo 2.x does after the inverse DCT with
// its default decompression parameters (do_fancy_upsampling = TRUE, which
// also rules out merged upsampling): jdsample.c's upsampling, jdcolor.c's
// colour conversion and jdapimin.c's choice of colour space.

// colorSpace is a JPEG colour space as libjpeg names it.
type colorSpace int

const (
	csGray colorSpace = iota
	csYCbCr
	csRGB
	csCMYK
	csYCCK
)

// jpegColorSpace mirrors default_decompress_parms in libjpeg's jdapimin.c.
func (d *decoder) jpegColorSpace() colorSpace {
	switch d.nComp {
	case 1:
		return csGray
	case 3:
		switch {
		case d.jfif:
			return csYCbCr
		case d.adobeTransformValid:
			if d.adobeTransform == adobeTransformUnknown {
				return csRGB
			}
			return csYCbCr
		case d.comp[0].c == 1 && d.comp[1].c == 2 && d.comp[2].c == 3:
			return csYCbCr
		case d.comp[0].c == 'R' && d.comp[1].c == 'G' && d.comp[2].c == 'B':
			return csRGB
		default:
			return csYCbCr
		}
	default:
		if d.adobeTransformValid && d.adobeTransform != adobeTransformUnknown {
			return csYCCK
		}
		return csCMYK
	}
}

// output upsamples the component planes to full resolution and converts them
// to the image Pillow would hold: "L", "RGB" or (inverted) "CMYK".
func (d *decoder) output() image.Image {
	w, h := d.width, d.height
	rect := image.Rect(0, 0, w, h)
	full := d.upsampleAll()
	switch d.jpegColorSpace() {
	case csGray:
		return &image.Gray{Pix: full[0], Stride: w, Rect: rect}
	case csRGB:
		img := image.NewRGBA(rect)
		for i := 0; i < w*h; i++ {
			img.Pix[4*i+0], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = full[0][i], full[1][i], full[2][i], 255
		}
		return img
	case csYCbCr:
		img := image.NewRGBA(rect)
		for i := 0; i < w*h; i++ {
			r, g, b := yccToRGB(full[0][i], full[1][i], full[2][i])
			img.Pix[4*i+0], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = r, g, b, 255
		}
		return img
	default:
		// Pillow reads four-component JPEGs with the "CMYK;I" raw mode, which
		// inverts every libjpeg output sample.
		ycck := d.jpegColorSpace() == csYCCK
		img := image.NewCMYK(rect)
		for i := 0; i < w*h; i++ {
			c, m, y := full[0][i], full[1][i], full[2][i]
			if ycck {
				// ycck_cmyk_convert: CMY = 255 - RGB, K passes through.
				r, g, b := yccToRGB(c, m, y)
				c, m, y = 255-r, 255-g, 255-b
			}
			img.Pix[4*i+0], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = 255-c, 255-m, 255-y, 255-full[3][i]
		}
		return img
	}
}

// The fixed-point YCbCr to RGB tables of jdcolor.c (build_ycc_rgb_table).
const (
	yccScaleBits = 16
	yccOneHalf   = 1 << (yccScaleBits - 1)
)

var crR, cbB [256]int32
var crG, cbG [256]int64

func init() {
	fix := func(x float64) int64 { return int64(x*(1<<yccScaleBits) + 0.5) }
	for i := 0; i < 256; i++ {
		x := int64(i - 128)
		crR[i] = int32((fix(1.40200)*x + yccOneHalf) >> yccScaleBits)
		cbB[i] = int32((fix(1.77200)*x + yccOneHalf) >> yccScaleBits)
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + yccOneHalf
	}
}

// clamp8 is libjpeg's sample_range_limit lookup for in-range indices.
func clamp8(x int32) byte {
	if x < 0 {
		return 0
	}
	if x > 255 {
		return 255
	}
	return byte(x)
}

// yccToRGB is ycc_rgb_convert for one pixel.
func yccToRGB(y, cb, cr byte) (r, g, b byte) {
	yy := int32(y)
	r = clamp8(yy + crR[cr])
	g = clamp8(yy + int32((cbG[cb]+crG[cr])>>yccScaleBits))
	b = clamp8(yy + cbB[cb])
	return r, g, b
}

// upsampleAll returns every component at full image resolution (stride =
// image width).
func (d *decoder) upsampleAll() [][]byte {
	hMax, vMax := 1, 1
	for i := 0; i < d.nComp; i++ {
		hMax = max(hMax, d.comp[i].h)
		vMax = max(vMax, d.comp[i].v)
	}
	out := make([][]byte, d.nComp)
	for i := 0; i < d.nComp; i++ {
		c := d.comp[i]
		p := plane{
			pix:    d.planes[i],
			stride: d.strides[i],
			// downsampled_width/height as computed in jdinput.c.
			w: (d.width*c.h + hMax - 1) / hMax,
			h: (d.height*c.v + vMax - 1) / vMax,
		}
		out[i] = p.upsample(hMax/c.h, vMax/c.v, d.width, d.height)
	}
	return out
}

// plane is one component's samples; w and h are its meaningful size.
type plane struct {
	pix    []byte
	stride int
	w, h   int
}

// at returns the sample at (x, y), replicating the edge rows as libjpeg's
// main controller does for context rows (jdmainct.c). Columns are never
// read outside [0, w).
func (p *plane) at(x, y int) int32 {
	y = min(max(y, 0), p.h-1)
	return int32(p.pix[y*p.stride+x])
}

// upsample expands the plane by the integer factors (hf, vf) to a W x H
// full-resolution plane, choosing the method as jinit_upsampler does.
func (p *plane) upsample(hf, vf, W, H int) []byte {
	out := make([]byte, W*H)
	switch {
	case hf == 1 && vf == 1:
		for y := 0; y < H; y++ {
			copy(out[y*W:(y+1)*W], p.pix[y*p.stride:])
		}
	case hf == 2 && vf == 1 && p.w > 2:
		p.h2v1Fancy(out, W, H)
	case hf == 1 && vf == 2:
		p.h1v2Fancy(out, W, H)
	case hf == 2 && vf == 2 && p.w > 2:
		p.h2v2Fancy(out, W, H)
	default:
		// int_upsample, h2v1_upsample, h2v2_upsample: replication.
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				out[y*W+x] = p.pix[(y/vf)*p.stride+x/hf]
			}
		}
	}
	return out
}

// h2v1Fancy is h2v1_fancy_upsample: a 3/4, 1/4 triangle filter across
// columns, with alternating rounding biases 1 and 2.
func (p *plane) h2v1Fancy(out []byte, W, H int) {
	row := make([]byte, 2*p.w)
	for y := 0; y < H; y++ {
		p.fancyRow(row, y, y, 0)
		copy(out[y*W:(y+1)*W], row)
	}
}

// h1v2Fancy is h1v2_fancy_upsample: 3/4 nearer row + 1/4 further row, with
// bias 1 for the upper and 2 for the lower output row of each pair.
func (p *plane) h1v2Fancy(out []byte, W, H int) {
	for y := 0; y < H; y++ {
		near, far, bias := y/2, y/2-1, int32(1)
		if y%2 == 1 {
			far, bias = y/2+1, 2
		}
		for x := 0; x < W; x++ {
			out[y*W+x] = byte((3*p.at(x, near) + p.at(x, far) + bias) >> 2)
		}
	}
}

// h2v2Fancy is h2v2_fancy_upsample: column sums 3*near + far, then the same
// triangle filter across columns, with biases 8 and 7 over 16.
func (p *plane) h2v2Fancy(out []byte, W, H int) {
	row := make([]byte, 2*p.w)
	for y := 0; y < H; y++ {
		near, far := y/2, y/2-1
		if y%2 == 1 {
			far = y/2 + 1
		}
		p.fancyRow(row, near, far, 1)
		copy(out[y*W:(y+1)*W], row)
	}
}

// fancyRow writes 2*p.w horizontally upsampled samples. With vertical == 0 it
// is h2v1_fancy_upsample of row near; with vertical == 1 it is one output row
// of h2v2_fancy_upsample built from column sums 3*near + far.
func (p *plane) fancyRow(row []byte, near, far int, vertical int) {
	col := func(x int) int32 {
		if vertical == 0 {
			return p.at(x, near)
		}
		return 3*p.at(x, near) + p.at(x, far)
	}
	// Rounding: h2v1 uses (3a + b + {1,2}) >> 2 and copies the end samples;
	// h2v2 uses (3a + b + {8,7}) >> 4 and (4a + {8,7}) >> 4 at the ends.
	shift, left, right := uint(2), int32(1), int32(2)
	if vertical == 1 {
		shift, left, right = 4, 8, 7
	}
	last := p.w - 1
	for x := 0; x <= last; x++ {
		this := col(x)
		prev, next := this, this
		if x > 0 {
			prev = col(x - 1)
		}
		if x < last {
			next = col(x + 1)
		}
		row[2*x] = byte((3*this + prev + left) >> shift)
		row[2*x+1] = byte((3*this + next + right) >> shift)
	}
}
