package model

import "github.com/lowformer/lowformer-webgpu/act"

// layer is one op of the network before its weights are read: it names the
// state-dict entries it needs, builds its Op without weights (every weight
// slice nil: what Structure gives) and sets that Op's weights from their
// values (what Build adds).
type layer interface {
	params() []ParamSpec
	op() Op
	setWeights(op Op, w weights)
}

// weights returns the float32 values of a validated state-dict entry.
type weights func(key string) []float32

// bnParams lists the five entries of the BatchNorm pre over c channels.
func bnParams(pre string, c int) []ParamSpec {
	return []ParamSpec{
		{Key: pre + ".weight", Shape: []int{c}},
		{Key: pre + ".bias", Shape: []int{c}},
		{Key: pre + ".running_mean", Shape: []int{c}, Buffer: true},
		{Key: pre + ".running_var", Shape: []int{c}, Buffer: true},
		{Key: pre + ".num_batches_tracked", Shape: []int{}, Buffer: true, Int: true},
	}
}

// optional returns fn(key) or nil for an absent ("") key.
func optional(w weights, key string) []float32 {
	if key == "" {
		return nil
	}
	return w(key)
}

// orZeros returns b, or n zeros when b is nil.
func orZeros(b []float32, n int) []float32 {
	if b == nil {
		return make([]float32, n)
	}
	return b
}

// convLayer is a Conv2d (dense or depthwise, optional bias, optional
// BatchNorm folded in) or a ConvTranspose2d k3 s1 p1 run as a conv.
type convLayer struct {
	name                      string
	in, out, res              Value
	cin, cout, k, stride      int
	padCin                    int  // graph input channels when larger than cin (the stem), else 0
	depthwise                 bool // groups == cin == cout
	transposed                bool // torch ConvTranspose2d k3 s1 p1, weight [cin][cout][k][k]
	weightKey, biasKey, bnKey string
	act                       act.Func
}

func (l *convLayer) params() []ParamSpec {
	shape := []int{l.cout, l.cin, l.k, l.k}
	switch {
	case l.depthwise:
		shape = []int{l.cout, 1, l.k, l.k}
	case l.transposed:
		shape = []int{l.cin, l.cout, l.k, l.k}
	}
	ps := []ParamSpec{{Key: l.weightKey, Shape: shape, Weight: true, OutAxis: map[bool]int{false: 0, true: 1}[l.transposed]}}
	if l.biasKey != "" {
		ps = append(ps, ParamSpec{Key: l.biasKey, Shape: []int{l.cout}})
	}
	if l.bnKey != "" {
		ps = append(ps, bnParams(l.bnKey, l.cout)...)
	}
	return ps
}

func (l *convLayer) op() Op {
	return &Conv{Name: l.name, In: l.in, Out: l.out, Residual: l.res, K: l.k, Stride: l.stride, Cin: max(l.cin, l.padCin), Cout: l.cout,
		Depthwise: l.depthwise, Activation: l.act}
}

func (l *convLayer) setWeights(op Op, w weights) {
	o := op.(*Conv)
	wt, bias := w(l.weightKey), optional(w, l.biasKey)
	if l.bnKey != "" {
		b := l.bnKey
		wt, bias = foldBN(wt, bias, w(b+".weight"), w(b+".bias"), w(b+".running_mean"), w(b+".running_var"))
	}
	switch {
	case l.depthwise:
		o.Weight = depthwiseHWC(wt, l.cout, l.k)
	case l.transposed:
		o.Weight = flippedTransposeHWIO(wt, l.cin, l.cout, l.k)
	default:
		o.Weight = denseHWIO(wt, l.cout, l.cin, l.k, o.Cin)
	}
	o.Bias = orZeros(bias, l.cout)
}

// convTLayer is the ConvTranspose2d k4 s2 p1 (with bias) of the stride-2
// attention, cropped to cropTo's size, plus the residual.
type convTLayer struct {
	name                 string
	in, out, res, cropTo Value
	cin, cout            int
}

func (l *convTLayer) params() []ParamSpec {
	return []ParamSpec{{Key: l.name + ".weight", Shape: []int{l.cin, l.cout, 4, 4}, Weight: true, OutAxis: 1}, {Key: l.name + ".bias", Shape: []int{l.cout}}}
}

func (l *convTLayer) op() Op {
	return &ConvTranspose{Name: l.name, In: l.in, Out: l.out, Residual: l.res, CropTo: l.cropTo, Cin: l.cin, Cout: l.cout}
}

func (l *convTLayer) setWeights(op Op, w weights) {
	o := op.(*ConvTranspose)
	o.Weight, o.Bias = transposeHWIO(w(l.name+".weight"), l.cin, l.cout, 4), w(l.name+".bias")
}

// attentionLayer is the parameter-free softmax attention core.
type attentionLayer struct {
	name           string
	in, out        Value
	heads, headDim int
}

func (l *attentionLayer) params() []ParamSpec { return nil }

func (l *attentionLayer) op() Op {
	return &Attention{Name: l.name, In: l.in, Out: l.out, Heads: l.heads, HeadDim: l.headDim}
}

func (l *attentionLayer) setWeights(Op, weights) {}

// normLayer is a GroupNorm(1, c) (layer false) or the head's LayerNorm(c)
// followed by act (layer true), with entries name.weight and name.bias.
type normLayer struct {
	name    string
	in, out Value
	c       int
	layer   bool
	act     act.Func
}

func (l *normLayer) params() []ParamSpec {
	return []ParamSpec{{Key: l.name + ".weight", Shape: []int{l.c}}, {Key: l.name + ".bias", Shape: []int{l.c}}}
}

func (l *normLayer) op() Op {
	if l.layer {
		return &LayerNorm{Name: l.name, In: l.in, Out: l.out, Activation: l.act}
	}
	return &GroupNorm{Name: l.name, In: l.in, Out: l.out}
}

func (l *normLayer) setWeights(op Op, w weights) {
	g, b := w(l.name+".weight"), w(l.name+".bias")
	if l.layer {
		o := op.(*LayerNorm)
		o.Gamma, o.Beta = g, b
	} else {
		o := op.(*GroupNorm)
		o.Gamma, o.Beta = g, b
	}
}

// poolLayer is the head's global average pool.
type poolLayer struct {
	name    string
	in, out Value
}

func (l *poolLayer) params() []ParamSpec { return nil }

func (l *poolLayer) op() Op { return &MeanPool{Name: l.name, In: l.in, Out: l.out} }

func (l *poolLayer) setWeights(Op, weights) {}

// linearLayer is an nn.Linear(k, n) with weight [n][k] and optional bias.
type linearLayer struct {
	name               string
	in, out            Value
	k, n               int
	weightKey, biasKey string
}

func (l *linearLayer) params() []ParamSpec {
	ps := []ParamSpec{{Key: l.weightKey, Shape: []int{l.n, l.k}, Weight: true}}
	if l.biasKey != "" {
		ps = append(ps, ParamSpec{Key: l.biasKey, Shape: []int{l.n}})
	}
	return ps
}

func (l *linearLayer) op() Op {
	return &Linear{Name: l.name, In: l.in, Out: l.out, K: l.k, N: l.n}
}

func (l *linearLayer) setWeights(op Op, w weights) {
	o := op.(*Linear)
	o.Weight, o.Bias = linearKN(w(l.weightKey), l.n, l.k), orZeros(optional(w, l.biasKey), l.n)
}
