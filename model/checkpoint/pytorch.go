package checkpoint

import (
	"io"
	"math"
)

// readPyTorch reads a torch >= 1.6 zip checkpoint.
func readPyTorch(r io.ReaderAt, size int64) (*StateDict, error) {
	z, err := openZip(r, size)
	if err != nil {
		return nil, err
	}
	pkl, err := z.readPickle()
	if err != nil {
		return nil, err
	}
	root, err := unpickle(pkl, z.pickle.Name, z.checkStorage)
	if err != nil {
		return nil, err
	}
	dict, hasOpt, err := selectStateDict(root)
	if err != nil {
		return nil, err
	}
	b := newBuilder(FormatPyTorch)
	b.sd.HasOptimizerState = hasOpt
	b.sd.Trainer = trainerRecord(root)
	budget := 2*size + inflateSlack // bytes of storage the tensors may view
	var scratch, gathered []byte
	for i, k := range dict.keys {
		name, ok := k.(string)
		if !ok {
			return nil, errorf(ErrCorrupt, "state dict key #%d is a %s, not a str", i, pyTypeName(k))
		}
		ref, ok := dict.vals[i].(*tensorRef)
		if !ok {
			return nil, errorf(ErrCorrupt, "state dict entry %q is a %s, not a tensor", name, pyTypeName(dict.vals[i]))
		}
		isz := int64(ref.storage.dtype.Size())
		viewBytes, ok := mulNonNeg(ref.numel, isz)
		if budget -= viewBytes; !ok || budget < 0 {
			return nil, errorf(ErrCorrupt, "tensors view more storage bytes than twice the file size (overlapping views); refusing to expand them")
		}
		t, err := z.decodeRef(ref, &scratch, &gathered)
		if err != nil {
			return nil, wrapf(err, "tensor %q", name)
		}
		if err := b.add(name, t); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

// selectStateDict picks the state dict out of the unpickled object: the
// "state_dict" entry of a trainer dict, else the top-level dict itself. It
// also reports whether the trainer dict carried optimizer state.
func selectStateDict(root any) (*pyDict, bool, error) {
	top, ok := root.(*pyDict)
	if !ok {
		return nil, false, errorf(ErrNotCheckpoint, "not a checkpoint: the pickle holds a %s, not a state dict or trainer dict", pyTypeName(root))
	}
	hasOpt := false
	if o, ok := top.get("optimizer"); ok {
		if od, ok := o.(*pyDict); ok {
			if st, ok := od.get("state"); ok {
				if sd, ok := st.(*pyDict); ok && len(sd.keys) > 0 {
					hasOpt = true
				}
			}
		}
	}
	v, ok := top.get("state_dict")
	if !ok {
		return top, hasOpt, nil
	}
	sd, ok := v.(*pyDict)
	if !ok {
		return nil, false, errorf(ErrCorrupt, "the trainer dict's state_dict is a %s, not a dict", pyTypeName(v))
	}
	return sd, hasOpt, nil
}

// trainerRecord reads the scalar "epoch" and "best_val" entries of a
// top-level trainer dict; values of other types (or a bare state dict,
// whose values are tensors) leave them unset. best_val may be an int or a
// finite float.
func trainerRecord(root any) TrainerRecord {
	var r TrainerRecord
	top, ok := root.(*pyDict)
	if !ok {
		return r
	}
	if v, ok := top.get("epoch"); ok {
		if e, ok := v.(int64); ok {
			r.HasEpoch, r.Epoch = true, e
		}
	}
	if v, ok := top.get("best_val"); ok {
		switch b := v.(type) {
		case float64:
			if !math.IsNaN(b) && !math.IsInf(b, 0) {
				r.HasBestVal, r.BestVal = true, b
			}
		case int64:
			r.HasBestVal, r.BestVal = true, float64(b)
		}
	}
	return r
}

// decodeRef reads the elements a tensor view covers and converts them.
// scratch and gathered are reusable buffers.
func (z *zipArchive) decodeRef(ref *tensorRef, scratch, gathered *[]byte) (*Tensor, error) {
	dt := ref.storage.dtype
	isz := int64(dt.Size())
	src := []byte(nil)
	if ref.numel > 0 {
		span := ref.numel // elements from the first to the last one read
		contiguous := isContiguous(ref.shape, ref.stride)
		if !contiguous {
			span = 1
			for i, d := range ref.shape {
				span += (d - 1) * ref.stride[i] // bounded by rebuildTensor
			}
		}
		if span > int64(math.MaxInt)/isz {
			return nil, errorf(ErrUnsupported, "view of %d elements is too large", span)
		}
		if contiguous && dt == F32 && hostLittleEndian {
			// Read straight into the tensor's floats: no scratch copy of
			// the bytes (a few percent of the parse of a large
			// checkpoint, more in wasm).
			t := newTensor(dt, ref.shape, 0, nil, false)
			t.F32 = make([]float32, ref.numel)
			if err := z.readStorage(ref.storage.key, ref.offset*isz, float32Bytes(t.F32)); err != nil {
				return nil, err
			}
			return t, nil
		}
		buf := grow(scratch, int(span*isz))
		if err := z.readStorage(ref.storage.key, ref.offset*isz, buf); err != nil {
			return nil, err
		}
		src = buf
		if !contiguous {
			src = grow(gathered, int(ref.numel*isz))
			gather(src, buf, ref.shape, ref.stride, int(isz))
		}
	}
	return newTensor(dt, ref.shape, ref.numel, src, false), nil
}

// grow returns (*buf)[:n], reallocating when it is too small.
func grow(buf *[]byte, n int) []byte {
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	return (*buf)[:n]
}

// isContiguous reports whether stride is the C-order stride of shape
// (dimensions of size 1 may have any stride).
func isContiguous(shape, stride []int64) bool {
	want := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && stride[i] != want {
			return false
		}
		want *= shape[i]
	}
	return true
}

// gather copies the elements of a strided view (relative to its first
// element in src) into dst in C order.
func gather(dst, src []byte, shape, stride []int64, isz int) {
	idx := make([]int64, len(shape))
	pos := int64(0)
	for j := 0; j < len(dst); j += isz {
		copy(dst[j:j+isz], src[pos*int64(isz):])
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			pos += stride[d]
			if idx[d] < shape[d] {
				break
			}
			pos -= stride[d] * shape[d]
			idx[d] = 0
		}
	}
}
