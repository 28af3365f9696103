package preprocess

// Resample is the evaluation preprocessing of a Width×Height image to a
// Side×Side crop (Unnormalized) written as two separable passes of Pillow's
// fixed-point bicubic taps, for kernels that run it elsewhere (the GPU
// kernels of package kernels): a horizontal pass over source rows
// Row0..Row0+Rows-1 giving Side columns, then a vertical pass over those
// rows giving Side rows. Each pass sums source bytes times its taps in
// int32 starting from 1<<(PrecisionBits-1), and clips the sum shifted
// right by PrecisionBits to 0..255, exactly as Pillow (and Unnormalized)
// do; a dimension that is not resized gets one tap of weight
// 1<<PrecisionBits, which copies the byte.
type Resample struct {
	Width, Height, Side int
	Row0, Rows          int
	// H and V hold Side entries each: the first source column (absolute)
	// or row (relative to Row0) and the weights.
	H, V []Taps
}

// Taps are one output sample's source range and fixed-point weights.
type Taps struct {
	Min     int
	Weights []int32
}

// PrecisionBits is the fixed-point precision of Resample's weights
// (Pillow's PRECISION_BITS for 8-bit images).
const PrecisionBits = precisionBits

// NewResample plans the preprocessing of a w×h image to side×side (w, h
// and side at least 1).
func NewResample(w, h, side int) Resample {
	nw, nh := ResizedSize(w, h, ResizeShortSide(side))
	x0, y0 := CropOffset(nw, side), CropOffset(nh, side)
	r := Resample{Width: w, Height: h, Side: side}
	r.H = passTaps(w, nw, x0, side)
	r.V = passTaps(h, nh, y0, side)
	lo, hi := r.V[0].Min, 0
	for _, t := range r.V {
		lo = min(lo, t.Min)
		hi = max(hi, t.Min+len(t.Weights))
	}
	r.Row0, r.Rows = lo, hi-lo
	for i := range r.V {
		r.V[i].Min -= lo
	}
	return r
}

// passTaps is coeffs for a resize from in to out samples, or the identity
// when in == out, for outputs first..first+n-1.
func passTaps(in, out, first, n int) []Taps {
	res := make([]Taps, n)
	if in == out {
		for i := range res {
			res[i] = Taps{Min: first + i, Weights: []int32{1 << precisionBits}}
		}
		return res
	}
	for i, t := range coeffs(in, out, first, n) {
		res[i] = Taps{Min: t.min, Weights: t.k}
	}
	return res
}

// MaxTaps is the largest number of weights of any entry of H and V.
func (r Resample) MaxTaps() int {
	k := 1
	for _, t := range append(append([]Taps(nil), r.H...), r.V...) {
		k = max(k, len(t.Weights))
	}
	return k
}

// Flat lays taps out as int32 records of stride k+2: the first source
// index, the number of weights, then the weights padded with zeros to k.
func Flat(taps []Taps, k int) []int32 {
	out := make([]int32, 0, len(taps)*(k+2))
	for _, t := range taps {
		out = append(out, int32(t.Min), int32(len(t.Weights)))
		out = append(out, t.Weights...)
		for range k - len(t.Weights) {
			out = append(out, 0)
		}
	}
	return out
}
