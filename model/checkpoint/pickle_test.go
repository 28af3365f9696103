package checkpoint

import (
	"math/big"
	"reflect"
	"testing"
)

// TestPickleValues runs small hand-assembled pickles (the values checked
// against Python's pickle.loads of the same bytes) through the machine.
func TestPickleValues(t *testing.T) {
	// -(2**70) - 1, as LONG1 spells it.
	bigVal := pyLong{le: "\xff\xff\xff\xff\xff\xff\xff\xff\xbf"}
	if got := longValue(bigVal); got.String() != "-1180591620717411303425" {
		t.Fatalf("the LONG1 bytes of -(2**70)-1 read as %v", got)
	}
	dict := newDict()
	dict.set("a", int64(2)) // SETITEMS with a repeated key keeps the last value
	dict.set(0.9998, "ema")
	for _, tc := range []struct {
		name   string
		pickle []byte
		want   any
	}{
		{"BININT negative", []byte{opProto, 2, opBinInt, 0xff, 0xff, 0xff, 0xff, opStop}, int64(-1)},
		{"BININT1/BININT2", []byte{opBinInt1, 200, opBinInt2, 0x34, 0x12, opTuple2, opStop}, pyTuple{int64(200), int64(0x1234)}},
		{"LONG1 empty is zero", []byte{opLong1, 0, opStop}, int64(0)},
		{"LONG1 2**40+3", []byte{opLong1, 6, 3, 0, 0, 0, 0, 1, opStop}, int64(1<<40 + 3)},
		{"LONG1 negative", []byte{opLong1, 2, 0x00, 0xff, opStop}, int64(-256)},
		{"LONG1 beyond 64 bits", []byte{opLong1, 9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbf, opStop}, bigVal},
		{"LONG4", []byte{opLong4, 1, 0, 0, 0, 0x80, opStop}, int64(-128)},
		{"BINFLOAT big-endian", []byte{opBinFloat, 0x3f, 0xef, 0xfe, 0x5c, 0x91, 0xd1, 0x4e, 0x3c, opStop}, 0.9998},
		{"booleans and None", []byte{opNewTrue, opNewFalse, opNone, opTuple3, opStop}, pyTuple{true, false, nil}},
		{"strings", []byte{opShortBinUni, 2, 'h', 'i', opShortBinString, 1, 'x', opBinString, 1, 0, 0, 0, 'y', opTuple3, opStop}, pyTuple{"hi", "x", "y"}},
		{"bytes", []byte{opShortBinBytes, 2, 1, 2, opStop}, []byte{1, 2}},
		{"memo and MEMOIZE", []byte{opProto, 4, opShortBinUni, 1, 'a', opMemoize, opBinPut, 9, opBinGet, 0, opLongBinGet, 9, 0, 0, 0, opTuple3, opStop}, pyTuple{"a", "a", "a"}},
		{"FRAME is transparent", []byte{opProto, 4, opFrame, 3, 0, 0, 0, 0, 0, 0, 0, opEmptyList, opMemoize, opStop}, &pyList{}},
		{"APPEND/APPENDS", []byte{opEmptyList, opBinInt1, 1, opAppend, opMark, opBinInt1, 2, opBinInt1, 3, opAppends, opStop}, &pyList{items: []any{int64(1), int64(2), int64(3)}}},
		{"dict with repeated and float keys", []byte{opEmptyDict, opMark, opShortBinUni, 1, 'a', opBinInt1, 1, opShortBinUni, 1, 'a', opBinInt1, 2, opSetItems,
			opBinFloat, 0x3f, 0xef, 0xfe, 0x5c, 0x91, 0xd1, 0x4e, 0x3c, opShortBinUni, 3, 'e', 'm', 'a', opSetItem, opStop}, dict},
		{"POP, DUP, POP_MARK", []byte{opBinInt1, 1, opDup, opPop, opMark, opBinInt1, 5, opPopMark, opStop}, int64(1)},
		{"POP of an empty mark region pops the mark", []byte{opBinInt1, 7, opMark, opPop, opStop}, int64(7)},
		{"empty tuple via TUPLE", []byte{opMark, opTuple, opStop}, pyTuple{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := unpickle(tc.pickle, "test.pkl", nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// longValue is the integer a pyLong holds.
func longValue(l pyLong) *big.Int {
	be := make([]byte, len(l.le))
	for i := range l.le {
		be[len(be)-1-i] = l.le[i]
	}
	v := new(big.Int).SetBytes(be)
	if len(be) > 0 && be[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(be))))
	}
	return v
}

// TestPickleTensorArgs checks _rebuild_tensor_v2 argument handling: the
// 7-argument form of newer torch, _rebuild_parameter and BUILD on the state
// dict are accepted.
func TestPickleTensorArgs(t *testing.T) {
	p := newPickle().global("collections.OrderedDict").op(opEmptyTuple, opReduce).str("w")
	p.global("torch._utils._rebuild_parameter")
	p.global("torch._utils._rebuild_tensor_v2").op(opMark)
	p.op(opMark).str("storage").global("torch.HalfStorage").str("0").str("cpu").int(4).op(opTuple, opBinPersID)
	p.int(1).ints(3).ints(1).op(opNewFalse).op(opNone).op(opEmptyDict) // hooks None, metadata {}
	p.op(opTuple, opReduce, opNewTrue, opNone, opTuple3, opReduce, opSetItem)
	p.op(opEmptyDict).str("_metadata").op(opEmptyDict, opSetItem, opBuild, opStop)
	half := []byte{0x00, 0x3c, 0x00, 0x40, 0x00, 0x42, 0x00, 0xc4} // 1, 2, 3, -4
	sd, err := ReadBytes(checkpointZip(t, p.Bytes(), half))
	if err != nil {
		t.Fatal(err)
	}
	if w := sd.Tensors["w"]; w == nil || !reflect.DeepEqual(w.F32, []float32{2, 3, -4}) || w.DType != F16 || sd.FileDType != F16 {
		t.Fatalf("got %+v (file dtype %s)", w, sd.FileDType)
	}
}
