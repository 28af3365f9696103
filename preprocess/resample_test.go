package preprocess

import (
	"image"
	"testing"
)

// applyResample runs r on the RGB bytes of img as the GPU kernels do
// (two int32 passes over the flat taps) and returns the [3, side, side]
// crop.
func applyResample(img *image.RGBA, r Resample) []uint8 {
	k := r.MaxTaps()
	ht, vt := Flat(r.H, k), Flat(r.V, k)
	clip := func(v int32) uint8 { return clip8(v) }
	tmp := make([]uint8, 3*r.Side*r.Rows) // [row][x][c]
	for y := 0; y < r.Rows; y++ {
		for x := 0; x < r.Side; x++ {
			rec := ht[x*(k+2):]
			for c := 0; c < 3; c++ {
				s := int32(1 << (PrecisionBits - 1))
				for i := 0; i < int(rec[1]); i++ {
					s += int32(img.Pix[img.PixOffset(int(rec[0])+i, r.Row0+y)+c]) * rec[2+i]
				}
				tmp[(y*r.Side+x)*3+c] = clip(s)
			}
		}
	}
	out := make([]uint8, 3*r.Side*r.Side)
	for y := 0; y < r.Side; y++ {
		rec := vt[y*(k+2):]
		for x := 0; x < r.Side; x++ {
			for c := 0; c < 3; c++ {
				s := int32(1 << (PrecisionBits - 1))
				for i := 0; i < int(rec[1]); i++ {
					s += int32(tmp[((int(rec[0])+i)*r.Side+x)*3+c]) * rec[2+i]
				}
				out[c*r.Side*r.Side+y*r.Side+x] = clip(s)
			}
		}
	}
	return out
}

// TestResampleMatchesUnnormalized checks that the two flat passes of
// NewResample give exactly Unnormalized's crop, for downscales, upscales,
// sizes that need no horizontal or vertical resize, and odd sizes.
func TestResampleMatchesUnnormalized(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 701, 523))
	for i := range src.Pix {
		src.Pix[i] = uint8((i*2654435761)>>13) ^ uint8(i/2801)
	}
	for _, c := range []struct{ w, h, side int }{
		{640, 480, 224}, {701, 523, 224}, {236, 300, 224}, {300, 236, 224}, {236, 236, 224},
		{100, 80, 224}, {33, 200, 64}, {640, 480, 32}, {224, 224, 224},
	} {
		img := src.SubImage(image.Rect(0, 0, c.w, c.h)).(*image.RGBA)
		r := NewResample(c.w, c.h, c.side)
		got, want := applyResample(img, r), Unnormalized(img, c.side)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%dx%d → %d: byte %d is %d, Unnormalized gives %d", c.w, c.h, c.side, i, got[i], want[i])
				break
			}
		}
		if r.Row0 < 0 || r.Row0+r.Rows > c.h || len(r.H) != c.side || len(r.V) != c.side {
			t.Errorf("%dx%d → %d: rows %d+%d, %d/%d taps", c.w, c.h, c.side, r.Row0, r.Rows, len(r.H), len(r.V))
		}
	}
}
