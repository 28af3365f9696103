package ref

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/act"
)

// Tensor is an NHWC float32 activation: element (n, y, x, c) is
// Data[((n*H+y)*W+x)*C+c].
type Tensor struct {
	N, H, W, C int
	Data       []float32
}

// NewTensor returns a zeroed N×H×W×C tensor.
func NewTensor(n, h, w, c int) *Tensor {
	return &Tensor{N: n, H: h, W: w, C: c, Data: make([]float32, n*h*w*c)}
}

// FromNCHW converts an NCHW (PyTorch layout) buffer of n×c×h×w values into
// an NHWC tensor. It panics if len(data) != n*c*h*w.
func FromNCHW(data []float32, n, c, h, w int) *Tensor {
	if len(data) != n*c*h*w {
		panic(fmt.Sprintf("ref: FromNCHW got %d values for shape [%d %d %d %d]", len(data), n, c, h, w))
	}
	t := NewTensor(n, h, w, c)
	hw := h * w
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			src := data[(b*c+ch)*hw:][:hw]
			for p, v := range src {
				t.Data[(b*hw+p)*c+ch] = v
			}
		}
	}
	return t
}

// NCHW returns the tensor's values in NCHW (PyTorch) order.
func (t *Tensor) NCHW() []float32 {
	out := make([]float32, len(t.Data))
	hw := t.H * t.W
	for b := 0; b < t.N; b++ {
		for p := 0; p < hw; p++ {
			src := t.Data[(b*hw+p)*t.C:][:t.C]
			for ch, v := range src {
				out[(b*t.C+ch)*hw+p] = v
			}
		}
	}
	return out
}

// Shape returns [N H W C].
func (t *Tensor) Shape() [4]int { return [4]int{t.N, t.H, t.W, t.C} }

// pixel returns the C values of pixel (n, y, x).
func (t *Tensor) pixel(n, y, x int) []float32 {
	return t.Data[((n*t.H+y)*t.W+x)*t.C:][:t.C]
}

// checkResidual panics unless r is nil or has the shape n×h×w×c.
func checkResidual(op string, r *Tensor, n, h, w, c int) {
	if r != nil && (r.N != n || r.H != h || r.W != w || r.C != c) {
		panic(fmt.Sprintf("ref: %s residual has shape %v, output is [%d %d %d %d]", op, r.Shape(), n, h, w, c))
	}
}

// checkLen panics unless len(s) == want (a nil s is allowed when nilOK).
func checkLen(op, what string, s []float32, want int, nilOK bool) {
	if (s == nil && nilOK) || len(s) == want {
		return
	}
	panic(fmt.Sprintf("ref: %s %s has %d values, want %d", op, what, len(s), want))
}

// finish writes act(acc)+residual for one output pixel.
func finish(dst []float32, acc []float64, fn act.Func, res []float32) {
	for i, a := range acc {
		v := fn.Apply(float32(a))
		if res != nil {
			v += res[i]
		}
		dst[i] = v
	}
}

// initBias sets acc to bias (zeros when bias is nil).
func initBias(acc []float64, bias []float32) {
	if bias == nil {
		clear(acc)
		return
	}
	for i, b := range bias {
		acc[i] = float64(b)
	}
}
