package model

import "math"

// bnEps is the epsilon of every BatchNorm in LowFormer.
const bnEps = 1e-5

// foldBN folds an eval-mode BatchNorm into the conv before it (spec §8):
// with s = gamma/sqrt(var+eps), w' = w·s[o] and b' = (b − mean)·s + beta,
// computed in float64. w is in PyTorch layout (output channel outermost);
// bias may be nil (zeros). New slices are returned.
func foldBN(w, bias, gamma, beta, mean, variance []float32) (fw, fb []float32) {
	c := len(gamma)
	per := len(w) / c
	fw, fb = make([]float32, len(w)), make([]float32, c)
	for o := 0; o < c; o++ {
		s := float64(gamma[o]) / math.Sqrt(float64(variance[o])+bnEps)
		dst := fw[o*per : (o+1)*per]
		for i, v := range w[o*per : (o+1)*per] {
			dst[i] = float32(float64(v) * s)
		}
		b := 0.0
		if bias != nil {
			b = float64(bias[o])
		}
		fb[o] = float32((b-float64(mean[o]))*s + float64(beta[o]))
	}
	return fw, fb
}

// denseHWIO turns a Conv2d weight [cout][cin][k][k] into [k][k][cinPad][cout],
// with zero weights for the input channels cin..cinPad-1.
func denseHWIO(w []float32, cout, cin, k, cinPad int) []float32 {
	kk := k * k
	out := make([]float32, kk*cinPad*cout)
	// Output channels in blocks, so that the rows of w a block reads stay
	// in cache while each output row gets a contiguous run.
	for o0 := 0; o0 < cout; o0 += layoutBlock {
		o1 := min(o0+layoutBlock, cout)
		for i := 0; i < cin; i++ {
			for t := 0; t < kk; t++ {
				row := out[(t*cinPad+i)*cout : (t*cinPad+i+1)*cout]
				for o, s := o0, (o0*cin+i)*kk+t; o < o1; o, s = o+1, s+cin*kk {
					row[o] = w[s]
				}
			}
		}
	}
	return out
}

// layoutBlock is how many output channels denseHWIO moves together.
const layoutBlock = 16

// depthwiseHWC turns a depthwise Conv2d weight [c][1][k][k] into [k][k][c].
func depthwiseHWC(w []float32, c, k int) []float32 {
	out := make([]float32, k*k*c)
	for ch := 0; ch < c; ch++ {
		for t := 0; t < k*k; t++ {
			out[t*c+ch] = w[ch*k*k+t]
		}
	}
	return out
}

// transposeHWIO turns a ConvTranspose2d weight [cin][cout][k][k] into
// [k][k][cin][cout] (same taps, no flip).
func transposeHWIO(w []float32, cin, cout, k int) []float32 {
	return convTLayout(w, cin, cout, k, false)
}

// flippedTransposeHWIO turns the weight [cin][cout][k][k] of a
// ConvTranspose2d with stride 1 and padding k/2 into the HWIO weight of the
// equivalent "same" conv: W'[ky][kx][i][o] = W[i][o][k-1-ky][k-1-kx].
func flippedTransposeHWIO(w []float32, cin, cout, k int) []float32 {
	return convTLayout(w, cin, cout, k, true)
}

// convTLayout reorders [cin][cout][k][k] to [k][k][cin][cout], flipping the
// kernel when flip is set.
func convTLayout(w []float32, cin, cout, k int, flip bool) []float32 {
	kk := k * k
	out := make([]float32, kk*cin*cout)
	for i := 0; i < cin; i++ {
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				sy, sx := ky, kx
				if flip {
					sy, sx = k-1-ky, k-1-kx
				}
				row := out[((ky*k+kx)*cin+i)*cout : ((ky*k+kx)*cin+i+1)*cout]
				for o, s := 0, i*cout*kk+sy*k+sx; o < cout; o, s = o+1, s+kk {
					row[o] = w[s]
				}
			}
		}
	}
	return out
}

// linearKN turns an nn.Linear weight [n][k] into [k][n].
func linearKN(w []float32, n, k int) []float32 {
	out := make([]float32, k*n)
	for o := 0; o < n; o++ {
		for i := 0; i < k; i++ {
			out[i*n+o] = w[o*k+i]
		}
	}
	return out
}
