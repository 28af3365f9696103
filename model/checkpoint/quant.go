package checkpoint

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Int8 quantization of safetensors files.
//
// A quantized file stores each quantized weight W as an I8 tensor Q under
// W's name and its scales as a float tensor named W's name plus ScaleSuffix,
// of W's rank with every dimension 1 except the channel axis (per output
// channel: [out,1,1,1] for a conv, [out,1] for a linear layer, [1,out,1,1]
// for a ConvTranspose, whose weight is [in,out,kH,kW]). The value is
// W ≈ Q·scale, broadcast along the other axes; symmetric: no zero point,
// Q in -127..127 with scale = max|W over the channel| / 127. The metadata
// entry MetaQuantization = QuantInt8 says so; Read dequantizes such files
// to float32 (see StateDict.Quantization): what it returns is a float
// state dict, which writes as a float file.
const (
	// MetaQuantization is the safetensors metadata key naming the
	// quantization scheme of the file's I8 tensors.
	MetaQuantization = "quantization"
	// QuantInt8 is the one scheme: symmetric int8 per output channel.
	QuantInt8 = "int8_symmetric_per_channel"
	// ScaleSuffix names the scale tensor of a quantized weight.
	ScaleSuffix = ".scale"
)

// QuantizeInt8 returns a copy of sd in which each tensor named in axes (the
// key of a float weight → the axis of its output channels) is quantized to
// int8 per channel along that axis: the I8 tensor keeps the weight's name
// and shape and its scales follow it in Keys as name+ScaleSuffix. Other
// tensors are shared with sd, which is not modified. Write the result with
// WriteSafetensors and the metadata MetaQuantization = QuantInt8.
func QuantizeInt8(sd *StateDict, axes map[string]int) (*StateDict, error) {
	if sd == nil {
		return nil, fmt.Errorf("checkpoint: QuantizeInt8 needs a state dict")
	}
	for k := range axes {
		if sd.Tensors[k] == nil {
			return nil, fmt.Errorf("checkpoint: cannot quantize %q: no such tensor", k)
		}
	}
	keys := sd.Keys
	if len(keys) == 0 {
		keys = sortedNames(sd.Tensors)
	}
	out := &StateDict{Tensors: make(map[string]*Tensor, len(sd.Tensors)+len(axes)), Meta: sd.Meta, Format: sd.Format,
		HasOptimizerState: sd.HasOptimizerState, Trainer: sd.Trainer, FileDType: I8, Quantization: QuantInt8}
	for _, k := range keys {
		t := sd.Tensors[k]
		axis, ok := axes[k]
		if !ok {
			out.Tensors[k] = t
			out.Keys = append(out.Keys, k)
			continue
		}
		q, s, err := quantizeTensor(t, axis)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: cannot quantize %q: %w", k, err)
		}
		sk := k + ScaleSuffix
		if _, dup := sd.Tensors[sk]; dup {
			return nil, fmt.Errorf("checkpoint: cannot quantize %q: the state dict already has a tensor %q", k, sk)
		}
		out.Tensors[k], out.Tensors[sk] = q, s
		out.Keys = append(out.Keys, k, sk)
	}
	return out, nil
}

// quantizeTensor quantizes the float tensor t per channel along axis.
func quantizeTensor(t *Tensor, axis int) (q, scale *Tensor, err error) {
	if t.F32 == nil || t.I64 != nil || len(t.F32) != t.Numel() {
		return nil, nil, fmt.Errorf("it is not a float tensor")
	}
	if axis < 0 || axis >= len(t.Shape) {
		return nil, nil, fmt.Errorf("axis %d is outside its shape %v", axis, t.Shape)
	}
	sshape := make([]int, len(t.Shape))
	for i := range sshape {
		sshape[i] = 1
	}
	sshape[axis] = t.Shape[axis]
	chans, inner := t.Shape[axis], 1
	for _, d := range t.Shape[axis+1:] {
		inner *= d
	}
	maxAbs := make([]float64, chans)
	for i, v := range t.F32 {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, nil, fmt.Errorf("value %d is %v", i, v)
		}
		c := i / inner % chans
		maxAbs[c] = max(maxAbs[c], math.Abs(float64(v)))
	}
	scales := make([]float32, chans)
	for c, m := range maxAbs {
		scales[c] = float32(m / 127)
	}
	vals := make([]int64, len(t.F32))
	for i, v := range t.F32 {
		if s := scales[i/inner%chans]; s != 0 {
			vals[i] = int64(max(-127, min(127, math.RoundToEven(float64(v)/float64(s)))))
		}
	}
	return &Tensor{Shape: t.Shape, DType: I8, I64: vals}, &Tensor{Shape: sshape, DType: F32, F32: scales}, nil
}

// sortedNames returns the keys of m in order.
func sortedNames(m map[string]*Tensor) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// quantScheme returns the quantization a file's metadata records: "" for
// none, QuantInt8, or an error for any other value.
func quantScheme(meta map[string]string) (string, error) {
	s, ok := meta[MetaQuantization]
	if !ok {
		return "", nil
	}
	if s != QuantInt8 {
		return "", errorf(ErrUnsupported, "safetensors metadata %q is %q; the only quantization read is %q", MetaQuantization, s, QuantInt8)
	}
	return s, nil
}

// dequantize replaces, in a file whose metadata records QuantInt8, every I8
// tensor (read as float32 integers) by its values times its scales and drops
// the scale tensors. It fails on an I8 tensor without valid scales, on scales
// without an I8 tensor and on a file with no I8 tensor. It returns the
// number of elements dequantized.
func dequantize(sd *StateDict) (int, error) {
	n := 0
	used := map[string]bool{}
	for _, k := range sd.Keys {
		t := sd.Tensors[k]
		if t.DType != I8 {
			continue
		}
		sk := k + ScaleSuffix
		s := sd.Tensors[sk]
		if s == nil {
			return 0, errorf(ErrCorrupt, "int8 tensor %q has no scale tensor %q", k, sk)
		}
		if err := applyScales(k, t, sk, s); err != nil {
			return 0, err
		}
		used[sk] = true
		n += len(t.F32)
	}
	if n == 0 && len(used) == 0 {
		return 0, errorf(ErrCorrupt, "safetensors metadata %q says %q but the file holds no I8 tensor", MetaQuantization, QuantInt8)
	}
	keys := sd.Keys[:0]
	for _, k := range sd.Keys {
		if !used[k] {
			if base, ok := strings.CutSuffix(k, ScaleSuffix); ok && sd.Tensors[base] == nil {
				return 0, errorf(ErrCorrupt, "scale tensor %q has no int8 tensor %q", k, base)
			}
			keys = append(keys, k)
			continue
		}
		delete(sd.Tensors, k)
	}
	sd.Keys = keys
	return n, nil
}

// applyScales checks the scales s (named sk) of the int8 tensor t (named k)
// and multiplies t's values by them in place, making t an F32 tensor.
func applyScales(k string, t *Tensor, sk string, s *Tensor) error {
	if !s.DType.IsFloat() {
		return errorf(ErrCorrupt, "scale tensor %q has dtype %s, want a float type", sk, s.DType)
	}
	axis := -1
	if len(s.Shape) != len(t.Shape) {
		return errorf(ErrCorrupt, "scale tensor %q has shape %v; int8 tensor %q of shape %v needs its rank, with every dimension 1 but the channel axis", sk, s.Shape, k, t.Shape)
	}
	for i, d := range s.Shape {
		switch {
		case d == 1: // broadcast
		case d == t.Shape[i] && axis < 0:
			axis = i
		default:
			return errorf(ErrCorrupt, "scale tensor %q has shape %v; int8 tensor %q of shape %v needs one scale per channel of one axis (every other dimension 1)", sk, s.Shape, k, t.Shape)
		}
	}
	for i, v := range s.F32 {
		if !(v >= 0) || math.IsInf(float64(v), 0) {
			return errorf(ErrCorrupt, "scale tensor %q: scale %d is %v; scales must be finite and ≥ 0", sk, i, v)
		}
	}
	chans, inner := 1, len(t.F32)
	if axis >= 0 {
		chans, inner = t.Shape[axis], 1
		for _, d := range t.Shape[axis+1:] {
			inner *= d
		}
	}
	// The values are outer × chans × inner blocks: one scale per block.
	for i := 0; i < len(t.F32); {
		for _, sc := range s.F32[:chans] {
			blk := t.F32[i : i+inner]
			for j, v := range blk {
				blk[j] = v * sc
			}
			i += inner
		}
	}
	t.DType = F32
	return nil
}

// checkUnrecordedQuant fails on a file whose metadata records no
// quantization but which holds an I8 tensor with a scale tensor beside it:
// int8 weights that would otherwise be read as plain integers.
func checkUnrecordedQuant(sd *StateDict) error {
	for _, k := range sd.Keys {
		if t := sd.Tensors[k]; t.DType == I8 && sd.Tensors[k+ScaleSuffix] != nil {
			return errorf(ErrCorrupt, "int8 tensor %q has a scale tensor %q but the safetensors metadata does not record the quantization (%q: %q)",
				k, k+ScaleSuffix, MetaQuantization, QuantInt8)
		}
	}
	return nil
}
