package checkpoint

import (
	"archive/zip"
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestFixtures reads every committed fixture and compares keys (in order,
// after normalisation), shapes, dtypes and all values with what torch wrote
// into expected.json.
func TestFixtures(t *testing.T) {
	expected, _ := loadExpected(t)
	for _, tc := range []struct {
		file      string
		root      string // zip root folder the fixture must use ("" for safetensors)
		fileDType DType
		covers    string
	}{
		{"bare.pt", "bare", F32, "bare OrderedDict state dict"},
		{"trainer.pt", "trainer", F32, "trainer dict with empty optimizer state and float EMA key"},
		{"trainer_optim.pt", "trainer_optim", F32, "real AdamW state: NEWTRUE, TUPLE3, LONG1, LONG_BINPUT"},
		{"module_prefix.pt", "module_prefix", F32, "module. prefix stripped"},
		{"legacy_head.pt", "legacy_head", F32, "head.opseq. renamed to head."},
		{"archive_root.pt", "archive", F32, "zip root folder named archive"},
		{"mixed_dtypes.pt", "mixed_dtypes", F16, "Half, BFloat16, Double, Int and Long storages"},
		{"half.pt", "half", F16, "float16 storages"},
		{"views.pt", "views", F32, "storage offsets, transposed, strided, expanded and shared storages"},
		{"params_proto4.pt", "params_proto4", F32, "pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE) and _rebuild_parameter"},
		{"st_f32.safetensors", "", F32, "python-written safetensors, F32"},
		{"st_f16.safetensors", "", F16, "python-written safetensors, F16"},
		{"st_bf16.safetensors", "", BF16, "python-written safetensors, BF16"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := readFixture(t, tc.file)
			want, ok := expected[tc.file]
			if !ok {
				t.Fatalf("expected.json has no entry for %s", tc.file)
			}
			if tc.root != "" {
				checkZipRoot(t, data, tc.root)
			}
			sd, err := ReadBytes(data)
			if err != nil {
				t.Fatalf("%s (%s): %v", tc.file, tc.covers, err)
			}
			wantFormat := FormatPyTorch
			if tc.root == "" {
				wantFormat = FormatSafetensors
			}
			if sd.Format != wantFormat || sd.FileDType != tc.fileDType || sd.HasOptimizerState != want.HasOptimizerState {
				t.Errorf("format %q, file dtype %q, optimizer state %v; want %q, %q, %v",
					sd.Format, sd.FileDType, sd.HasOptimizerState, wantFormat, tc.fileDType, want.HasOptimizerState)
			}
			if !reflect.DeepEqual(sd.Meta, want.Meta) {
				t.Errorf("meta %v, want %v", sd.Meta, want.Meta)
			}
			compareExpected(t, sd, want.Tensors)
		})
	}
}

// checkZipRoot makes sure the fixture really exercises the given root name.
func checkZipRoot(t *testing.T, data []byte, root string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/data.pkl") && f.Name != root+"/data.pkl" {
			t.Fatalf("fixture pickle is %s, want %s/data.pkl", f.Name, root)
		}
	}
}

// compareExpected checks keys, shapes, dtypes and exact values.
func compareExpected(t *testing.T, sd *StateDict, want []expectedTensor) {
	t.Helper()
	if len(sd.Keys) != len(want) || len(sd.Tensors) != len(want) {
		t.Fatalf("got keys %v, want %d tensors", sd.Keys, len(want))
	}
	for i, w := range want {
		if sd.Keys[i] != w.Key {
			t.Errorf("key #%d = %q, want %q", i, sd.Keys[i], w.Key)
			continue
		}
		got := sd.Tensors[w.Key]
		if !reflect.DeepEqual(got.Shape, w.Shape) || got.DType != w.DType {
			t.Errorf("%s: shape %v dtype %s, want %v %s", w.Key, got.Shape, got.DType, w.Shape, w.DType)
			continue
		}
		if got.DType.IsFloat() != (got.F32 != nil) || got.DType.IsFloat() == (got.I64 != nil) {
			t.Errorf("%s: dtype %s but F32 set=%v, I64 set=%v", w.Key, got.DType, got.F32 != nil, got.I64 != nil)
		}
		vals := tensorValues(got)
		if len(vals) != len(w.Values) {
			t.Errorf("%s: %d values, want %d", w.Key, len(vals), len(w.Values))
			continue
		}
		for j, v := range w.Values {
			if vals[j] != v && !(math.IsNaN(v) && math.IsNaN(vals[j])) {
				t.Errorf("%s[%d] = %v, want %v", w.Key, j, vals[j], v)
				break
			}
		}
	}
}

// TestDeflatedCheckpoint re-packs a fixture with deflate-compressed entries
// (as a zip tool would) and expects the same tensors.
func TestDeflatedCheckpoint(t *testing.T) {
	data := readFixture(t, "trainer_optim.pt")
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var entries []zipEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		entries = append(entries, zipEntry{Name: f.Name, Data: b.Bytes(), Deflate: true})
	}
	sd, err := ReadBytes(buildZip(t, entries...))
	if err != nil {
		t.Fatal(err)
	}
	expected, _ := loadExpected(t)
	compareExpected(t, sd, expected["trainer_optim.pt"].Tensors)
}

// TestConversionMatchesTorch compares float32 -> float16/bfloat16 rounding
// with torch's .half() and .bfloat16() on tricky values (ties, subnormals,
// overflow), and float16 -> float32 with an independent formula for all
// 65536 bit patterns.
func TestConversionMatchesTorch(t *testing.T) {
	_, conv := loadExpected(t)
	if len(conv.F32Bits) == 0 || len(conv.F16Bits) != len(conv.F32Bits) || len(conv.BF16Bits) != len(conv.F32Bits) {
		t.Fatal("expected.json has no conversion vectors")
	}
	for i, b := range conv.F32Bits {
		v := math.Float32frombits(b)
		if got := f32ToF16(v); got != conv.F16Bits[i] {
			t.Errorf("f32ToF16(%g) = %#04x, torch gives %#04x", v, got, conv.F16Bits[i])
		}
		if got := f32ToBF16(v); got != conv.BF16Bits[i] {
			t.Errorf("f32ToBF16(%g) = %#04x, torch gives %#04x", v, got, conv.BF16Bits[i])
		}
	}
	for h := 0; h < 1<<16; h++ {
		got := f16ToF32(uint16(h))
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		exp, mant := (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case exp == 0x1f && mant == 0:
			want = math.Inf(int(sign))
		case exp == 0x1f:
			if !math.IsNaN(float64(got)) {
				t.Errorf("f16ToF32(%#04x) = %g, want NaN", h, got)
			}
			continue
		case exp == 0:
			want = sign * math.Ldexp(float64(mant), -24)
		default:
			want = sign * math.Ldexp(1+float64(mant)/1024, exp-15)
		}
		if float64(got) != want || math.Signbit(float64(got)) != (sign < 0) {
			t.Errorf("f16ToF32(%#04x) = %g, want %g", h, got, want)
		}
		if back := f32ToF16(got); back != uint16(h) {
			t.Errorf("f32ToF16(f16ToF32(%#04x)) = %#04x", h, back)
		}
	}
}
