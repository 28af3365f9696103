package model

import "github.com/lowformer/lowformer-webgpu/act"

// This file defines the layer graph: the list of prepared operations that
// both back ends execute (the CPU path over internal/ref and the GPU plan over
// kernels). Every activation is NHWC float32. Weights are already in the
// layouts the kernels read: BatchNorm folded, ConvTranspose 3×3 s1 turned
// into a flipped conv, dense conv weights as [KH][KW][Cin][Cout] (HWIO),
// depthwise weights as [KH][KW][C], linear weights as [K][N].

// Value identifies an activation tensor in a Graph. Value 0 is the input.
type Value int

// NoValue marks an absent optional operand (for example no residual).
const NoValue Value = -1

// Op is one operation of the graph. Its Out value is always new.
type Op interface {
	// Inputs lists the values the op reads (residual included).
	Inputs() []Value
	// Output is the value the op writes.
	Output() Value
	// Label is the dotted PyTorch-style path of the layer, for reports.
	Label() string
}

// Conv is a 2-D convolution with "same" padding K/2, dense (Groups == 1) or
// depthwise (Groups == Cin == Cout), followed by bias, activation and an
// optional residual add: Out = act(conv(In) + Bias) + Residual.
type Conv struct {
	Name       string
	In, Out    Value
	Residual   Value // NoValue when absent
	K, Stride  int
	Cin, Cout  int
	Depthwise  bool
	Weight     []float32 // dense: [K][K][Cin][Cout]; depthwise: [K][K][C]
	Bias       []float32 // [Cout], never nil after BN folding
	Activation act.Func
}

// ConvTranspose is the dense ConvTranspose2d k4 s2 p1 of the stride-2
// attention (output 2h×2w), with its output cropped to the top-left H×W of
// the value CropTo (the attention block's input, whose size depends on the
// image size) and an optional residual add:
// Out = crop(convT(In) + Bias) + Residual. CropTo is read for its shape only
// (Graph.Shapes gives it), so it is not listed by Inputs.
type ConvTranspose struct {
	Name      string
	In, Out   Value
	Residual  Value
	CropTo    Value
	Cin, Cout int
	Weight    []float32 // [4][4][Cin][Cout]: W[ky][kx][i][o] = torch W[i][o][ky][kx]
	Bias      []float32
}

// Attention is softmax(q·kᵀ/√d)·v per (image, head) over the h·w tokens of
// In, whose channels are ordered [head][q|k|v][d]. Out has Heads·HeadDim
// channels ordered [head][d], same spatial size.
type Attention struct {
	Name           string
	In, Out        Value
	Heads, HeadDim int
}

// GroupNorm is GroupNorm(1, C): per image, mean and biased variance over all
// of H×W×C (eps 1e-5), then a per-channel affine.
type GroupNorm struct {
	Name        string
	In, Out     Value
	Gamma, Beta []float32
}

// MeanPool is the global average pool over H×W: Out is [N,1,1,C].
type MeanPool struct {
	Name    string
	In, Out Value
}

// Linear is a fully connected layer on [N,1,1,K] giving [N,1,1,N]:
// Out = act(In·Weight + Bias).
type Linear struct {
	Name       string
	In, Out    Value
	K, N       int
	Weight     []float32 // [K][N]
	Bias       []float32 // [N], zeros when the layer has none
	Activation act.Func
}

// LayerNorm normalizes each image's C values of [N,1,1,C] (eps 1e-5), applies
// the affine and then the activation.
type LayerNorm struct {
	Name        string
	In, Out     Value
	Gamma, Beta []float32
	Activation  act.Func
}

func (o *Conv) Inputs() []Value          { return withResidual(o.In, o.Residual) }
func (o *ConvTranspose) Inputs() []Value { return withResidual(o.In, o.Residual) }
func (o *Attention) Inputs() []Value     { return []Value{o.In} }
func (o *GroupNorm) Inputs() []Value     { return []Value{o.In} }
func (o *MeanPool) Inputs() []Value      { return []Value{o.In} }
func (o *Linear) Inputs() []Value        { return []Value{o.In} }
func (o *LayerNorm) Inputs() []Value     { return []Value{o.In} }

func (o *Conv) Output() Value          { return o.Out }
func (o *ConvTranspose) Output() Value { return o.Out }
func (o *Attention) Output() Value     { return o.Out }
func (o *GroupNorm) Output() Value     { return o.Out }
func (o *MeanPool) Output() Value      { return o.Out }
func (o *Linear) Output() Value        { return o.Out }
func (o *LayerNorm) Output() Value     { return o.Out }

func (o *Conv) Label() string          { return o.Name }
func (o *ConvTranspose) Label() string { return o.Name }
func (o *Attention) Label() string     { return o.Name }
func (o *GroupNorm) Label() string     { return o.Name }
func (o *MeanPool) Label() string      { return o.Name }
func (o *Linear) Label() string        { return o.Name }
func (o *LayerNorm) Label() string     { return o.Name }

func withResidual(in, res Value) []Value {
	if res == NoValue {
		return []Value{in}
	}
	return []Value{in, res}
}

// Graph is a LowFormer network as a flat list of operations in execution
// order. Value 0 is the input image batch (NHWC, 4 channels: RGB plus a zero
// channel so that channel loops read vec4), the last op's output is the
// logits [N,1,1,Classes].
type Graph struct {
	Ops     []Op
	Classes int
	// Taps maps reference activation names ("stage3.block1", "head.pooled")
	// to the value holding that activation, for divergence reports. Names
	// follow shared/testdata/lowformer/<v>/act/ and are given for every
	// LowFormer block: stage0..stage4, stage{3,4}.block{i}, head.conv,
	// head.pooled, head.fc1 and, per block, .input, .attn.groupnorm,
	// .attn.conv_proj, .attn.qkv, .attn.sda_values (the Attention output,
	// NHWC [N,h,w,heads·hd], while the reference file is
	// [N,heads,tokens,hd]), .after_attn and .after_mlp. .attn.output and
	// .attn.upsampling_uncropped have no value: the residual add is fused.
	Taps map[string]Value
	// weightless marks a graph made by Structure: it has no weights
	// (Shapes does not check them: checkWeights) and cannot run.
	weightless bool
}
