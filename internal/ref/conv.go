package ref

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/act"
)

// ConvOutSize is the output length of a convolution with kernel k, stride s
// and "same" padding k/2 over an input of length n.
func ConvOutSize(n, k, s int) int { return (n+2*(k/2)-k)/s + 1 }

// Conv2D is a dense 2-D convolution with padding k/2: out = act(conv(x) +
// bias) + residual. w is [k][k][Cin][Cout] (HWIO); bias and residual may be
// nil. Accumulation is in float64. It panics on inconsistent shapes.
func Conv2D(x *Tensor, w, bias []float32, k, stride, cout int, fn act.Func, residual *Tensor) *Tensor {
	cin := x.C
	checkLen("Conv2D", "weight", w, k*k*cin*cout, false)
	checkLen("Conv2D", "bias", bias, cout, true)
	return convolve("Conv2D", x, k, stride, cout, bias, fn, residual, func(acc []float64, px []float32, ky, kx int) {
		wk := w[(ky*k+kx)*cin*cout:]
		for ci, xv := range px {
			if xv == 0 {
				continue
			}
			xf := float64(xv)
			for o, wv := range wk[ci*cout : (ci+1)*cout] {
				acc[o] += xf * float64(wv)
			}
		}
	})
}

// DepthwiseConv2D is a depthwise (groups == C) 2-D convolution with padding
// k/2: out = act(conv(x) + bias) + residual. w is [k][k][C].
func DepthwiseConv2D(x *Tensor, w, bias []float32, k, stride int, fn act.Func, residual *Tensor) *Tensor {
	c := x.C
	checkLen("DepthwiseConv2D", "weight", w, k*k*c, false)
	checkLen("DepthwiseConv2D", "bias", bias, c, true)
	return convolve("DepthwiseConv2D", x, k, stride, c, bias, fn, residual, func(acc []float64, px []float32, ky, kx int) {
		wk := w[(ky*k+kx)*c:][:c]
		for ch, xv := range px {
			acc[ch] += float64(xv) * float64(wk[ch])
		}
	})
}

// convolve is the loop shared by the k×k convolutions with padding k/2: for
// every output pixel it starts from the bias, calls tap with the input
// pixel under each in-bounds kernel tap (ky, kx), and applies the epilogue
// act(acc) + residual.
func convolve(op string, x *Tensor, k, stride, cout int, bias []float32, fn act.Func, residual *Tensor,
	tap func(acc []float64, px []float32, ky, kx int)) *Tensor {
	ho, wo := ConvOutSize(x.H, k, stride), ConvOutSize(x.W, k, stride)
	checkResidual(op, residual, x.N, ho, wo, cout)
	out := NewTensor(x.N, ho, wo, cout)
	pad := k / 2
	parallelFor(x.N*ho, func(row int) {
		n, oy := row/ho, row%ho
		acc := make([]float64, cout)
		for ox := 0; ox < wo; ox++ {
			initBias(acc, bias)
			for ky := 0; ky < k; ky++ {
				iy := oy*stride - pad + ky
				if iy < 0 || iy >= x.H {
					continue
				}
				for kx := 0; kx < k; kx++ {
					if ix := ox*stride - pad + kx; ix >= 0 && ix < x.W {
						tap(acc, x.pixel(n, iy, ix), ky, kx)
					}
				}
			}
			finish(out.pixel(n, oy, ox), acc, fn, residualPixel(residual, n, oy, ox))
		}
	})
	return out
}

// ConvTranspose4x4S2 is a dense ConvTranspose2d with kernel 4, stride 2 and
// padding 1 (output 2H×2W), cropped to its top-left cropH×cropW corner:
// out = crop(convT(x) + bias) + residual. w is [4][4][Cin][Cout], i.e.
// w[ky][kx][i][o] = torch weight[i][o][ky][kx].
func ConvTranspose4x4S2(x *Tensor, w, bias []float32, cout, cropH, cropW int, residual *Tensor) *Tensor {
	const k, stride, pad = 4, 2, 1
	cin := x.C
	checkLen("ConvTranspose4x4S2", "weight", w, k*k*cin*cout, false)
	checkLen("ConvTranspose4x4S2", "bias", bias, cout, true)
	if cropH < 1 || cropW < 1 || cropH > 2*x.H || cropW > 2*x.W {
		panic(fmt.Sprintf("ref: ConvTranspose4x4S2 crop %dx%d outside the %dx%d output", cropH, cropW, 2*x.H, 2*x.W))
	}
	checkResidual("ConvTranspose4x4S2", residual, x.N, cropH, cropW, cout)
	out := NewTensor(x.N, cropH, cropW, cout)
	parallelFor(x.N*cropH, func(row int) {
		n, oy := row/cropH, row%cropH
		acc := make([]float64, cout)
		for ox := 0; ox < cropW; ox++ {
			initBias(acc, bias)
			// out[oy] gathers in[iy] through ky = oy + pad - stride*iy.
			for iy := 0; iy < x.H; iy++ {
				ky := oy + pad - stride*iy
				if ky < 0 || ky >= k {
					continue
				}
				for ix := 0; ix < x.W; ix++ {
					kx := ox + pad - stride*ix
					if kx < 0 || kx >= k {
						continue
					}
					wk := w[(ky*k+kx)*cin*cout:]
					for ci, xv := range x.pixel(n, iy, ix) {
						xf := float64(xv)
						for o, wv := range wk[ci*cout : (ci+1)*cout] {
							acc[o] += xf * float64(wv)
						}
					}
				}
			}
			finish(out.pixel(n, oy, ox), acc, act.None, residualPixel(residual, n, oy, ox))
		}
	})
	return out
}

// residualPixel returns the residual's values at (n, y, x), or nil.
func residualPixel(r *Tensor, n, y, x int) []float32 {
	if r == nil {
		return nil
	}
	return r.pixel(n, y, x)
}
