package checkpoint

import (
	"bytes"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// roundTrip writes sd as safetensors in dtype and reads it back.
func roundTrip(t *testing.T, sd *StateDict, dtype DType, meta map[string]string) *StateDict {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, sd, dtype, meta); err != nil {
		t.Fatal(err)
	}
	back, err := ReadBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.Format != FormatSafetensors || !reflect.DeepEqual(back.Meta, meta) || !reflect.DeepEqual(back.Keys, sd.Keys) {
		t.Fatalf("round trip: format %q, meta %v, keys %v; want safetensors, %v, %v", back.Format, back.Meta, back.Keys, meta, sd.Keys)
	}
	return back
}

// TestRoundTrip converts .pt fixtures (and the b0 reference when present,
// F32 only, to keep the test fast) to safetensors: F32 must be bit-exact,
// F16 and BF16 must equal the round-to-nearest-even value and stay within
// half an ulp.
func TestRoundTrip(t *testing.T) {
	files := []string{"testdata/bare.pt", "testdata/trainer_optim.pt", "testdata/mixed_dtypes.pt", "testdata/views.pt", "testdata/half.pt"}
	if !testing.Short() {
		if shared := findShared(); shared != "" {
			files = append(files, filepath.Join(shared, "testdata", "lowformer", "b0", "evalmodel.pt"))
		}
	}
	meta := map[string]string{"source": "round trip", "variant": "test"}
	for _, file := range files {
		t.Run(filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), func(t *testing.T) {
			sd, err := ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			exact := roundTrip(t, sd, F32, meta)
			if exact.FileDType != F32 && exact.FileDType != "" {
				t.Errorf("F32 output has file dtype %s", exact.FileDType)
			}
			dtypes := []DType{F32, F16, BF16}
			if !strings.HasPrefix(file, "testdata/") {
				dtypes = dtypes[:1]
			}
			for _, dtype := range dtypes {
				back := exact
				if dtype != F32 {
					back = roundTrip(t, sd, dtype, nil)
				}
				for _, k := range sd.Keys {
					compareRounded(t, k, sd.Tensors[k], back.Tensors[k], dtype)
				}
			}
		})
	}
}

// compareRounded checks one tensor after a round trip through dtype.
func compareRounded(t *testing.T, k string, src, got *Tensor, dtype DType) {
	t.Helper()
	if !reflect.DeepEqual(src.Shape, got.Shape) {
		t.Errorf("%s: shape %v, want %v", k, got.Shape, src.Shape)
		return
	}
	if !src.DType.IsFloat() {
		if got.DType != I64 || !reflect.DeepEqual(src.I64, got.I64) {
			t.Errorf("%s: ints %v (%s), want %v as I64", k, got.I64, got.DType, src.I64)
		}
		return
	}
	if got.DType != dtype || len(got.F32) != len(src.F32) {
		t.Errorf("%s: dtype %s with %d values, want %s with %d", k, got.DType, len(got.F32), dtype, len(src.F32))
		return
	}
	// Relative half-ulp bound and the smallest subnormal for each format.
	rel, tiny := 0.0, 0.0
	switch dtype {
	case F16:
		rel, tiny = math.Ldexp(1, -11), math.Ldexp(1, -25)
	case BF16:
		rel, tiny = math.Ldexp(1, -8), math.Ldexp(1, -134)
	}
	for i, v := range src.F32 {
		g := got.F32[i]
		if dtype == F32 {
			if math.Float32bits(g) != math.Float32bits(v) {
				t.Errorf("%s[%d] = %v, want bit-exact %v", k, i, g, v)
				return
			}
			continue
		}
		if err := math.Abs(float64(g) - float64(v)); err > math.Max(rel*math.Abs(float64(v)), tiny) {
			t.Errorf("%s[%d]: %s round trip of %v gave %v (error %g)", k, i, dtype, v, g, err)
			return
		}
		if want := roundTo(v, dtype); math.Float32bits(g) != math.Float32bits(want) {
			t.Errorf("%s[%d]: %s round trip of %v gave %v, want %v", k, i, dtype, v, g, want)
			return
		}
	}
}

// roundTo rounds v to dtype and back.
func roundTo(v float32, dtype DType) float32 {
	if dtype == F16 {
		return f16ToF32(f32ToF16(v))
	}
	return math.Float32frombits(uint32(f32ToBF16(v)) << 16)
}

// TestWriteErrors checks that invalid input is refused before anything is
// written.
func TestWriteErrors(t *testing.T) {
	good := func() *StateDict {
		return &StateDict{
			Tensors: map[string]*Tensor{"a": {Shape: []int{2}, DType: F32, F32: []float32{1, 2}}},
			Keys:    []string{"a"},
		}
	}
	for _, tc := range []struct {
		name   string
		sd     *StateDict
		dtype  DType
		errSub string
	}{
		{"nil state dict", nil, F32, "nil state dict"},
		{"bad dtype", good(), F64, `cannot write safetensors as "F64"`},
		{"f16 overflow", func() *StateDict {
			s := good()
			s.Tensors["a"].F32[1] = 70000
			return s
		}(), F16, "value 70000 at index 1 overflows F16"},
		{"value count", func() *StateDict {
			s := good()
			s.Tensors["a"].Shape = []int{3}
			return s
		}(), F32, "needs 3 float values, has 2"},
		{"negative dim", func() *StateDict {
			s := good()
			s.Tensors["a"].Shape = []int{-2}
			return s
		}(), F32, "invalid shape"},
		{"key without tensor", func() *StateDict {
			s := good()
			s.Keys = append(s.Keys, "b")
			return s
		}(), F32, `key "b" has no tensor`},
		{"tensor missing from keys", func() *StateDict {
			s := good()
			s.Tensors["b"] = &Tensor{Shape: []int{}, DType: I64, I64: []int64{1}}
			return s
		}(), F32, "Keys lists 1 tensors but Tensors holds 2"},
		{"reserved name", &StateDict{Tensors: map[string]*Tensor{metadataKey: {Shape: []int{}, F32: []float32{1}}}}, F32, "may not be named"},
		{"unknown tensor dtype", func() *StateDict {
			s := good()
			s.Tensors["a"].DType = "F8"
			return s
		}(), F32, `unknown dtype "F8"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteSafetensors(&buf, tc.sd, tc.dtype, nil)
			if err == nil || !strings.Contains(err.Error(), tc.errSub) {
				t.Fatalf("error %v, want one containing %q", err, tc.errSub)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
		})
	}
}

// TestWriteSortedWhenNoKeys checks the sorted order used when Keys is empty
// and the header layout (8-byte aligned, __metadata__ first).
func TestWriteSortedWhenNoKeys(t *testing.T) {
	sd := &StateDict{Tensors: map[string]*Tensor{
		"b": {Shape: []int{}, F32: []float32{2}},
		"a": {Shape: []int{1, 2}, DType: I64, I64: []int64{-1, 1 << 40}},
	}}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, sd, F32, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	hlen := int(b[0]) | int(b[1])<<8
	if hlen%8 != 0 || !strings.HasPrefix(string(b[8:]), `{"__metadata__":{"k":"v"},"a":{"dtype":"I64","shape":[1,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[],"data_offsets":[16,20]}}`) {
		t.Fatalf("header %q (length %d)", b[8:8+hlen], hlen)
	}
	back, err := ReadBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Keys, []string{"a", "b"}) || back.Tensors["a"].I64[1] != 1<<40 || back.Tensors["b"].F32[0] != 2 {
		t.Errorf("read back %v %v %v", back.Keys, back.Tensors["a"], back.Tensors["b"])
	}
}
