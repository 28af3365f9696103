package preprocess

// This file reproduces Pillow's 8-bit resampling (libImaging/Resample.c,
// Pillow 7 to 11, HPND licence) for the BICUBIC filter, restricted to a window of output
// pixels. Each output pixel's coefficients depend only on its own index, so
// computing a window gives exactly the pixels of the full resize.

// precisionBits is Pillow's PRECISION_BITS for 8-bit images: 32 - 8 - 2.
const precisionBits = 32 - 8 - 2

// bicubicSupport is the support of Pillow's bicubic filter.
const bicubicSupport = 2.0

// bicubic is Pillow's bicubic_filter with a = -0.5. The float64 conversions
// keep the compiler from fusing multiply-adds, which would change rounding.
func bicubic(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return float64(float64(float64((a+2)*x)-(a+3))*x)*x + 1
	}
	if x < 2 {
		return float64(float64(float64(float64(x-5)*x)+8)*x-4) * a
	}
	return 0
}

// taps holds one output sample's source range and fixed-point weights.
type taps struct {
	min int
	k   []int32
}

// coeffs is Pillow's precompute_coeffs followed by normalize_coeffs_8bpc, for
// output indices first..first+n-1 of a resize from inSize to outSize.
func coeffs(inSize, outSize, first, n int) []taps {
	scale := float64(inSize) / float64(outSize)
	filterScale := max(scale, 1)
	support := bicubicSupport * filterScale
	ss := 1 / filterScale
	out := make([]taps, n)
	w := make([]float64, 0, int(support)*2+3)
	for i := range out {
		xx := first + i
		center := float64(float64(xx)+0.5) * scale
		xmin := int(center - support + 0.5)
		xmin = max(xmin, 0)
		xmax := int(center + support + 0.5)
		xmax = min(xmax, inSize) - xmin
		w = w[:0]
		ww := 0.0
		for x := 0; x < xmax; x++ {
			v := bicubic(float64(float64(float64(x+xmin)-center)+0.5) * ss)
			w = append(w, v)
			ww += v
		}
		k := make([]int32, len(w))
		for x, v := range w {
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				k[x] = int32(-0.5 + float64(v*(1<<precisionBits)))
			} else {
				k[x] = int32(0.5 + float64(v*(1<<precisionBits)))
			}
		}
		out[i] = taps{min: xmin, k: k}
	}
	return out
}

// clip8 is Pillow's clip8 for PRECISION_BITS fixed-point sums.
func clip8(v int32) uint8 {
	if v >= 1<<precisionBits<<8 {
		return 255
	}
	if v <= 0 {
		return 0
	}
	return uint8(v >> precisionBits)
}

// rgbPlane is an RGB image stored as Pillow stores it, 4 bytes per pixel
// (the fourth is ignored); stride is the row length in bytes.
type rgbPlane struct {
	pix          []uint8
	w, h, stride int
}

func newPlane(w, h int) rgbPlane {
	return rgbPlane{pix: make([]uint8, 4*w*h), w: w, h: h, stride: 4 * w}
}

// resizeWindow returns the pixels [x0, x0+cw) x [y0, y0+ch) of the image
// resized to nw x nh by Pillow's Image.resize((nw, nh), BICUBIC): a
// horizontal pass when the width changes, then a vertical pass when the
// height changes, each rounded and clipped to uint8.
func resizeWindow(src rgbPlane, nw, nh, x0, y0, cw, ch int) rgbPlane {
	if src.w == nw && src.h == nh {
		return crop(src, x0, y0, cw, ch)
	}
	// Source rows that the vertical pass (or the crop) reads.
	var vert []taps
	rowLo, rowHi := y0, y0+ch
	if src.h != nh {
		vert = coeffs(src.h, nh, y0, ch)
		rowLo, rowHi = vert[0].min, 0
		for _, t := range vert {
			rowLo = min(rowLo, t.min)
			rowHi = max(rowHi, t.min+len(t.k))
		}
	}
	// A view of those rows, without copying.
	tmp := rgbPlane{pix: src.pix[rowLo*src.stride:], w: src.w, h: rowHi - rowLo, stride: src.stride}
	if src.w != nw {
		tmp = horizontal(tmp, coeffs(src.w, nw, x0, cw))
	} else {
		tmp = crop(tmp, x0, 0, cw, tmp.h)
	}
	if vert == nil {
		return crop(tmp, 0, y0-rowLo, cw, ch)
	}
	for i := range vert {
		vert[i].min -= rowLo
	}
	return vertical(tmp, vert)
}

// crop copies a rectangle of p.
func crop(p rgbPlane, x0, y0, w, h int) rgbPlane {
	out := newPlane(w, h)
	for y := 0; y < h; y++ {
		copy(out.pix[y*out.stride:(y+1)*out.stride], p.pix[(y0+y)*p.stride+4*x0:])
	}
	return out
}

// horizontal is ImagingResampleHorizontal_8bpc.
func horizontal(p rgbPlane, t []taps) rgbPlane {
	out := newPlane(len(t), p.h)
	for y := 0; y < p.h; y++ {
		row := p.pix[y*p.stride : y*p.stride+4*p.w]
		o := out.pix[y*out.stride:]
		for x, tp := range t {
			s0, s1, s2 := int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1))
			src := row[4*tp.min:]
			for i, k := range tp.k {
				s0 += int32(src[4*i]) * k
				s1 += int32(src[4*i+1]) * k
				s2 += int32(src[4*i+2]) * k
			}
			o[4*x], o[4*x+1], o[4*x+2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
	return out
}

// vertical is ImagingResampleVertical_8bpc.
func vertical(p rgbPlane, t []taps) rgbPlane {
	out := newPlane(p.w, len(t))
	n := 4 * p.w
	acc := make([]int32, n)
	for y, tp := range t {
		for i := range acc {
			acc[i] = 1 << (precisionBits - 1)
		}
		for i, k := range tp.k {
			row := p.pix[(tp.min+i)*p.stride : (tp.min+i)*p.stride+n]
			for j, v := range row {
				acc[j] += int32(v) * k
			}
		}
		o := out.pix[y*out.stride : y*out.stride+n]
		for j, v := range acc {
			o[j] = clip8(v)
		}
	}
	return out
}
