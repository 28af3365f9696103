package model

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/act"
)

// ParamSpec is one state-dict entry that a configuration expects.
type ParamSpec struct {
	Key   string
	Shape []int
	// Buffer marks BatchNorm running statistics and num_batches_tracked:
	// state-dict entries that are not learnable parameters.
	Buffer bool
	// Int marks num_batches_tracked, an int64 scalar whose value is unused.
	Int bool
	// Weight marks the weight of a convolution, a ConvTranspose or a
	// Linear layer (not a bias or a norm), whose output channels run along
	// OutAxis: 0, or 1 for a ConvTranspose ([in, out, kH, kW]).
	Weight  bool
	OutAxis int
}

// Numel returns the number of elements of the entry (1 for a scalar).
func (p ParamSpec) Numel() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// ExpectedParams returns every state-dict entry (key, shape) of cfg in the
// order PyTorch's state_dict() lists them.
func ExpectedParams(cfg Config) ([]ParamSpec, error) {
	a, err := newArch(cfg)
	if err != nil {
		return nil, err
	}
	var specs []ParamSpec
	for _, l := range a.layers {
		specs = append(specs, l.params()...)
	}
	return specs, nil
}

// arch is the network of a Config as a list of layers whose values are
// already wired, before any weight is read. Both ExpectedParams and Build
// interpret it, so the key list and the graph cannot disagree.
type arch struct {
	cfg    Config
	layers []layer
	taps   map[string]Value
	last   Value // the most recently allocated value
}

// newArch lays out the network of a validated cfg (spec §3).
func newArch(cfg Config) (*arch, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &arch{cfg: cfg, taps: map[string]Value{}}
	w, d := cfg.Widths, cfg.Depths

	// The stem conv reads the 4-channel graph input (RGB plus a zero
	// channel): its weights get a zero fourth input channel.
	stem := "backbone.input_stem.op_list.0"
	x := a.add(&convLayer{name: stem, in: Value(0), res: NoValue, out: a.value(), cin: 3, padCin: InputChannels, cout: w[0], k: 3, stride: 2,
		weightKey: stem + ".conv.weight", bnKey: stem + ".norm", act: act.HSwish})
	for i := 1; i <= d[0]; i++ {
		x = a.fused(fmt.Sprintf("backbone.input_stem.op_list.%d.main", i), x, w[0], w[0]*cfg.StemExpand, w[0], 1, false, true)
	}
	a.taps["stage0"] = x
	for s := 0; s < 2; s++ {
		for i := 0; i < d[s+1]; i++ {
			pre := fmt.Sprintf("backbone.stages.%d.op_list.%d.main", s, i)
			if i == 0 {
				x = a.fused(pre, x, w[s], w[s]*cfg.Stage12Expand, w[s+1], 2, false, false)
			} else {
				x = a.fused(pre, x, w[s+1], 4*w[s+1], w[s+1], 1, false, true)
			}
		}
		a.taps[fmt.Sprintf("stage%d", s+1)] = x
	}
	for s := 2; s < 4; s++ {
		stage := fmt.Sprintf("stage%d", s+1)
		x = a.fused(fmt.Sprintf("backbone.stages.%d.op_list.0.main", s), x, w[s], w[s]*cfg.Stage34Expand, w[s+1], 2, false, false)
		a.taps[stage+".block0"] = x
		for i := 1; i <= d[s+1]; i++ {
			x = a.lowFormerBlock(fmt.Sprintf("backbone.stages.%d.op_list.%d.total", s, i), fmt.Sprintf("%s.block%d", stage, i), x, w[s+1], s == 2)
		}
		a.taps[stage] = x
	}

	x = a.convBN("head.op_list.0", x, w[4], cfg.Head[0], 1, 1, false, act.HSwish, NoValue)
	a.taps["head.conv"] = x
	x = a.add(&poolLayer{name: "head.op_list.1", in: x, out: a.value()})
	a.taps["head.pooled"] = x
	x = a.add(&linearLayer{name: "head.op_list.2.linear", in: x, out: a.value(), k: cfg.Head[0], n: cfg.Head[1], weightKey: "head.op_list.2.linear.weight"})
	x = a.add(&normLayer{name: "head.op_list.2.norm", in: x, out: a.value(), c: cfg.Head[1], layer: true, act: act.HSwish})
	a.taps["head.fc1"] = x
	a.add(&linearLayer{name: "head.op_list.3.linear", in: x, out: a.value(), k: cfg.Head[1], n: cfg.Classes,
		weightKey: "head.op_list.3.linear.weight", biasKey: "head.op_list.3.linear.bias"})
	return a, nil
}

// value allocates the next value.
func (a *arch) value() Value {
	a.last++
	return a.last
}

// add appends a layer and returns its output value.
func (a *arch) add(l layer) Value {
	a.layers = append(a.layers, l)
	return a.last
}

// convBN adds a ConvLayer (pre.conv.weight, optional pre.conv.bias) followed
// by the BatchNorm pre.norm, folded.
func (a *arch) convBN(pre string, in Value, cin, cout, k, stride int, bias bool, fn act.Func, res Value) Value {
	l := &convLayer{name: pre, in: in, res: res, out: a.value(), cin: cin, cout: cout, k: k, stride: stride,
		weightKey: pre + ".conv.weight", bnKey: pre + ".norm", act: fn}
	if bias {
		l.biasKey = pre + ".conv.bias"
	}
	return a.add(l)
}

// fused adds a FusedMBConv: conv3x3(cin→mid, stride)+BN+hswish, then
// conv1x1(mid→cout)+BN, plus the input when residual.
func (a *arch) fused(pre string, in Value, cin, mid, cout, stride int, spatialBias, residual bool) Value {
	res := NoValue
	if residual {
		res = in
	}
	y := a.convBN(pre+".spatial_conv", in, cin, mid, 3, stride, spatialBias, act.HSwish, NoValue)
	return a.convBN(pre+".point_conv", y, mid, cout, 1, 1, false, act.None, res)
}

// mbConv adds the MBConv local module of wide LowFormer blocks: conv1x1
// (c→4c, bias)+hswish, dwconv3x3(bias)+hswish, conv1x1(4c→c)+BN, plus the
// input.
func (a *arch) mbConv(pre string, in Value, c int) Value {
	y := a.add(&convLayer{name: pre + ".inverted_conv", in: in, res: NoValue, out: a.value(), cin: c, cout: 4 * c, k: 1, stride: 1,
		weightKey: pre + ".inverted_conv.conv.weight", biasKey: pre + ".inverted_conv.conv.bias", act: act.HSwish})
	y = a.add(&convLayer{name: pre + ".depth_conv", in: y, res: NoValue, out: a.value(), cin: 4 * c, cout: 4 * c, k: 3, stride: 1, depthwise: true,
		weightKey: pre + ".depth_conv.conv.weight", biasKey: pre + ".depth_conv.conv.bias", act: act.HSwish})
	return a.convBN(pre+".point_conv", y, 4*c, c, 1, 1, false, act.None, in)
}

// lowFormerBlock adds one LowFormer block of width c (spec §2.2) whose
// key prefix is pre (".../op_list.i.total") and whose reference
// activations are named tap (e.g. "stage3.block1").
func (a *arch) lowFormerBlock(pre, tap string, x Value, c int, stage3 bool) Value {
	cfg := a.cfg
	a.taps[tap+".input"] = x
	if cfg.Attention {
		ctx := pre + ".0.main"
		if cfg.MLP {
			ctx = pre + ".0.0.main"
		}
		x = a.attention(ctx, tap, x, c, stage3)
		a.taps[tap+".after_attn"] = x
	}
	if cfg.MLP {
		m := pre + ".0.1.main"
		y := a.add(&normLayer{name: m + ".0", in: x, out: a.value(), c: c})
		y = a.add(&convLayer{name: m + ".1", in: y, res: NoValue, out: a.value(), cin: c, cout: 4 * c, k: 1, stride: 1,
			weightKey: m + ".1.weight", biasKey: m + ".1.bias", act: act.GELU})
		x = a.add(&convLayer{name: m + ".3", in: y, res: x, out: a.value(), cin: 4 * c, cout: c, k: 1, stride: 1,
			weightKey: m + ".3.weight", biasKey: m + ".3.bias"})
		a.taps[tap+".after_mlp"] = x
	}
	if c < 256 {
		x = a.fused(pre+".1.main", x, c, 4*c, c, 1, true, true)
	} else {
		x = a.mbConv(pre+".1.main", x, c)
	}
	a.taps[tap] = x
	return x
}

// attention adds x + Attn(x) (spec §2.1) for the context module ctx; with
// the MLP flag the attention reads GroupNorm ctx.0's output and its layers
// live under ctx.1. Stage 3 uses stride 2 (k5 and a k4 s2 ConvTranspose),
// stage 4 stride 1 (k3 and a k3 s1 ConvTranspose run as a flipped conv).
func (a *arch) attention(ctx, tap string, x Value, c int, stage3 bool) Value {
	in, att := x, ctx
	if a.cfg.MLP {
		in = a.add(&normLayer{name: ctx + ".0", in: x, out: a.value(), c: c})
		a.taps[tap+".attn.groupnorm"] = in
		att = ctx + ".1"
	}
	k, stride := 3, 1
	if stage3 {
		k, stride = 5, 2
	}
	heads, hd := attentionHeads(c)
	y := a.add(&convLayer{name: att + ".conv_proj", in: in, res: NoValue, out: a.value(), cin: c, cout: c, k: k, stride: stride,
		depthwise: true, weightKey: att + ".conv_proj.0.weight", bnKey: att + ".conv_proj.1"})
	a.taps[tap+".attn.conv_proj"] = y
	y = a.add(&convLayer{name: att + ".pwise", in: y, res: NoValue, out: a.value(), cin: c, cout: 3 * heads * hd, k: 1, stride: 1,
		weightKey: att + ".pwise.0.weight"})
	a.taps[tap+".attn.qkv"] = y
	y = a.add(&attentionLayer{name: att, in: y, out: a.value(), heads: heads, headDim: hd})
	a.taps[tap+".attn.sda_values"] = y
	up := att + ".upsampling"
	if stage3 {
		return a.add(&convTLayer{name: up, in: y, res: x, cropTo: x, out: a.value(), cin: heads * hd, cout: c})
	}
	return a.add(&convLayer{name: up, in: y, res: x, out: a.value(), cin: heads * hd, cout: c, k: 3, stride: 1,
		transposed: true, weightKey: up + ".weight", biasKey: up + ".bias"})
}
