package model

import (
	"math"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/internal/synth"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// pseudo returns n deterministic values in [-1, 1).
func pseudo(n, seed int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(2*synth.Uniform(uint64(seed), i) - 1)
	}
	return out
}

// TestFlippedTransposeIsConvTranspose checks the stride-1 ConvTranspose
// rewrite against the scatter definition of spec §2.1:
// out[o, iy−1+ky, ix−1+kx] += in[i, iy, ix]·W[i, o, ky, kx].
func TestFlippedTransposeIsConvTranspose(t *testing.T) {
	const cin, cout, h, w, k = 3, 5, 4, 6, 3
	x := ref.NewTensor(1, h, w, cin)
	copy(x.Data, pseudo(len(x.Data), 1))
	wt := pseudo(cin*cout*k*k, 2) // torch [cin][cout][k][k]
	want := ref.NewTensor(1, h, w, cout)
	for iy := 0; iy < h; iy++ {
		for ix := 0; ix < w; ix++ {
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					oy, ox := iy-1+ky, ix-1+kx
					if oy < 0 || oy >= h || ox < 0 || ox >= w {
						continue
					}
					for i := 0; i < cin; i++ {
						for o := 0; o < cout; o++ {
							want.Data[(oy*w+ox)*cout+o] += x.Data[(iy*w+ix)*cin+i] * wt[((i*cout+o)*k+ky)*k+kx]
						}
					}
				}
			}
		}
	}
	got := ref.Conv2D(x, flippedTransposeHWIO(wt, cin, cout, k), nil, k, 1, cout, act.None, nil)
	if d := ref.MaxAbsDiff(got.Data, want.Data); d > 1e-5 {
		t.Errorf("flipped conv differs from ConvTranspose by %g", d)
	}
}

// TestFoldBN checks conv+BN folding on one output pixel of a 1×1 conv.
func TestFoldBN(t *testing.T) {
	const cin, cout = 3, 2
	w := pseudo(cout*cin, 3)
	bias := []float32{0.5, -0.25}
	gamma, beta := []float32{1.5, 0.7}, []float32{0.1, -0.2}
	mean, variance := []float32{0.3, -0.4}, []float32{2, 0.5}
	x := []float32{0.9, -1.1, 0.4}
	fw, fb := foldBN(w, bias, gamma, beta, mean, variance)
	for o := 0; o < cout; o++ {
		conv := float64(bias[o])
		folded := float64(fb[o])
		for i := 0; i < cin; i++ {
			conv += float64(w[o*cin+i]) * float64(x[i])
			folded += float64(fw[o*cin+i]) * float64(x[i])
		}
		bn := (conv-float64(mean[o]))/math.Sqrt(float64(variance[o])+1e-5)*float64(gamma[o]) + float64(beta[o])
		if math.Abs(bn-folded) > 1e-6 {
			t.Errorf("channel %d: folded %g, conv+BN %g", o, folded, bn)
		}
	}
}

// TestDenseHWIOPadsInput checks the layout change and the zero padding of
// the stem's fourth input channel.
func TestDenseHWIOPadsInput(t *testing.T) {
	const cout, cin, k, pad = 2, 3, 3, 4
	w := pseudo(cout*cin*k*k, 4)
	got := denseHWIO(w, cout, cin, k, pad)
	for o := 0; o < cout; o++ {
		for i := 0; i < pad; i++ {
			for t0 := 0; t0 < k*k; t0++ {
				v := got[(t0*pad+i)*cout+o]
				want := float32(0)
				if i < cin {
					want = w[(o*cin+i)*k*k+t0]
				}
				if v != want {
					t.Fatalf("o=%d i=%d tap=%d: %v, want %v", o, i, t0, v, want)
				}
			}
		}
	}
}

// TestLayoutsMoveEveryWeight compares the blocked layout changes with
// their definitions, element by element, on shapes around the block size
// (layoutBlock) and with padding, flips and kernel sizes 1, 3 and 4.
func TestLayoutsMoveEveryWeight(t *testing.T) {
	for _, c := range []struct{ cout, cin, k, pad int }{
		{1, 1, 1, 1}, {16, 8, 1, 8}, {17, 5, 3, 8}, {40, 33, 1, 33}, {3, 3, 3, 4}, {33, 16, 4, 16},
	} {
		kk := c.k * c.k
		w := pseudo(c.cout*c.cin*kk, c.cout+c.cin)
		got := denseHWIO(w, c.cout, c.cin, c.k, c.pad)
		for o := 0; o < c.cout; o++ {
			for i := 0; i < c.pad; i++ {
				for tap := 0; tap < kk; tap++ {
					want := float32(0)
					if i < c.cin {
						want = w[(o*c.cin+i)*kk+tap]
					}
					if v := got[(tap*c.pad+i)*c.cout+o]; v != want {
						t.Fatalf("denseHWIO %+v: o=%d i=%d tap=%d: %v, want %v", c, o, i, tap, v, want)
					}
				}
			}
		}
		// As a ConvTranspose2d weight [cin=cout][cout=cin][k][k].
		cin, cout := c.cout, c.cin
		for _, flip := range []bool{false, true} {
			got := convTLayout(w, cin, cout, c.k, flip)
			for i := 0; i < cin; i++ {
				for o := 0; o < cout; o++ {
					for ky := 0; ky < c.k; ky++ {
						for kx := 0; kx < c.k; kx++ {
							sy, sx := ky, kx
							if flip {
								sy, sx = c.k-1-ky, c.k-1-kx
							}
							want := w[((i*cout+o)*c.k+sy)*c.k+sx]
							if v := got[((ky*c.k+kx)*cin+i)*cout+o]; v != want {
								t.Fatalf("convTLayout %+v flip %v: i=%d o=%d tap %d,%d: %v, want %v", c, flip, i, o, ky, kx, v, want)
							}
						}
					}
				}
			}
		}
		// As a Linear weight [n=cout][k=cin·kk].
		n, k := c.cout, c.cin*kk
		got = linearKN(w, n, k)
		for o := 0; o < n; o++ {
			for i := 0; i < k; i++ {
				if v, want := got[i*n+o], w[o*k+i]; v != want {
					t.Fatalf("linearKN %dx%d: o=%d i=%d: %v, want %v", n, k, o, i, v, want)
				}
			}
		}
	}
}

// TestFlushSubnormalsEdges: exactly the nonzero values below the smallest
// normal float32 become zero, of either sign; zeros, the smallest normal,
// infinities and NaN stay.
func TestFlushSubnormalsEdges(t *testing.T) {
	minNormal := math.Float32frombits(1 << 23)
	maxSub := math.Float32frombits(1<<23 - 1)
	minSub := math.Float32frombits(1)
	negZero := float32(math.Copysign(0, -1))
	nan := float32(math.NaN())
	for _, c := range []struct {
		in, want float32
	}{
		{0, 0}, {negZero, negZero}, {minSub, 0}, {-minSub, 0}, {maxSub, 0}, {-maxSub, 0},
		{minNormal, minNormal}, {-minNormal, -minNormal}, {1, 1}, {float32(math.Inf(-1)), float32(math.Inf(-1))},
	} {
		op := &Linear{Weight: []float32{c.in}}
		flushSubnormals(op)
		if got := op.Weight[0]; math.Float32bits(got) != math.Float32bits(c.want) {
			t.Errorf("flushSubnormals(%g) = %g, want %g", c.in, got, c.want)
		}
	}
	op := &Linear{Weight: []float32{nan}}
	if flushSubnormals(op); !math.IsNaN(float64(op.Weight[0])) {
		t.Errorf("flushSubnormals(NaN) = %g", op.Weight[0])
	}
}

// TestFirstSubnormal finds the first subnormal at every position of short
// slices, at both alignments of their memory, among normal values and
// zeros (a pair of zeros takes the slow test of a pair).
func TestFirstSubnormal(t *testing.T) {
	sub := math.Float32frombits(3)
	for n := 0; n < 10; n++ {
		for off := 0; off < 2; off++ {
			base := make([]float32, n+1)
			for i := range base {
				base[i] = float32(i%3) * 0.5 // zeros and normals
			}
			w := base[off : off+n]
			if got := firstSubnormal(w); got != -1 {
				t.Fatalf("n=%d off=%d: no subnormal, firstSubnormal = %d", n, off, got)
			}
			for p := 0; p < n; p++ {
				for _, s := range []float32{sub, -sub} {
					w[p] = s
					if p+1 < n {
						w[n-1] = s // a later one does not count
					}
					if got := firstSubnormal(w); got != p {
						t.Fatalf("n=%d off=%d: subnormal at %d, firstSubnormal = %d", n, off, p, got)
					}
					for i := p; i < n; i++ {
						w[i] = float32(i%3) * 0.5
					}
				}
			}
		}
	}
}
