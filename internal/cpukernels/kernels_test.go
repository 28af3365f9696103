package cpukernels

import (
	"fmt"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// randTensor returns an n×h×w×c tensor of values in [-1, 1).
func randTensor(seed uint64, n, h, w, c int) *ref.Tensor {
	return &ref.Tensor{N: n, H: h, W: w, C: c, Data: randSlice(seed, n*h*w*c)}
}

// check compares got with the oracle's result.
func check(t *testing.T, got []float32, want *ref.Tensor, k int) {
	t.Helper()
	if d := ref.MaxAbsDiff(got, want.Data); d > tol(k) {
		t.Errorf("max-abs diff %.3g > %.3g (oracle max-abs %.3g)", d, tol(k), ref.MaxAbs(want.Data))
	}
}

// epilogue returns the epilogue of a case and the oracle's residual.
func epilogue(bias []float32, fn act.Func, withRes bool, n, h, w, c int) (Epilogue, *ref.Tensor) {
	ep := Epilogue{Bias: bias, Act: fn}
	if !withRes {
		return ep, nil
	}
	res := randTensor(9, n, h, w, c)
	ep.Res, ep.LdRes = res.Data, c
	return ep, res
}

// bound is a kernel bound to random operands: run computes got, want
// computes the oracle's result, k is the number of products per output (for
// the tolerance) and flops the floating-point operations of one run (0
// where they are not meaningful).
type bound struct {
	run   func()
	got   []float32
	want  func() *ref.Tensor
	k     int
	flops float64
}

// test runs b and compares it with the oracle.
func (b bound) test(t *testing.T) {
	t.Helper()
	b.run()
	check(t, b.got, b.want(), b.k)
}

// b0Case is a kernel shape of LowFormer-B0 at batch 1 and 224×224 input:
// the tests check it against the oracle along with the small cases, and
// BenchmarkKernels times it as family/name (a name ending in -N would
// read as the GOMAXPROCS suffix, hence 16to64 rather than 16-64).
type b0Case[T any] struct {
	family, name string
	c            T
}

// withB0 returns the small cases followed by the B0 ones.
func withB0[T any](small []T, b0 []b0Case[T]) []T {
	all := append([]T(nil), small...)
	for _, c := range b0 {
		all = append(all, c.c)
	}
	return all
}

// forActs runs f for every activation, with and without a residual.
func forActs(t *testing.T, name string, f func(t *testing.T, fn act.Func, withRes bool)) {
	for _, fn := range acts {
		for _, withRes := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/%v/res=%v", name, fn, withRes), func(t *testing.T) { f(t, fn, withRes) })
		}
	}
}

type gemmCase struct{ m, k, n int }

// gemmB0 holds B0's 1×1 convs (pixels×cin×cout) and linear layers, a line a stage.
var gemmB0 = []b0Case[gemmCase]{
	{"gemm", "stage1-point/3136x64x32", gemmCase{3136, 64, 32}}, {"gemm", "stage2-point/784x128x64", gemmCase{784, 128, 64}},
	{"gemm", "stage3-point/196x256x128", gemmCase{196, 256, 128}}, {"gemm", "stage3-qkv/49x128x192", gemmCase{49, 128, 192}},
	{"gemm", "stage3-mlp-up/196x128x512", gemmCase{196, 128, 512}}, {"gemm", "stage3-down/196x512x128", gemmCase{196, 512, 128}},
	{"gemm", "stage4-point/49x512x256", gemmCase{49, 512, 256}}, {"gemm", "stage4-qkv/49x256x384", gemmCase{49, 256, 384}},
	{"gemm", "stage4-up/49x256x1024", gemmCase{49, 256, 1024}}, {"gemm", "stage4-down/49x1024x256", gemmCase{49, 1024, 256}},
	{"gemm", "head-conv/49x256x1536", gemmCase{49, 256, 1536}},
	{"linear", "fc1/1536x1600", gemmCase{1, 1536, 1600}}, {"linear", "fc2/1600x1000", gemmCase{1, 1600, 1000}},
}

// bind builds the packed GEMM of a 1×1 conv (m pixels) or linear layer.
func (tc gemmCase) bind(fn act.Func, withRes bool) bound {
	x := randTensor(1, 1, tc.m, 1, tc.k)
	w := randSlice(2, tc.k*tc.n)
	bias := randSlice(3, tc.n)
	ep, res := epilogue(bias, fn, withRes, 1, tc.m, 1, tc.n)
	got := make([]float32, tc.m*tc.n)
	return bound{
		run:   NewGemm(got, tc.n, x.Data, tc.k, tc.m, PackB(w, tc.k, tc.n), ep, NewScratch(Workers())).Run,
		got:   got,
		want:  func() *ref.Tensor { return ref.Conv2D(x, w, bias, 1, 1, tc.n, fn, res) },
		k:     tc.k,
		flops: 2 * float64(tc.m*tc.k*tc.n),
	}
}

func TestGemmMatchesLinearOracle(t *testing.T) {
	// Single rows (m = 1, the last row of m = 5 or 13) take column panels
	// in pairs: an odd last panel alone, full or partial, and pairs whose
	// second panel is partial (n = 13, 29 with 8-column panels; 29, 45
	// with 16; 45 with 32).
	for _, tc := range withB0([]gemmCase{{1, 1, 1}, {3, 7, 5}, {4, 16, 32}, {5, 33, 17}, {13, 64, 70},
		{5, 9, 13}, {1, 40, 29}, {1, 70, 45}}, gemmB0) {
		forActs(t, fmt.Sprintf("%dx%dx%d", tc.m, tc.k, tc.n), func(t *testing.T, fn act.Func, withRes bool) {
			tc.bind(fn, withRes).test(t)
		})
	}
}

type convCase struct{ n, h, w, cin, cout, k, stride int }

// outC returns the output channels and the weights' output channels of a
// case (depthwise when cout is 0).
func (tc convCase) outC() (c, wc int) {
	if tc.cout == 0 {
		return tc.cin, 1
	}
	return tc.cout, tc.cout
}

// flops returns 2 × the multiply-adds of the direct convolution.
func (tc convCase) flops() float64 {
	ho, wo := ConvOutSize(tc.h, tc.k, tc.stride), ConvOutSize(tc.w, tc.k, tc.stride)
	_, wc := tc.outC()
	return 2 * float64(tc.n*ho*wo*tc.k*tc.k*tc.cin*wc)
}

// operands returns the input, weights, bias, epilogue and oracle residual
// of a case and its output.
func (tc convCase) operands(fn act.Func, withRes bool) (x *ref.Tensor, w, bias []float32, ep Epilogue, res *ref.Tensor, got []float32) {
	c, wc := tc.outC()
	x = randTensor(1, tc.n, tc.h, tc.w, tc.cin)
	w = randSlice(2, tc.k*tc.k*tc.cin*wc)
	bias = randSlice(3, c)
	ho, wo := ConvOutSize(tc.h, tc.k, tc.stride), ConvOutSize(tc.w, tc.k, tc.stride)
	ep, res = epilogue(bias, fn, withRes, tc.n, ho, wo, c)
	return x, w, bias, ep, res, make([]float32, tc.n*ho*wo*c)
}

var convB0 = []b0Case[convCase]{
	{"conv", "stem-3x3s2/224x224x4to16", convCase{1, 224, 224, 4, 16, 3, 2}},
	{"conv", "stage1-3x3s2/112x112x16to64", convCase{1, 112, 112, 16, 64, 3, 2}},
	{"conv", "stage2-3x3s2/56x56x32to128", convCase{1, 56, 56, 32, 128, 3, 2}},
	{"conv", "stage3-3x3s2/28x28x64to256", convCase{1, 28, 28, 64, 256, 3, 2}},
	{"conv", "stage4-3x3s2/14x14x128to512", convCase{1, 14, 14, 128, 512, 3, 2}},
}

// conv binds the im2col + GEMM convolution.
func (tc convCase) conv(fn act.Func, withRes bool) bound {
	x, w, bias, ep, res, got := tc.operands(fn, withRes)
	kk := tc.k * tc.k * tc.cin
	return bound{
		run:   NewConv(x.Data, Geom{tc.n, tc.h, tc.w, tc.cin}, tc.k, tc.stride, got, PackB(w, kk, tc.cout), ep, NewScratch(Workers())).Run,
		got:   got,
		want:  func() *ref.Tensor { return ref.Conv2D(x, w, bias, tc.k, tc.stride, tc.cout, fn, res) },
		k:     kk,
		flops: tc.flops(),
	}
}

func TestConvMatchesOracle(t *testing.T) {
	for _, tc := range withB0([]convCase{
		{1, 9, 7, 4, 16, 3, 2}, {1, 8, 8, 16, 33, 3, 1}, {2, 5, 6, 3, 5, 3, 1}, {1, 11, 13, 32, 64, 3, 2},
		{1, 7, 7, 5, 17, 5, 2}, {1, 6, 5, 8, 9, 1, 2}, {1, 1, 3, 2, 3, 3, 1},
	}, convB0) {
		forActs(t, fmt.Sprintf("%+v", tc), func(t *testing.T, fn act.Func, withRes bool) { tc.conv(fn, withRes).test(t) })
	}
}

var depthwiseB0 = []b0Case[convCase]{
	{"depthwise", "stage3-attn-5x5s2/14x14x128", convCase{1, 14, 14, 128, 0, 5, 2}},
	{"depthwise", "stage4-attn-3x3/7x7x256", convCase{1, 7, 7, 256, 0, 3, 1}},
	{"depthwise", "stage4-mbconv-3x3/7x7x1024", convCase{1, 7, 7, 1024, 0, 3, 1}},
}

// depthwise binds the depthwise convolution (cout unused).
func (tc convCase) depthwise(fn act.Func, withRes bool) bound {
	x, w, bias, ep, res, got := tc.operands(fn, withRes)
	return bound{
		run:   NewDepthwise(x.Data, Geom{tc.n, tc.h, tc.w, tc.cin}, tc.k, tc.stride, w, got, ep).Run,
		got:   got,
		want:  func() *ref.Tensor { return ref.DepthwiseConv2D(x, w, bias, tc.k, tc.stride, fn, res) },
		k:     tc.k * tc.k,
		flops: tc.flops(),
	}
}

func TestDepthwiseMatchesOracle(t *testing.T) {
	for _, tc := range withB0([]convCase{
		{1, 9, 7, 16, 0, 3, 1}, {1, 9, 7, 33, 0, 3, 2}, {2, 8, 8, 20, 0, 5, 2},
		{1, 5, 6, 3, 0, 3, 1}, {1, 2, 3, 17, 0, 5, 1},
	}, depthwiseB0) {
		forActs(t, fmt.Sprintf("%+v", tc), func(t *testing.T, fn act.Func, withRes bool) { tc.depthwise(fn, withRes).test(t) })
	}
}

var winogradB0 = []b0Case[convCase]{
	{"winograd", "stage3-3x3/14x14x128to512", convCase{1, 14, 14, 128, 512, 3, 1}},
	{"winograd", "stage4-upsampling-3x3/7x7x128to256", convCase{1, 7, 7, 128, 256, 3, 1}},
}

// winograd binds the Winograd F(2×2, 3×3) convolution (k 3, stride 1);
// flops counts the direct convolution's.
func (tc convCase) winograd(fn act.Func, withRes bool) bound {
	x, w, bias, ep, res, got := tc.operands(fn, withRes)
	return bound{
		run:   NewWinograd(x.Data, Geom{tc.n, tc.h, tc.w, tc.cin}, got, PackWinograd(w, tc.cin, tc.cout), ep, NewScratch(Workers())).Run,
		got:   got,
		want:  func() *ref.Tensor { return ref.Conv2D(x, w, bias, 3, 1, tc.cout, fn, res) },
		k:     9 * tc.cin,
		flops: tc.flops(),
	}
}

func TestWinogradMatchesOracle(t *testing.T) {
	for _, tc := range withB0([]convCase{{2, 5, 6, 3, 5, 3, 1}, {1, 9, 7, 17, 33, 3, 1}, {1, 1, 2, 4, 3, 3, 1}}, winogradB0) {
		forActs(t, fmt.Sprintf("%+v", tc), func(t *testing.T, fn act.Func, withRes bool) { tc.winograd(fn, withRes).test(t) })
	}
}

type convTCase struct{ n, h, w, cin, cout, cropH, cropW int }

var convTB0 = []b0Case[convTCase]{
	{"convt", "stage3-upsampling-4x4s2/7x7x64to14x14x128", convTCase{1, 7, 7, 64, 128, 14, 14}},
}

// bind binds the 4×4 stride-2 ConvTranspose; flops counts the 2×2 taps
// per output of its four phases.
func (tc convTCase) bind(withRes bool) bound {
	x := randTensor(1, tc.n, tc.h, tc.w, tc.cin)
	w := randSlice(2, 16*tc.cin*tc.cout)
	bias := randSlice(3, tc.cout)
	ep, res := epilogue(bias, act.None, withRes, tc.n, tc.cropH, tc.cropW, tc.cout)
	got := make([]float32, tc.n*tc.cropH*tc.cropW*tc.cout)
	return bound{
		run:   NewConvT(x.Data, Geom{tc.n, tc.h, tc.w, tc.cin}, got, tc.cropH, tc.cropW, PackConvT(w, tc.cin, tc.cout), ep, NewScratch(Workers())).Run,
		got:   got,
		want:  func() *ref.Tensor { return ref.ConvTranspose4x4S2(x, w, bias, tc.cout, tc.cropH, tc.cropW, res) },
		k:     4 * tc.cin,
		flops: 2 * float64(tc.n*tc.cropH*tc.cropW*4*tc.cin*tc.cout),
	}
}

func TestConvTMatchesOracle(t *testing.T) {
	for _, tc := range withB0([]convTCase{{1, 4, 5, 3, 5, 7, 9}, {2, 3, 3, 8, 17, 6, 5}, {1, 2, 2, 5, 40, 1, 4}}, convTB0) {
		for _, withRes := range []bool{false, true} {
			t.Run(fmt.Sprintf("%+v/res=%v", tc, withRes), func(t *testing.T) { tc.bind(withRes).test(t) })
		}
	}
}

type attnCase struct{ n, h, w, heads, hd int }

var attentionB0 = []b0Case[attnCase]{
	{"attention", "stage3/7x7-2x32", attnCase{1, 7, 7, 2, 32}},
	{"attention", "stage4/7x7-4x32", attnCase{1, 7, 7, 4, 32}},
}

// bind binds the attention; flops counts QKᵀ and PV.
func (tc attnCase) bind() bound {
	x := randTensor(1, tc.n, tc.h, tc.w, tc.heads*3*tc.hd)
	got := make([]float32, tc.n*tc.h*tc.w*tc.heads*tc.hd)
	tokens := tc.h * tc.w
	return bound{
		run:   NewAttention(x.Data, Geom{tc.n, tc.h, tc.w, x.C}, got, tc.heads, tc.hd, NewScratch(Workers())).Run,
		got:   got,
		want:  func() *ref.Tensor { return ref.Attention(x, tc.heads, tc.hd) },
		k:     tokens + tc.hd,
		flops: 4 * float64(tc.n*tc.heads*tokens*tokens*tc.hd),
	}
}

func TestAttentionMatchesOracle(t *testing.T) {
	for _, tc := range withB0([]attnCase{{2, 3, 5, 2, 8}, {1, 4, 4, 1, 5}, {1, 14, 14, 2, 17}}, attentionB0) {
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) { tc.bind().test(t) })
	}
}

type normCase struct{ n, h, w, c int }

// The tests run every norm kernel on every shape; the benchmark runs the
// family's kernel.
var normB0 = []b0Case[normCase]{
	{"groupnorm", "stage3/14x14x128", normCase{1, 14, 14, 128}},
	{"groupnorm", "stage4/7x7x256", normCase{1, 7, 7, 256}},
	{"layernorm", "head/1600", normCase{1, 1, 1, 1600}},
	{"meanpool", "head/7x7x1536", normCase{1, 7, 7, 1536}},
}

// bind binds the family's kernel (groupnorm, layernorm or meanpool).
func (s normCase) bind(family string, fn act.Func) bound {
	x := randTensor(1, s.n, s.h, s.w, s.c)
	for i := range x.Data {
		x.Data[i] = 3*x.Data[i] + 0.5 // mean off zero
	}
	got := make([]float32, len(x.Data))
	switch family {
	case "groupnorm":
		gamma, beta, scale := randSlice(2, s.c), randSlice(3, s.c), make([]float32, s.c)
		return bound{
			run:  func() { GroupNorm(x.Data, got, s.n, s.h*s.w*s.c, gamma, beta, scale) },
			got:  got,
			want: func() *ref.Tensor { return ref.GroupNorm(x, gamma, beta) },
			k:    8,
		}
	case "layernorm":
		flat := &ref.Tensor{N: s.n, H: 1, W: 1, C: s.h * s.w * s.c, Data: x.Data}
		gamma, beta := randSlice(4, flat.C), randSlice(5, flat.C)
		return bound{
			run:  func() { LayerNorm(x.Data, got, s.n, gamma, beta, fn) },
			got:  got,
			want: func() *ref.Tensor { return ref.LayerNorm(flat, gamma, beta, fn) },
			k:    8,
		}
	}
	got = got[:s.n*s.c]
	return bound{
		run:  func() { MeanPool(x.Data, got, s.n, s.h*s.w, s.c) },
		got:  got,
		want: func() *ref.Tensor { return ref.MeanPool(x) },
		k:    8,
	}
}

func TestNormsAndPoolMatchOracle(t *testing.T) {
	for _, s := range withB0([]normCase{{1, 7, 7, 128}, {2, 3, 5, 17}, {1, 1, 1, 3}}, normB0) {
		t.Run(fmt.Sprintf("groupnorm/%+v", s), func(t *testing.T) { s.bind("groupnorm", act.None).test(t) })
		t.Run(fmt.Sprintf("meanpool/%+v", s), func(t *testing.T) { s.bind("meanpool", act.None).test(t) })
		for _, fn := range acts {
			t.Run(fmt.Sprintf("layernorm/%+v/%v", s, fn), func(t *testing.T) { s.bind("layernorm", fn).test(t) })
		}
	}
}
