package checkpoint

import "strings"

// newTensor converts numel contiguous little-endian elements of dt in src.
// Integers go to Tensor.I64, except I8 with asFloat set (the int8 weights
// of a quantized file), whose values go to Tensor.F32 unscaled.
func newTensor(dt DType, shape []int64, numel int64, src []byte, asFloat bool) *Tensor {
	t := &Tensor{Shape: make([]int, len(shape)), DType: dt}
	for i, d := range shape {
		t.Shape[i] = int(d)
	}
	switch {
	case dt.IsFloat():
		t.F32 = make([]float32, numel)
		decodeFloats(t.F32, src, dt)
	case dt == I8 && asFloat:
		t.F32 = make([]float32, numel)
		for i, b := range src[:numel] {
			t.F32[i] = float32(int8(b))
		}
	default:
		t.I64 = make([]int64, numel)
		decodeInts(t.I64, src, dt)
	}
	return t
}

// normalizeKey applies the official loader's renames: a DDP "module."
// prefix is stripped and legacy "head.opseq." becomes "head.".
func normalizeKey(k string) string {
	k = strings.TrimPrefix(k, "module.")
	if rest, ok := strings.CutPrefix(k, "head.opseq."); ok {
		k = "head." + rest
	}
	return k
}

// builder assembles a StateDict in file order.
type builder struct {
	sd     *StateDict
	counts map[DType]int // float elements per dtype
}

func newBuilder(format string) *builder {
	return &builder{sd: &StateDict{Tensors: map[string]*Tensor{}, Format: format}, counts: map[DType]int{}}
}

// add stores a tensor under its normalised key.
func (b *builder) add(rawKey string, t *Tensor) error {
	k := normalizeKey(rawKey)
	if _, dup := b.sd.Tensors[k]; dup {
		return errorf(ErrCorrupt, "key %q occurs twice (after normalising %q)", k, rawKey)
	}
	b.sd.Tensors[k] = t
	b.sd.Keys = append(b.sd.Keys, k)
	if t.DType.IsFloat() {
		b.counts[t.DType] += len(t.F32)
	}
	return nil
}

// finish sets FileDType to the float dtype (or I8 for dequantized int8
// weights, counted in counts[I8]) holding the most elements.
func (b *builder) finish() *StateDict {
	best := -1
	for _, dt := range []DType{F32, F16, BF16, F64, I8} {
		if n, ok := b.counts[dt]; ok && n > best {
			best, b.sd.FileDType = n, dt
		}
	}
	return b.sd
}
