package lowformer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// stFile builds a safetensors file from a JSON header and data bytes.
func stFile(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

// lowEntropy returns n pseudo-random bytes of 0 and 1: about 8:1
// compressible, far below the inflate-ratio limit.
func lowEntropy(n int) []byte {
	out := make([]byte, n)
	x := uint64(0x9E3779B97F4A7C15)
	for i := range out {
		x ^= x << 13 // xorshift64
		x ^= x >> 7
		x ^= x << 17
		out[i] = byte(x >> 63)
	}
	return out
}

// hostileSlack is what a refused file may allocate beyond its own size:
// the error path's strings, the zip directory, JSON decoding state.
const hostileSlack = 256 << 10

// headerSlack bounds what decoding a safetensors header may allocate: about
// 1.4 KB per entry, and the reader refuses headers of more than 16384
// entries (model/checkpoint maxTensors), whatever the file size.
const headerSlack = 32 << 20

// TestHostileCheckpointsAllocateLittle opens files whose headers claim
// far more data than they hold. Each must be refused with an error that
// says why, allocating no more than the file's own size plus hostileSlack
// (runtime.MemStats.TotalAlloc), before any large buffer exists.
func TestHostileCheckpointsAllocateLittle(t *testing.T) {
	const tib = int64(1) << 40
	// The tiny model's tensors followed by 20 000 extra empty ones.
	manyEmpty := func() []byte {
		sd := synthStateDict(t, tinyConfig)
		for i := range 20000 {
			k := fmt.Sprintf("extra.%d", i)
			sd.Keys = append(sd.Keys, k)
			sd.Tensors[k] = &checkpoint.Tensor{Shape: []int{0}, DType: checkpoint.F32, F32: []float32{}}
		}
		return safetensorsOf(t, sd, "F32", nil)
	}
	tests := []struct {
		name  string
		file  []byte
		want  string
		slack uint64 // allowed allocation beyond the file size
	}{
		{"safetensors: 2^40-element tensor over 4 bytes",
			stFile(fmt.Sprintf(`{"w":{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]}}`, tib, 4*tib), make([]byte, 4)),
			"truncated", hostileSlack},
		{"safetensors: shape overflowing int64",
			stFile(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}`, make([]byte, 4)),
			"more elements than an int64", hostileSlack},
		{"safetensors: header length of 99 MB in a 16-byte file",
			append(binary.LittleEndian.AppendUint64(nil, 99<<20), "{}      "...),
			"exceeds the 16777216-byte limit", hostileSlack},
		{"safetensors: header length of 15 MB in a 16-byte file",
			append(binary.LittleEndian.AppendUint64(nil, 15<<20), "{}      "...),
			"truncated", hostileSlack},
		{"safetensors: a tiny model plus 20 000 empty tensors (JSON parsing cost)",
			manyEmpty(), "more than 16384 tensors", headerSlack},
		{"pytorch: storage of 2^40 floats holding 4 bytes",
			checkpointZip(t, zipEntry{Name: "archive/data.pkl", Data: tensorPickle(tib, []int64{tib}, []int64{1})},
				zipEntry{Name: "archive/data/0", Data: make([]byte, 4)}),
			"holds only 4 bytes", hostileSlack},
		{"pytorch: 2^20×2^20 zero-stride view of one float",
			checkpointZip(t, zipEntry{Name: "archive/data.pkl", Data: tensorPickle(1, []int64{1 << 20, 1 << 20}, []int64{0, 0})},
				zipEntry{Name: "archive/data/0", Data: make([]byte, 4)}),
			"more storage bytes than twice the file size", hostileSlack},
		{"pytorch: zip bomb (16 MiB of zeros deflated)",
			checkpointZip(t, zipEntry{Name: "archive/data.pkl", Data: tensorPickle(1, []int64{1}, []int64{1})},
				zipEntry{Name: "archive/data/0", Data: make([]byte, 16<<20), Deflate: true}),
			"zip bomb", hostileSlack},
		{"pytorch: storage inflating to 6x the file size",
			checkpointZip(t, zipEntry{Name: "archive/data.pkl", Data: tensorPickle(1<<20, []int64{1 << 20}, []int64{1})},
				zipEntry{Name: "archive/data/0", Data: lowEntropy(4 << 20), Deflate: true}),
			"more than the file size allows", hostileSlack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			got := allocated(func() {
				var m *Model
				m, err = OpenBytes(context.Background(), tt.file, Options{Backend: CPU})
				if err == nil {
					m.Close()
				}
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
			limit := uint64(len(tt.file)) + tt.slack
			t.Logf("%d-byte file: allocated %d bytes (limit %d): %v", len(tt.file), got, limit, err)
			if got > limit {
				t.Fatalf("refusing a %d-byte file allocated %d bytes, more than %d", len(tt.file), got, limit)
			}
		})
	}
}

// validAllocFactor and validAllocSlack bound what opening a valid
// checkpoint may allocate: float16 weights become float32 (2x), the graph
// holds the folded weights (another copy, folded through float64
// temporaries) and reading needs one scratch buffer of the largest tensor.
// Measured: 2.6x for b0's float32 evalmodel.pt, 3.6x for a float32 and
// 6.6x for a float16 safetensors file. int8 weights become float32 (4x):
// int8AllocFactor bounds int8 files (measured: 9.3x for b0).
const (
	validAllocFactor = 8
	int8AllocFactor  = 16
	validAllocSlack  = 4 << 20
)

// TestValidCheckpointAllocation measures what opening real checkpoints
// allocates, relative to their size.
func TestValidCheckpointAllocation(t *testing.T) {
	sd := synthStateDict(t, smallConfig)
	type file struct {
		data   []byte
		factor uint64
	}
	files := map[string]file{
		"small F32 safetensors":  {safetensorsOf(t, sd, "F32", nil), validAllocFactor},
		"small F16 safetensors":  {safetensorsOf(t, sd, "F16", nil), validAllocFactor},
		"small int8 safetensors": {safetensorsOf(t, int8Of(t), "F32", int8Meta), int8AllocFactor},
	}
	if dir, ok := refDir("b0"); ok {
		b, err := os.ReadFile(filepath.Join(dir, "evalmodel.pt"))
		if err != nil {
			t.Fatal(err)
		}
		files["b0 evalmodel.pt"] = file{b, validAllocFactor}
		if !testing.Short() {
			b0, err := checkpoint.ReadBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := model.ConfigByName("b0")
			if err != nil {
				t.Fatal(err)
			}
			q, err := model.QuantizeInt8(cfg, b0, model.MinQuantElements)
			if err != nil {
				t.Fatal(err)
			}
			files["b0 int8 safetensors"] = file{safetensorsOf(t, q, "F32", int8Meta), int8AllocFactor}
		}
	}
	for name, f := range files {
		t.Run(name, func(t *testing.T) {
			var err error
			got := allocated(func() {
				var m *Model
				if m, err = OpenBytes(context.Background(), f.data, Options{Backend: CPU}); err == nil {
					m.Close()
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			limit := f.factor*uint64(len(f.data)) + validAllocSlack
			t.Logf("%d-byte file: allocated %d bytes (%.2fx, limit %d)", len(f.data), got, float64(got)/float64(len(f.data)), limit)
			if got > limit {
				t.Fatalf("opening a %d-byte checkpoint allocated %d bytes, more than %d", len(f.data), got, limit)
			}
		})
	}
}

// tinyModel opens tinyConfig on the CPU.
func tinyModel(t *testing.T) *Model {
	t.Helper()
	m, err := OpenBytes(context.Background(), safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil), Options{Backend: CPU})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// checkCPULogits requires m, a model of tinyConfig, to give the CPU
// backend's logits for two 40×40 images, bit for bit.
func checkCPULogits(t *testing.T, what string, m *Model) {
	t.Helper()
	ctx := context.Background()
	in := synthInput(2, 40, 40, 4)
	got, err := m.Logits(ctx, in, 2, 40, 40)
	if err != nil {
		t.Fatal(err)
	}
	want, err := tinyModel(t).Logits(ctx, in, 2, 40, 40)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: logit %d = %v, the CPU backend gives %v", what, i, got[i], want[i])
		}
	}
}

// TestLogitsRefusesNonFinite puts one NaN or ±Inf into a batch of two 40×36
// images: Logits must refuse it, naming the flat index and its position.
func TestLogitsRefusesNonFinite(t *testing.T) {
	m := tinyModel(t)
	const n, h, w = 2, 40, 36
	tests := []struct {
		index int
		value float32
		want  string
	}{
		{0, float32(math.NaN()), "input value 0 (image 0, channel 0, row 0, column 0) is NaN"},
		{3*h*w + 2*h*w + 5*w + 7, float32(math.Inf(1)), fmt.Sprintf("input value %d (image 1, channel 2, row 5, column 7) is +Inf", 3*h*w+2*h*w+5*w+7)},
		{2*3*h*w - 1, float32(math.Inf(-1)), fmt.Sprintf("input value %d (image 1, channel 2, row 39, column 35) is -Inf", 2*3*h*w-1)},
	}
	for _, tt := range tests {
		t.Run(tt.want[:16], func(t *testing.T) {
			in := synthInput(n, h, w, 3)
			in[len(in)-1] = float32(math.NaN()) // a later bad value: only the first one is named
			in[tt.index] = tt.value
			_, err := m.Logits(context.Background(), in, n, h, w)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := m.Logits(context.Background(), synthInput(n, h, w, 3), n, h, w); err != nil {
		t.Fatalf("a finite batch fails: %v", err)
	}
}

// TestLogitsShapeOverflow gives shapes whose n·3·h·w overflows int to the
// length of the input: they must be refused, not run.
func TestLogitsShapeOverflow(t *testing.T) {
	m := tinyModel(t)
	in := make([]float32, 3*64*64)
	for _, s := range []struct{ n, h, w int }{
		{1<<62 + 1, 64, 64}, // 3·64·64·(2^62+1) ≡ 12288 mod 2^64
		{1, 1 << 31, 1 << 31},
		{math.MaxInt, 64, 64},
	} {
		if _, err := m.Logits(context.Background(), in, s.n, s.h, s.w); err == nil {
			t.Errorf("shape [%d,3,%d,%d] with %d values was accepted", s.n, s.h, s.w, len(in))
		}
	}
}

// hugeImage claims large bounds without holding pixels.
type hugeImage struct{ r image.Rectangle }

func (h hugeImage) ColorModel() color.Model { return color.RGBAModel }
func (h hugeImage) Bounds() image.Rectangle { return h.r }
func (h hugeImage) At(x, y int) color.Color { return color.RGBA{1, 2, 3, 255} }

// TestClassifyRefusesBadImages: nil, empty and oversized images are
// refused before preprocessing touches a pixel (or allocates a buffer).
func TestClassifyRefusesBadImages(t *testing.T) {
	m := tinyModel(t)
	ok := image.NewRGBA(image.Rect(0, 0, 40, 30))
	tests := []struct {
		name string
		img  image.Image
		want string
	}{
		{"nil", nil, "image 1 is nil"},
		{"zero width", image.NewRGBA(image.Rect(0, 0, 0, 30)), "image 1 is empty (0x30 pixels)"},
		{"zero height", image.NewGray(image.Rect(5, 5, 50, 5)), "image 1 is empty (45x0 pixels)"},
		{"image.Uniform (infinite bounds)", image.NewUniform(color.White), "more than the 100000000-pixel limit"},
		{"20000x20000", hugeImage{image.Rect(0, 0, 20000, 20000)}, "image 1 is 20000x20000 pixels"},
		{"1x200000000", hugeImage{image.Rect(0, 0, 1, 200_000_000)}, "more than the 100000000-pixel limit"},
		{"overflowing bounds", hugeImage{image.Rect(math.MinInt, 0, math.MaxInt, 10)}, "pixel limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			got := allocated(func() {
				_, err = m.ClassifyBatch(context.Background(), []image.Image{ok, tt.img}, ClassifyOptions{TopK: 2, Side: 32})
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if got > 64<<10 {
				t.Fatalf("refusing the image allocated %d bytes: preprocessing started", got)
			}
		})
	}
	p, err := m.Classify(context.Background(), ok, ClassifyOptions{TopK: 2})
	if err != nil || len(p) != 2 {
		t.Fatalf("a valid image: %v, %v", p, err)
	}
}

// TestCallsAfterClose: every call on a closed model returns ErrClosed, on
// each backend; Close is idempotent.
func TestCallsAfterClose(t *testing.T) {
	file := safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil)
	for _, be := range []Backend{CPU, GPU} {
		t.Run(be.String(), func(t *testing.T) {
			m := openOn(t, file, be)
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			img := image.NewRGBA(image.Rect(0, 0, 40, 40))
			if _, err := m.Logits(context.Background(), synthInput(1, 32, 32, 1), 1, 32, 32); !errors.Is(err, ErrClosed) {
				t.Errorf("Logits: %v, want ErrClosed", err)
			}
			if _, err := m.Classify(context.Background(), img, ClassifyOptions{TopK: 1}); !errors.Is(err, ErrClosed) {
				t.Errorf("Classify: %v, want ErrClosed", err)
			}
			if _, err := m.ClassifyBatch(context.Background(), []image.Image{img, img}, ClassifyOptions{TopK: 1, Side: 32}); !errors.Is(err, ErrClosed) {
				t.Errorf("ClassifyBatch: %v, want ErrClosed", err)
			}
			if got := m.GPUMemoryBytes(); got != 0 {
				t.Errorf("GPUMemoryBytes = %d after Close", got)
			}
			if err := m.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// int8Of returns smallConfig's synthetic state dict with every conv and
// linear weight quantized (model.QuantizeInt8), as a state dict to tamper
// with before writing.
func int8Of(t *testing.T) *checkpoint.StateDict {
	t.Helper()
	q, err := model.QuantizeInt8(smallConfig, synthStateDict(t, smallConfig), 1)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// int8Meta is the metadata of an int8 file.
var int8Meta = map[string]string{checkpoint.MetaQuantization: checkpoint.QuantInt8}

// TestInt8Checkpoint opens an int8 file: Info says so, and its logits are
// bit for bit those of a float32 file holding the dequantized weights
// (q·scale, computed here), on the CPU.
func TestInt8Checkpoint(t *testing.T) {
	q := int8Of(t)
	m := openOn(t, safetensorsOf(t, q, "F32", int8Meta), CPU)
	if in := m.Info(); in.DType != "I8" || in.Quantization != checkpoint.QuantInt8 {
		t.Fatalf("Info: dtype %q, quantization %q; want I8, %s", in.DType, in.Quantization, checkpoint.QuantInt8)
	}
	deq := &checkpoint.StateDict{Tensors: map[string]*checkpoint.Tensor{}}
	n := 0
	for _, k := range q.Keys {
		tn := q.Tensors[k]
		if strings.HasSuffix(k, checkpoint.ScaleSuffix) {
			continue
		}
		if tn.DType == checkpoint.I8 {
			s := q.Tensors[k+checkpoint.ScaleSuffix]
			axis := 0
			if s.Shape[0] == 1 && len(s.Shape) > 1 {
				axis = 1
			}
			inner := 1
			for _, d := range tn.Shape[axis+1:] {
				inner *= d
			}
			v := make([]float32, len(tn.I64))
			for i, x := range tn.I64 {
				v[i] = float32(x) * s.F32[i/inner%tn.Shape[axis]]
			}
			tn, n = &checkpoint.Tensor{Shape: tn.Shape, DType: checkpoint.F32, F32: v}, n+1
		}
		deq.Tensors[k], deq.Keys = tn, append(deq.Keys, k)
	}
	if n == 0 {
		t.Fatal("no int8 tensor")
	}
	ref := openOn(t, safetensorsOf(t, deq, "F32", nil), CPU)
	ctx := context.Background()
	in := synthInput(2, 40, 40, 5)
	got, err := m.Logits(ctx, in, 2, 40, 40)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Logits(ctx, in, 2, 40, 40)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("logit %d: int8 file gives %v, its dequantized weights %v", i, got[i], want[i])
		}
	}
}

// TestMalformedInt8Checkpoints opens int8 files with the scales or the
// metadata broken: each fails with ErrBadCheckpoint and says what is
// wrong, never panics.
func TestMalformedInt8Checkpoints(t *testing.T) {
	var weight string // the first quantized weight
	for _, k := range int8Of(t).Keys {
		if strings.HasSuffix(k, checkpoint.ScaleSuffix) {
			weight = strings.TrimSuffix(k, checkpoint.ScaleSuffix)
			break
		}
	}
	scaleKey := weight + checkpoint.ScaleSuffix
	tamper := func(f func(sd *checkpoint.StateDict)) *checkpoint.StateDict {
		sd := int8Of(t)
		f(sd)
		return sd
	}
	dropKey := func(sd *checkpoint.StateDict, k string) {
		delete(sd.Tensors, k)
		for i, key := range sd.Keys {
			if key == k {
				sd.Keys = append(sd.Keys[:i], sd.Keys[i+1:]...)
				break
			}
		}
	}
	for _, tc := range []struct {
		name string
		sd   *checkpoint.StateDict
		meta map[string]string
		want string
	}{
		{"missing scale", tamper(func(sd *checkpoint.StateDict) { dropKey(sd, scaleKey) }), int8Meta,
			fmt.Sprintf("int8 tensor %q has no scale tensor %q", weight, scaleKey)},
		{"scale of the wrong length", tamper(func(sd *checkpoint.StateDict) {
			s := sd.Tensors[scaleKey]
			s.Shape[0]++
			s.F32 = append(s.F32, 1)
		}), int8Meta, fmt.Sprintf("scale tensor %q has shape", scaleKey)},
		{"scale of the wrong rank", tamper(func(sd *checkpoint.StateDict) {
			s := sd.Tensors[scaleKey]
			s.Shape = s.Shape[:1]
		}), int8Meta, "needs its rank"},
		{"negative scale", tamper(func(sd *checkpoint.StateDict) { sd.Tensors[scaleKey].F32[0] = -1 }), int8Meta, "scales must be finite and ≥ 0"},
		{"infinite scale", tamper(func(sd *checkpoint.StateDict) { sd.Tensors[scaleKey].F32[0] = float32(math.Inf(1)) }), int8Meta, "scales must be finite"},
		{"no metadata", int8Of(t), nil, "the safetensors metadata does not record the quantization"},
		{"unknown scheme", int8Of(t), map[string]string{checkpoint.MetaQuantization: "int4"}, `"quantization" is "int4"`},
		{"scheme on a float file", synthStateDict(t, smallConfig), int8Meta, "holds no I8 tensor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := OpenBytes(context.Background(), safetensorsOf(t, tc.sd, "F32", tc.meta), Options{Backend: CPU})
			if err == nil {
				m.Close()
			}
			if !errors.Is(err, ErrBadCheckpoint) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v: want ErrBadCheckpoint containing %q", err, tc.want)
			}
		})
	}
}
