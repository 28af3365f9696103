//go:build !js || lowformer_allformats

package preprocess

import (
	"fmt"
	"image"
	"io"

	"golang.org/x/image/webp"
)

// decodeWebP decodes a WebP file. Lossless images come back as
// *image.NRGBA (exact). Lossy ones are 4:2:0 YUV, which libwebp (and so
// Pillow) turns into RGB with its "fancy" upsampler and fixed-point
// conversion; that is reproduced here because Go's YCbCr conversion differs.
func decodeWebP(r io.Reader) (image.Image, error) {
	img, err := webp.Decode(r)
	if err != nil {
		return nil, err
	}
	switch m := img.(type) {
	case *image.YCbCr:
		return webpYUVToRGB(m)
	case *image.NYCbCrA:
		// Pillow decodes to non-premultiplied RGBA; alpha is then dropped.
		return webpYUVToRGB(&m.YCbCr)
	}
	return img, nil
}

// webpYUVToRGB is libwebp's (BSD licence) EmitFancyRGB with the generic UpsampleRgbLinePair
// (src/dec/io_dec.c, src/dsp/upsampling.c) and VP8YuvToRgb (src/dsp/yuv.h).
// Output row y takes its chroma from the nearer chroma row (weight 3) and the
// farther one (weight 1), replicating the first and last chroma rows; within
// a row, samples 2x-1 and 2x are bilinear (9,3,3,1)/16 mixes rounded as
// libwebp's packed arithmetic rounds them.
func webpYUVToRGB(m *image.YCbCr) (*image.RGBA, error) {
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, fmt.Errorf("unexpected WebP chroma subsampling %v", m.SubsampleRatio)
	}
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	uvW, uvH := (w+1)/2, (h+1)/2
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	u := make([]uint8, w)
	v := make([]uint8, w)
	for y := 0; y < h; y++ {
		near, far := y/2, y/2-1
		if y%2 == 1 {
			near, far = (y-1)/2, (y+1)/2
		}
		far = min(max(far, 0), uvH-1)
		rowOf := func(plane []uint8, cy int) []uint8 {
			o := m.COffset(b.Min.X, b.Min.Y+2*cy)
			return plane[o : o+uvW]
		}
		upsampleLine(u, rowOf(m.Cb, near), rowOf(m.Cb, far))
		upsampleLine(v, rowOf(m.Cr, near), rowOf(m.Cr, far))
		yo := m.YOffset(b.Min.X, b.Min.Y+y)
		for x := 0; x < w; x++ {
			o := out.PixOffset(x, y)
			yy := int(m.Y[yo+x])
			out.Pix[o+0] = vp8Clip8(mulHi(yy, 19077) + mulHi(int(v[x]), 26149) - 14234)
			out.Pix[o+1] = vp8Clip8(mulHi(yy, 19077) - mulHi(int(u[x]), 6419) - mulHi(int(v[x]), 13320) + 8708)
			out.Pix[o+2] = vp8Clip8(mulHi(yy, 19077) + mulHi(int(u[x]), 33050) - 17685)
			out.Pix[o+3] = 255
		}
	}
	return out, nil
}

// upsampleLine fills dst (one full-resolution row of one chroma plane) from
// the nearer and farther chroma rows, as UPSAMPLE_FUNC does per channel.
func upsampleLine(dst, near, far []uint8) {
	w := len(dst)
	n := func(i int) int { return int(near[i]) }
	f := func(i int) int { return int(far[i]) }
	dst[0] = uint8((3*n(0) + f(0) + 2) >> 2)
	last := (w - 1) >> 1
	for x := 1; x <= last; x++ {
		avg := n(x-1) + n(x) + f(x-1) + f(x) + 8
		dst[2*x-1] = uint8(((avg+2*(n(x)+f(x-1)))>>3 + n(x-1)) >> 1)
		dst[2*x] = uint8(((avg+2*(n(x-1)+f(x)))>>3 + n(x)) >> 1)
	}
	if w&1 == 0 {
		dst[w-1] = uint8((3*n(last) + f(last) + 2) >> 2)
	}
}

// mulHi and vp8Clip8 are libwebp's MultHi and VP8Clip8 (YUV_FIX2 = 6).
func mulHi(v, coeff int) int { return (v * coeff) >> 8 }

func vp8Clip8(v int) uint8 {
	const mask = (256 << 6) - 1
	if v&^mask == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}
