package checkpoint

import "math"

// maxDims bounds the rank of a tensor.
const maxDims = 32

// globalKind tells what an allowed pickle GLOBAL is.
type globalKind int

const (
	globalOrderedDict globalKind = iota
	globalRebuildTensor
	globalRebuildParameter
	globalStorage
)

// pyGlobal is an allowed GLOBAL: a type or function the machine interprets.
type pyGlobal struct {
	name  string // module.name
	kind  globalKind
	dtype DType // element type for storage types
}

// allowedGlobals lists every GLOBAL a PyTorch state dict or trainer dict
// needs; everything else is refused.
var allowedGlobals = map[string]pyGlobal{}

func init() {
	add := func(name string, kind globalKind, dt DType) {
		allowedGlobals[name] = pyGlobal{name: name, kind: kind, dtype: dt}
	}
	add("collections.OrderedDict", globalOrderedDict, "")
	add("torch._utils._rebuild_tensor_v2", globalRebuildTensor, "")
	add("torch._utils._rebuild_parameter", globalRebuildParameter, "")
	for name, dt := range map[string]DType{
		"FloatStorage": F32, "HalfStorage": F16, "BFloat16Storage": BF16, "DoubleStorage": F64,
		"LongStorage": I64, "IntStorage": I32, "ShortStorage": I16, "CharStorage": I8,
		"ByteStorage": U8, "BoolStorage": BOOL,
	} {
		add("torch."+name, globalStorage, dt)
	}
}

// lookupGlobal returns the allowed GLOBAL module.name or refuses it.
func lookupGlobal(module, name string) (pyGlobal, error) {
	g, ok := allowedGlobals[module+"."+name]
	if !ok {
		return pyGlobal{}, errorf(ErrUnsafe, "refusing pickle GLOBAL %q (only PyTorch tensor and container types are allowed)", module+"."+name)
	}
	return g, nil
}

// storageRef is a tensor storage: a raw array in the zip entry data/<key>.
type storageRef struct {
	key   string
	dtype DType
	numel int64
}

// newStorageRef interprets the persistent id torch writes for a storage:
// ('storage', <StorageType>, key, location, numel).
func newStorageRef(pid any) (*storageRef, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) != 5 || t[0] != "storage" {
		return nil, errorf(ErrCorrupt, "persistent id is not a ('storage', type, key, location, numel) tuple")
	}
	g, ok := t[1].(pyGlobal)
	if !ok || g.kind != globalStorage {
		return nil, errorf(ErrCorrupt, "persistent id names %s, not a storage type", pyTypeName(t[1]))
	}
	key, ok := t[2].(string)
	if !ok {
		return nil, errorf(ErrCorrupt, "storage key is a %s, not a str", pyTypeName(t[2]))
	}
	numel, ok := t[4].(int64)
	if !ok || numel < 0 || numel > math.MaxInt64/int64(g.dtype.Size()) {
		return nil, errorf(ErrCorrupt, "storage %q has an invalid element count %v", key, t[4])
	}
	return &storageRef{key: key, dtype: g.dtype, numel: numel}, nil
}

// tensorRef is a tensor view of a storage, not yet decoded.
type tensorRef struct {
	storage *storageRef
	offset  int64 // in elements
	shape   []int64
	stride  []int64 // in elements
	numel   int64
}

// reduce applies an allowed callable to its argument tuple.
func reduce(fn, args any) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, errorf(ErrCorrupt, "pickle REDUCE calls a %s, not an allowed global", pyTypeName(fn))
	}
	a, ok := args.(pyTuple)
	if !ok {
		return nil, errorf(ErrCorrupt, "pickle REDUCE arguments are a %s, not a tuple", pyTypeName(args))
	}
	switch g.kind {
	case globalOrderedDict:
		if len(a) != 0 {
			return nil, errorf(ErrUnsupported, "collections.OrderedDict called with %d arguments (only the empty form is supported)", len(a))
		}
		return newDict(), nil
	case globalRebuildTensor:
		return rebuildTensor(a)
	case globalRebuildParameter:
		if len(a) < 1 {
			return nil, errorf(ErrCorrupt, "torch._utils._rebuild_parameter called without arguments")
		}
		if t, ok := a[0].(*tensorRef); ok {
			return t, nil
		}
		return nil, errorf(ErrCorrupt, "torch._utils._rebuild_parameter wraps a %s, not a tensor", pyTypeName(a[0]))
	}
	return nil, errorf(ErrCorrupt, "pickle REDUCE calls %s, which is not callable here", g.name)
}

// rebuildTensor interprets torch._utils._rebuild_tensor_v2(storage,
// storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
// and checks that the view lies inside its storage.
func rebuildTensor(a pyTuple) (*tensorRef, error) {
	if len(a) != 6 && len(a) != 7 {
		return nil, errorf(ErrCorrupt, "_rebuild_tensor_v2 called with %d arguments, want 6 or 7", len(a))
	}
	s, ok := a[0].(*storageRef)
	if !ok {
		return nil, errorf(ErrCorrupt, "_rebuild_tensor_v2 storage is a %s", pyTypeName(a[0]))
	}
	offset, ok := a[1].(int64)
	if !ok || offset < 0 {
		return nil, errorf(ErrCorrupt, "tensor on storage %q has an invalid storage offset %v", s.key, a[1])
	}
	shape, err := intTuple(a[2], "size", s.key)
	if err != nil {
		return nil, err
	}
	stride, err := intTuple(a[3], "stride", s.key)
	if err != nil {
		return nil, err
	}
	if len(shape) != len(stride) {
		return nil, errorf(ErrCorrupt, "tensor on storage %q has %d sizes but %d strides", s.key, len(shape), len(stride))
	}
	t := &tensorRef{storage: s, offset: offset, shape: shape, stride: stride}
	if t.numel, err = checkedNumel(shape); err != nil {
		return nil, errorf(ErrCorrupt, "tensor on storage %q: %v", s.key, err)
	}
	if t.numel == 0 {
		return t, nil
	}
	last := offset // index of the last element the view reads
	for i, d := range shape {
		step, ok := mulNonNeg(d-1, stride[i])
		if !ok || last > math.MaxInt64-step {
			return nil, errorf(ErrCorrupt, "tensor on storage %q: element index overflows", s.key)
		}
		last += step
	}
	if last >= s.numel {
		return nil, errorf(ErrCorrupt, "tensor with shape %v, stride %v and offset %d reads element %d of storage %q, which holds only %d elements",
			shape, stride, offset, last, s.key, s.numel)
	}
	return t, nil
}

// intTuple converts a tuple of non-negative ints.
func intTuple(v any, what, key string) ([]int64, error) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, errorf(ErrCorrupt, "tensor on storage %q: %s is a %s, not a tuple", key, what, pyTypeName(v))
	}
	if len(t) > maxDims {
		return nil, errorf(ErrUnsupported, "tensor on storage %q has %d dimensions (at most %d are supported)", key, len(t), maxDims)
	}
	out := make([]int64, len(t))
	for i, e := range t {
		n, ok := e.(int64)
		if !ok || n < 0 {
			return nil, errorf(ErrCorrupt, "tensor on storage %q: %s[%d] = %v is not a non-negative int", key, what, i, e)
		}
		out[i] = n
	}
	return out, nil
}

// checkedNumel multiplies the dimensions, failing on overflow.
func checkedNumel(shape []int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d == 0 {
			return 0, nil
		}
	}
	for _, d := range shape {
		var ok bool
		if n, ok = mulNonNeg(n, d); !ok {
			return 0, errorf(ErrCorrupt, "shape %v has more elements than an int64 can count", shape)
		}
	}
	return n, nil
}

// mulNonNeg multiplies two non-negative int64s, reporting overflow.
func mulNonNeg(a, b int64) (int64, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if a != 0 && b > math.MaxInt64/a {
		return 0, false
	}
	return a * b, true
}
