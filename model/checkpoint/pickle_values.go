package checkpoint

import (
	"fmt"
)

// Values built by the pickle machine. Python None is nil, bool is bool, int
// is int64 (or pyLong beyond 64 bits), float is float64, str is string and
// bytes is []byte; the container and torch types are below.

// pyLong is a Python int beyond 64 bits, as LONG1/LONG4 spell it: its
// little-endian two's complement bytes. Checkpoints never need its value
// (a tensor's sizes, strides and offsets fit int64), only to carry it.
// (Not math/big: the browser build would carry 150 KB of its code.)
type pyLong struct{ le string }

// pyTuple is a Python tuple.
type pyTuple []any

// pyList is a Python list (mutable, so a pointer).
type pyList struct{ items []any }

// pyDict is a Python dict or collections.OrderedDict, in insertion order.
// String keys are indexed so that a repeated key replaces its value, as in
// Python; other hashable keys (floats such as the EMA decay 0.9998, ints,
// tuples) are only appended.
type pyDict struct {
	keys  []any
	vals  []any
	index map[string]int
}

func newDict() *pyDict { return &pyDict{index: map[string]int{}} }

// set stores d[k] = v.
func (d *pyDict) set(k, v any) error {
	switch kk := k.(type) {
	case *pyList, *pyDict:
		return errorf(ErrCorrupt, "unhashable %s used as a dict key", pyTypeName(k))
	case string:
		if i, ok := d.index[kk]; ok {
			d.vals[i] = v
			return nil
		}
		d.index[kk] = len(d.keys)
	}
	if len(d.keys) >= maxContainerLen {
		return errorf(ErrUnsupported, "dict has more than %d entries", maxContainerLen)
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
	return nil
}

// get returns d[k] for a string key.
func (d *pyDict) get(k string) (any, bool) {
	i, ok := d.index[k]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// pyTypeName names the Python type of a pickle value, for error messages.
func pyTypeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, pyLong:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case pyGlobal:
		return "global " + v.name
	case *storageRef:
		return "storage"
	case *tensorRef:
		return "tensor"
	}
	return fmt.Sprintf("%T", v)
}
