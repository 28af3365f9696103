package ref

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
)

// opCase is one entry of testdata/ops.json (see testdata/gen_ops.py).
type opCase struct {
	Name     string    `json:"name"`
	Op       string    `json:"op"`
	K        int       `json:"k"`
	Stride   int       `json:"stride"`
	Cout     int       `json:"cout"`
	N        int       `json:"n"`
	Act      string    `json:"act"`
	CropH    int       `json:"crop_h"`
	CropW    int       `json:"crop_w"`
	Heads    int       `json:"heads"`
	HeadDim  int       `json:"head_dim"`
	XShape   []int     `json:"x_shape"`
	X        []float32 `json:"x"`
	W        []float32 `json:"w"`
	Bias     []float32 `json:"bias"`
	Gamma    []float32 `json:"gamma"`
	Beta     []float32 `json:"beta"`
	Residual []float32 `json:"residual"`
	OutShape []int     `json:"out_shape"`
	Out      []float32 `json:"out"`
}

var actByName = map[string]act.Func{"": act.None, "none": act.None, "hswish": act.HSwish, "gelu": act.GELU}

// run executes the case's op and returns its result in the fixture's layout
// (NCHW, which for [N,1,1,C] results is the same as [N,C]).
func (c *opCase) run(t *testing.T) []float32 {
	s := c.XShape
	x := FromNCHW(c.X, s[0], s[1], s[2], s[3])
	var res *Tensor
	if c.Residual != nil {
		o := c.OutShape
		res = FromNCHW(c.Residual, o[0], o[1], o[2], o[3])
	}
	fn := actByName[c.Act]
	var y *Tensor
	switch c.Op {
	case "conv":
		y = Conv2D(x, c.W, c.Bias, c.K, c.Stride, c.Cout, fn, res)
	case "depthwise":
		y = DepthwiseConv2D(x, c.W, c.Bias, c.K, c.Stride, fn, res)
	case "convt":
		y = ConvTranspose4x4S2(x, c.W, c.Bias, c.Cout, c.CropH, c.CropW, res)
	case "attention":
		y = Attention(x, c.Heads, c.HeadDim)
	case "groupnorm":
		y = GroupNorm(x, c.Gamma, c.Beta)
	case "meanpool":
		y = MeanPool(x)
	case "linear":
		y = Linear(x, c.W, c.Bias, c.N, fn)
	case "layernorm":
		y = LayerNorm(x, c.Gamma, c.Beta, fn)
	default:
		t.Fatalf("unknown op %q", c.Op)
	}
	want := 1
	for _, d := range c.OutShape {
		want *= d
	}
	if len(y.Data) != want {
		t.Fatalf("output shape %v, torch gives %v", y.Shape(), c.OutShape)
	}
	return y.NCHW()
}

func TestOpsMatchTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/ops.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []opCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	ops := map[string]bool{}
	for _, c := range cases {
		ops[c.Op] = true
		t.Run(c.Name, func(t *testing.T) {
			got := c.run(t)
			diff, scale := MaxAbsDiff(got, c.Out), max(1, MaxAbs(c.Out))
			t.Logf("max-abs diff %.3g (output max-abs %.3g)", diff, MaxAbs(c.Out))
			if diff > 2e-6*scale {
				t.Errorf("max-abs diff %.3g vs torch (max-abs %.3g)", diff, MaxAbs(c.Out))
			}
		})
	}
	if len(ops) != 8 {
		t.Errorf("fixture covers %d ops, want 8", len(ops))
	}
}

func TestNCHWRoundTrip(t *testing.T) {
	data := make([]float32, 2*3*4*5)
	for i := range data {
		data[i] = float32(i)
	}
	x := FromNCHW(data, 2, 3, 4, 5) // N=2, C=3, H=4, W=5
	if got, want := x.Shape(), [4]int{2, 4, 5, 3}; got != want {
		t.Fatalf("shape %v, want %v", got, want)
	}
	// NCHW index of (n=1, c=2, y=3, x=4) is ((1*3+2)*4+3)*5+4.
	if got, want := x.pixel(1, 3, 4)[2], float32(((1*3+2)*4+3)*5+4); got != want {
		t.Errorf("element (1,2,3,4) = %v, want %v", got, want)
	}
	if d := MaxAbsDiff(x.NCHW(), data); d != 0 {
		t.Errorf("round trip differs by %v", d)
	}
}

func TestConvOutSize(t *testing.T) {
	for _, tc := range []struct{ n, k, s, want int }{
		{224, 3, 2, 112}, {15, 3, 2, 8}, {14, 5, 2, 7}, {15, 5, 2, 8}, {7, 3, 1, 7}, {7, 1, 1, 7},
	} {
		if got := ConvOutSize(tc.n, tc.k, tc.s); got != tc.want {
			t.Errorf("ConvOutSize(%d, k%d, s%d) = %d, want %d", tc.n, tc.k, tc.s, got, tc.want)
		}
	}
}

func TestMaxAbs(t *testing.T) {
	nan := float32(0)
	nan /= nan
	if got := MaxAbsDiff([]float32{1, -2, 3}, []float32{1, 2, 2.5}); got != 4 {
		t.Errorf("MaxAbsDiff = %v, want 4", got)
	}
	if got := MaxAbsDiff([]float32{nan}, []float32{0}); got <= 1e30 {
		t.Errorf("MaxAbsDiff with NaN = %v, want +Inf", got)
	}
	if got := MaxAbs([]float32{-3, 2}); got != 3 {
		t.Errorf("MaxAbs = %v, want 3", got)
	}
}
