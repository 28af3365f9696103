package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// quantFixture is a state dict with a conv weight [4,3,2,2] (axis 0), a
// ConvTranspose weight [3,4,2,2] (axis 1), a linear weight [5,6] with an
// all-zero row, a bias and an int scalar.
func quantFixture() *StateDict {
	rng := rand.New(rand.NewSource(7))
	vals := func(n int, scale float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = (rng.Float32()*2 - 1) * scale
		}
		return v
	}
	lin := vals(30, 0.5)
	for i := 6; i < 12; i++ {
		lin[i] = 0 // row 1: scale 0
	}
	return &StateDict{
		Tensors: map[string]*Tensor{
			"conv.weight":  {Shape: []int{4, 3, 2, 2}, DType: F32, F32: vals(48, 3)},
			"convt.weight": {Shape: []int{3, 4, 2, 2}, DType: F32, F32: vals(48, 0.01)},
			"fc.weight":    {Shape: []int{5, 6}, DType: F32, F32: lin},
			"fc.bias":      {Shape: []int{5}, DType: F32, F32: vals(5, 1)},
			"bn.count":     {Shape: []int{}, DType: I64, I64: []int64{42}},
		},
		Keys: []string{"conv.weight", "convt.weight", "fc.weight", "fc.bias", "bn.count"},
	}
}

var fixtureAxes = map[string]int{"conv.weight": 0, "convt.weight": 1, "fc.weight": 0}

// channelOf returns the channel of flat index i of shape along axis.
func channelOf(shape []int, axis, i int) int {
	inner := 1
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return i / inner % shape[axis]
}

// TestQuantizeInt8RoundTrip quantizes, writes and reads back: the file
// keeps the keys and the metadata, reads as F32 tensors with the scheme
// recorded and FileDType I8, and every value is within half a step (its
// channel's max|w|/254) of the original; the max of each channel is exact
// up to float32 rounding; the unquantized tensors are bit-exact.
func TestQuantizeInt8RoundTrip(t *testing.T) {
	sd := quantFixture()
	q, err := QuantizeInt8(sd, fixtureAxes)
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"conv.weight", "conv.weight.scale", "convt.weight", "convt.weight.scale", "fc.weight", "fc.weight.scale", "fc.bias", "bn.count"}
	if !reflect.DeepEqual(q.Keys, wantKeys) {
		t.Fatalf("quantized keys %v, want %v", q.Keys, wantKeys)
	}
	if s := q.Tensors["convt.weight.scale"].Shape; !reflect.DeepEqual(s, []int{1, 4, 1, 1}) {
		t.Errorf("ConvTranspose scale shape %v, want [1 4 1 1]", s)
	}
	if sd.Tensors["conv.weight"].DType != F32 || len(sd.Keys) != 5 {
		t.Fatal("QuantizeInt8 modified its input")
	}
	meta := map[string]string{MetaQuantization: QuantInt8, "k": "v"}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, q, F32, meta); err != nil {
		t.Fatal(err)
	}
	var f32 bytes.Buffer
	if err := WriteSafetensors(&f32, sd, F32, nil); err != nil {
		t.Fatal(err)
	}
	if buf.Len() >= f32.Len() {
		t.Errorf("int8 file %d bytes, not smaller than the F32 file's %d", buf.Len(), f32.Len())
	}
	back, err := ReadBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Keys, sd.Keys) || back.FileDType != I8 || back.Quantization != QuantInt8 || !reflect.DeepEqual(back.Meta, map[string]string{"k": "v"}) {
		t.Fatalf("read back keys %v, dtype %s, quantization %q, meta %v", back.Keys, back.FileDType, back.Quantization, back.Meta)
	}
	for k, axis := range fixtureAxes {
		src, got := sd.Tensors[k], back.Tensors[k]
		if got.DType != F32 || got.I64 != nil || !reflect.DeepEqual(got.Shape, src.Shape) {
			t.Fatalf("%s: read back as %s %v (ints %v)", k, got.DType, got.Shape, got.I64 != nil)
		}
		maxAbs := make([]float64, src.Shape[axis])
		for i, v := range src.F32 {
			c := channelOf(src.Shape, axis, i)
			maxAbs[c] = max(maxAbs[c], math.Abs(float64(v)))
		}
		for i, v := range src.F32 {
			m := maxAbs[channelOf(src.Shape, axis, i)]
			d := math.Abs(float64(got.F32[i]) - float64(v))
			if d > m/254*(1+1e-5) {
				t.Errorf("%s[%d]: %g → %g, off by %g, more than half a step of %g", k, i, v, got.F32[i], d, m/127)
			}
			if math.Abs(float64(v)) == m && d > m*1e-6 {
				t.Errorf("%s[%d]: the channel's largest value %g came back as %g", k, i, v, got.F32[i])
			}
		}
	}
	for _, k := range []string{"fc.bias", "bn.count"} {
		if !reflect.DeepEqual(back.Tensors[k].F32, sd.Tensors[k].F32) || !reflect.DeepEqual(back.Tensors[k].I64, sd.Tensors[k].I64) {
			t.Errorf("%s changed in the round trip", k)
		}
	}
	for i := 6; i < 12; i++ {
		if v := back.Tensors["fc.weight"].F32[i]; v != 0 {
			t.Errorf("fc.weight[%d] of the all-zero row is %g", i, v)
		}
	}
	// An int8 file read back and quantized again gives the same bytes.
	again, err := QuantizeInt8(back, fixtureAxes)
	if err != nil {
		t.Fatal(err)
	}
	var buf2 bytes.Buffer
	if err := WriteSafetensors(&buf2, again, F32, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Error("quantizing the dequantized weights again changed the file")
	}
}

// TestQuantizeInt8Errors checks what QuantizeInt8 refuses.
func TestQuantizeInt8Errors(t *testing.T) {
	nan := quantFixture()
	nan.Tensors["conv.weight"].F32[5] = float32(math.NaN())
	clash := quantFixture()
	clash.Tensors["fc.weight.scale"] = &Tensor{Shape: []int{5, 1}, DType: F32, F32: make([]float32, 5)}
	clash.Keys = append(clash.Keys, "fc.weight.scale")
	for _, tc := range []struct {
		name string
		sd   *StateDict
		axes map[string]int
		msg  string
	}{
		{"nil", nil, nil, "needs a state dict"},
		{"unknown key", quantFixture(), map[string]int{"nope": 0}, `"nope": no such tensor`},
		{"int tensor", quantFixture(), map[string]int{"bn.count": 0}, "not a float tensor"},
		{"axis out of range", quantFixture(), map[string]int{"fc.weight": 2}, "axis 2 is outside its shape [5 6]"},
		{"negative axis", quantFixture(), map[string]int{"fc.weight": -1}, "axis -1 is outside"},
		{"NaN weight", nan, fixtureAxes, "value 5 is NaN"},
		{"scale name taken", clash, fixtureAxes, `already has a tensor "fc.weight.scale"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := QuantizeInt8(tc.sd, tc.axes)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err %v, want one containing %q", err, tc.msg)
			}
		})
	}
	bad := &StateDict{Tensors: map[string]*Tensor{"q": {Shape: []int{1}, DType: I8, I64: []int64{200}}}, Keys: []string{"q"}}
	if err := WriteSafetensors(&bytes.Buffer{}, bad, F32, nil); err == nil || !strings.Contains(err.Error(), "value 200 at index 0 does not fit I8") {
		t.Errorf("writing an I8 tensor holding 200: %v", err)
	}
}

// int8File writes a safetensors file by hand: an I8 tensor "w" [2,3] and
// whatever scale entries and metadata the case needs.
func int8File(meta string, entries ...string) []byte {
	header := "{"
	if meta != "" {
		header += `"__metadata__":` + meta + ","
	}
	header += `"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]}`
	for _, e := range entries {
		header += "," + e
	}
	header += "}"
	data := []byte{1, 0xff, 127, 0x81, 2, 0}
	data = append(data, f32Bytes(0.5, 2, 1, 1, 1, 1)...) // room for scale tensors at 6..30
	return stFile(header, data)
}

// TestReadInt8Errors feeds malformed int8 files: each fails with a clear
// error of the right kind, never a panic; the valid control dequantizes.
func TestReadInt8Errors(t *testing.T) {
	const meta = `{"quantization":"int8_symmetric_per_channel"}`
	scale := func(dtype, shape string, end int) string {
		return fmt.Sprintf(`"w.scale":{"dtype":"%s","shape":%s,"data_offsets":[6,%d]}`, dtype, shape, end)
	}
	for _, tc := range []struct {
		name string
		data []byte
		kind error
		msg  string
	}{
		{"valid control", int8File(meta, scale("F32", "[2,1]", 14)), nil, ""},
		{"per-tensor scale", int8File(meta, scale("F32", "[1,1]", 10)), nil, ""},
		{"missing scale", int8File(meta), ErrCorrupt, `int8 tensor "w" has no scale tensor "w.scale"`},
		{"scale rank", int8File(meta, scale("F32", "[2]", 14)), ErrCorrupt, `scale tensor "w.scale" has shape [2]; int8 tensor "w" of shape [2 3] needs its rank`},
		{"scale of both axes", int8File(meta, scale("F32", "[2,3]", 30)), ErrCorrupt, "needs one scale per channel of one axis"},
		{"scale dim mismatch", int8File(meta, scale("F32", "[4,1]", 22)), ErrCorrupt, `scale tensor "w.scale" has shape [4 1]`},
		{"integer scale", int8File(meta, `"w.scale":{"dtype":"I32","shape":[2,1],"data_offsets":[6,14]}`), ErrCorrupt, "has dtype I32, want a float type"},
		{"negative scale", stFile(`{"__metadata__":`+meta+`,"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]},"w.scale":{"dtype":"F32","shape":[2,1],"data_offsets":[8,16]}}`,
			append([]byte{1, 2, 3, 4, 5, 6, 0, 0}, f32Bytes(1, -1)...)), ErrCorrupt, "scale 1 is -1; scales must be finite and ≥ 0"},
		{"NaN scale", stFile(`{"__metadata__":`+meta+`,"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]},"w.scale":{"dtype":"F32","shape":[2,1],"data_offsets":[8,16]}}`,
			append([]byte{1, 2, 3, 4, 5, 6, 0, 0}, f32Bytes(float32(math.NaN()), 1)...)), ErrCorrupt, "scale 0 is NaN"},
		{"orphan scale", stFile(`{"__metadata__":`+meta+`,"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]},"w.scale":{"dtype":"F32","shape":[2,1],"data_offsets":[8,16]},"v.scale":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}`,
			append([]byte{1, 2, 3, 4, 5, 6, 0, 0}, f32Bytes(1, 1, 1)...)), ErrCorrupt, `scale tensor "v.scale" has no int8 tensor "v"`},
		{"unknown scheme", int8File(`{"quantization":"int4_awq"}`, scale("F32", "[2,1]", 14)), ErrUnsupported, `metadata "quantization" is "int4_awq"; the only quantization read is "int8_symmetric_per_channel"`},
		{"no metadata", int8File("", scale("F32", "[2,1]", 14)), ErrCorrupt, `int8 tensor "w" has a scale tensor "w.scale" but the safetensors metadata does not record the quantization`},
		{"metadata without int8", stFile(`{"__metadata__":`+meta+`,"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32Bytes(1)), ErrCorrupt, "holds no I8 tensor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sd, err := ReadBytes(tc.data)
			if tc.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
				w := sd.Tensors["w"]
				want := []float32{0.5, -0.5, 63.5, -254, 4, 0} // per channel: scales 0.5 and 2
				if tc.name == "per-tensor scale" {
					want = []float32{0.5, -0.5, 63.5, -63.5, 1, 0}
				}
				if !reflect.DeepEqual(w.F32, want) || w.DType != F32 || len(sd.Keys) != 1 || sd.FileDType != I8 {
					t.Fatalf("got %v (%s), keys %v, file dtype %s; want %v", w.F32, w.DType, sd.Keys, sd.FileDType, want)
				}
				return
			}
			if err == nil || !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err %v, want %v containing %q", err, tc.kind, tc.msg)
			}
		})
	}
}
