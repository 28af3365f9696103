package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/labels"
	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

func readCheckpoint(t *testing.T, path string) *checkpoint.StateDict {
	t.Helper()
	sd, err := checkpoint.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkMeta checks the metadata convert writes: the config (equal to the
// one detected from the original .pt), the variant and the labels.
func checkMeta(t *testing.T, meta map[string]string, want model.Config, wantLabels []string) {
	t.Helper()
	var cfg model.Config
	if err := json.Unmarshal([]byte(meta[lowformer.MetaConfig]), &cfg); err != nil {
		t.Fatalf("metadata %s = %q: %v", lowformer.MetaConfig, meta[lowformer.MetaConfig], err)
	}
	if cfg != want {
		t.Errorf("metadata config %+v, want %+v", cfg, want)
	}
	if meta[lowformer.MetaVariant] != want.Name {
		t.Errorf("metadata variant %q, want %q", meta[lowformer.MetaVariant], want.Name)
	}
	var l []string
	if err := json.Unmarshal([]byte(meta[lowformer.MetaLabels]), &l); err != nil || !reflect.DeepEqual(l, wantLabels) {
		t.Errorf("metadata labels: %d names (error %v), want %d starting %q", len(l), err, len(wantLabels), wantLabels[0])
	}
}

// TestConvertF32 checks that .pt → f32 safetensors keeps every tensor bit
// for bit with the right metadata, and that converting the result again
// reproduces the file byte for byte.
func TestConvertF32(t *testing.T) {
	pt := readCheckpoint(t, b0Weights(t))
	want, err := model.DetectConfig(pt)
	if err != nil {
		t.Fatal(err)
	}
	st := converted(t, "f32")
	got := readCheckpoint(t, st)
	if got.Format != checkpoint.FormatSafetensors || got.FileDType != checkpoint.F32 || !reflect.DeepEqual(got.Keys, pt.Keys) {
		t.Fatalf("format %s, dtype %s, %d keys; want safetensors, F32, the %d keys of the .pt in order",
			got.Format, got.FileDType, len(got.Keys), len(pt.Keys))
	}
	for _, k := range pt.Keys {
		a, b := pt.Tensors[k], got.Tensors[k]
		if !reflect.DeepEqual(a.Shape, b.Shape) || !reflect.DeepEqual(a.I64, b.I64) || len(a.F32) != len(b.F32) {
			t.Fatalf("%s: shape %v, want %v (or integer values differ)", k, b.Shape, a.Shape)
		}
		for i := range a.F32 {
			if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
				t.Fatalf("%s[%d] = %v, the .pt holds %v", k, i, b.F32[i], a.F32[i])
			}
		}
	}
	checkMeta(t, got.Meta, want, labels.ImageNet[:])

	again := filepath.Join(t.TempDir(), "again.safetensors")
	r := mustCLI(t, "convert", "-in", st, "-out", again)
	if !strings.Contains(r.stdout, "wrote "+again+": B0, 263 tensors, F32") {
		t.Errorf("convert printed %q", r.stdout)
	}
	if !bytes.Equal(fileBytes(t, again), fileBytes(t, st)) {
		t.Error("converting the f32 safetensors again changed the file")
	}
}

// TestConvertF16 checks that f16 halves the file, that its logits match
// the float64 reference forward of the f16-rounded weights
// (testdata/b0_f16_logits.bin) and stay near the f32 reference, and that
// the file survives f16 → f32 → f16 byte for byte.
func TestConvertF16(t *testing.T) {
	f16, f32 := converted(t, "f16"), converted(t, "f32")
	a, b := len(fileBytes(t, f16)), len(fileBytes(t, f32))
	if ratio := float64(a) / float64(b); ratio < 0.49 || ratio > 0.51 {
		t.Errorf("f16 file is %d bytes, f32 %d: ratio %.3f, want about 0.5", a, b, ratio)
	}
	in, f32Ref := b0Input1(t)
	out := filepath.Join(t.TempDir(), "logits.bin")
	mustCLI(t, "logits", "-weights", f16, "-input", in, "-shape", "1,3,224,224", "-o", out, "-backend", "cpu")
	got := readOutput(t, out)
	// Rounding this checkpoint's weights to f16 moves the exact logits by
	// 0.024 (gen_f16_ref.py prints it), so 1e-2 of the f32 reference is out
	// of reach; the f16 reference takes the f32 path's tolerance.
	for _, c := range []struct {
		name string
		ref  []float32
		tol  float64
	}{
		{"f16-weight reference", decodeFloats(t, fileBytes(t, "testdata/b0_f16_logits.bin")), 2e-4},
		{"f32 reference", f32Ref, 0.03},
	} {
		d := maxAbsDiff(t, got, c.ref)
		if d > c.tol {
			t.Errorf("f16 weights: max |logits - %s| = %.3g, want ≤ %g", c.name, d, c.tol)
		}
		t.Logf("f16 weights: max |logits - %s| = %.3g", c.name, d)
	}

	wide := filepath.Join(t.TempDir(), "wide.safetensors")
	back := filepath.Join(t.TempDir(), "back.safetensors")
	mustCLI(t, "convert", "-in", f16, "-out", wide, "-dtype", "f32")
	mustCLI(t, "convert", "-in", wide, "-out", back, "-dtype", "f16")
	if !bytes.Equal(fileBytes(t, back), fileBytes(t, f16)) {
		t.Error("f16 → f32 → f16 changed the file")
	}
}

// TestConvertInt8 checks -dtype int8 on b0: the file is at most 0.3× the
// f32 one, records its scheme, info shows it, its logits stay near the f32
// reference (synthetic weights scaled ×3 make this checkpoint harder to
// quantize than a trained one: measured max |Δ| 0.23 for this image, 0.30
// over both reference images, on logits within ±1.4), and int8 → f32 → int8 reproduces the file byte for byte.
func TestConvertInt8(t *testing.T) {
	i8, f32 := converted(t, "int8"), converted(t, "f32")
	a, b := len(fileBytes(t, i8)), len(fileBytes(t, f32))
	t.Logf("int8 file %d bytes, f32 %d: ratio %.3f", a, b, float64(a)/float64(b))
	if ratio := float64(a) / float64(b); ratio > 0.3 {
		t.Errorf("int8 file is %d bytes, f32 %d: ratio %.3f, want ≤ 0.3", a, b, ratio)
	}
	sd := readCheckpoint(t, i8)
	if sd.FileDType != checkpoint.I8 || sd.Quantization != checkpoint.QuantInt8 {
		t.Errorf("int8 file: dtype %s, quantization %q", sd.FileDType, sd.Quantization)
	}
	raw := fileBytes(t, i8)
	var header struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(raw[8:8+binary.LittleEndian.Uint64(raw)], &header); err != nil || header.Meta[checkpoint.MetaQuantization] != checkpoint.QuantInt8 {
		t.Errorf("int8 file's metadata %v (%v): want %s %q", header.Meta, err, checkpoint.MetaQuantization, checkpoint.QuantInt8)
	}
	r := mustCLI(t, "info", i8)
	if !strings.Contains(r.stdout, "format, dtype:   safetensors, I8 (int8_symmetric_per_channel:") {
		t.Errorf("info does not show the int8 dtype:\n%s", r.stdout)
	}
	r = mustCLI(t, "info", "-json", i8)
	if !strings.Contains(r.stdout, `"dtype": "I8",`) || !strings.Contains(r.stdout, `"quantization": "int8_symmetric_per_channel",`) {
		t.Errorf("info -json does not show the int8 dtype:\n%.400s", r.stdout)
	}
	in, f32Ref := b0Input1(t)
	out := filepath.Join(t.TempDir(), "logits.bin")
	mustCLI(t, "logits", "-weights", i8, "-input", in, "-shape", "1,3,224,224", "-o", out, "-backend", "cpu")
	d := maxAbsDiff(t, readOutput(t, out), f32Ref)
	t.Logf("int8 weights: max |logits - f32 reference| = %.3g", d)
	if d > 0.5 {
		t.Errorf("int8 weights: max |logits - f32 reference| = %.3g, want ≤ 0.5", d)
	}

	dir := t.TempDir()
	wide, back := filepath.Join(dir, "wide.safetensors"), filepath.Join(dir, "back.safetensors")
	mustCLI(t, "convert", "-in", i8, "-out", wide, "-dtype", "f32")
	if m := readCheckpoint(t, wide); m.FileDType != checkpoint.F32 || m.Quantization != "" || bytes.Contains(fileBytes(t, wide)[:4096], []byte(checkpoint.QuantInt8)) {
		t.Errorf("int8 → f32: dtype %s, quantization %q (or the metadata still names it)", m.FileDType, m.Quantization)
	}
	r = mustCLI(t, "convert", "-in", wide, "-out", back, "-dtype", "int8")
	if !strings.Contains(r.stdout, "64 conv and linear weights are int8") {
		t.Errorf("convert printed %q", r.stdout)
	}
	if !bytes.Equal(fileBytes(t, back), fileBytes(t, i8)) {
		t.Error("int8 → f32 → int8 changed the file")
	}
}

// TestConvertLabels checks -labels and that labels already in a
// safetensors input are kept.
func TestConvertLabels(t *testing.T) {
	pt := tinyWeights(t)
	f16 := convertedFile(t, "tiny", pt, "f16") // 3 classes
	names := make([]string, 3)
	for i := range names {
		names[i] = fmt.Sprintf("thing %d", i)
	}
	list := tmpFile(t, "labels.txt", []byte(strings.Join(names, "\r\n")+"\r\n"))
	dir := t.TempDir()
	labelled, kept := filepath.Join(dir, "labelled.safetensors"), filepath.Join(dir, "kept.safetensors")
	mustCLI(t, "convert", "-in", f16, "-out", labelled, "-dtype", "f16", "-labels", list)
	mustCLI(t, "convert", "-in", labelled, "-out", kept, "-dtype", "f16")
	want, err := model.DetectConfig(readCheckpoint(t, pt))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{labelled, kept} {
		checkMeta(t, readCheckpoint(t, p).Meta, want, names)
	}
	r := mustCLI(t, "info", kept)
	if !strings.Contains(r.stdout, "classes:         3 (thing 0; thing 1; thing 2)") {
		t.Errorf("info does not show the new labels:\n%s", r.stdout)
	}
}

// writeStateDict writes sd as f16 safetensors with meta into the test's
// temporary folder.
func writeStateDict(t *testing.T, name string, sd *checkpoint.StateDict, meta map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := checkpoint.WriteSafetensors(&buf, sd, checkpoint.F16, meta); err != nil {
		t.Fatal(err)
	}
	return tmpFile(t, name, buf.Bytes())
}

// TestConvertErrors checks that broken or foreign inputs and bad flags are
// refused and that a failed conversion leaves no output behind.
func TestConvertErrors(t *testing.T) {
	f16 := convertedFile(t, "tiny", tinyWeights(t), "f16") // 3 classes
	sd := readCheckpoint(t, f16)
	extra := &checkpoint.StateDict{Tensors: map[string]*checkpoint.Tensor{}, Keys: append([]string(nil), sd.Keys...)}
	for k, v := range sd.Tensors {
		extra.Tensors[k] = v
	}
	extra.Tensors["head.extra.weight"] = &checkpoint.Tensor{Shape: []int{4}, DType: checkpoint.F32, F32: make([]float32, 4)}
	extra.Keys = append(extra.Keys, "head.extra.weight")
	foreign := &checkpoint.StateDict{Tensors: map[string]*checkpoint.Tensor{
		"fc.weight": {Shape: []int{2, 2}, DType: checkpoint.F32, F32: []float32{1, 2, 3, 4}},
	}}
	files := map[string]string{
		"extra":      writeStateDict(t, "extra.safetensors", extra, nil),
		"foreign":    writeStateDict(t, "foreign.safetensors", foreign, nil),
		"bad labels": writeStateDict(t, "badlabels.safetensors", sd, map[string]string{lowformer.MetaLabels: "tench, goldfish"}),
		"few labels": writeStateDict(t, "fewlabels.safetensors", sd, map[string]string{lowformer.MetaLabels: `["tench"]`}),
		"2 labels":   tmpFile(t, "two.txt", []byte("a\nb\n")),
		"empty line": tmpFile(t, "gap.txt", []byte("a\n\nc\n")),
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out.safetensors")
	conv := func(in string, extra ...string) []string {
		return append([]string{"convert", "-in", in, "-out", out}, extra...)
	}
	checkErrors(t, []errCase{
		{"no input", []string{"convert", "-out", out}, 1, "-in is required"},
		{"no output", []string{"convert", "-in", f16}, 1, "-out is required"},
		{"positional", []string{"convert", "-in", f16, "-out", out, "x.pt"}, 1, "unexpected arguments"},
		{"bad dtype", conv(f16, "-dtype", "f8"), 1, `-dtype "f8": want f32, f16, bf16 or int8`},
		{"missing input", conv(filepath.Join(dir, "none.pt")), 1, "none.pt: no such file"},
		{"image input", conv(testImage(t, "coffee.bmp")), 1, "not a checkpoint"},
		{"foreign network", conv(files["foreign"]), 1, "foreign.safetensors is not a usable LowFormer checkpoint"},
		{"unexpected tensor", conv(files["extra"]), 1, "head.extra.weight"},
		{"wrong variant", conv(f16, "-variant", "E1"), 1, "not the requested E1"},
		{"labels not JSON", conv(files["bad labels"]), 1, `the input's "labels" metadata is not a JSON list of strings`},
		{"labels too few", conv(files["few labels"]), 1, `the input's "labels" metadata has 1 names, the model has 3 classes`},
		{"labels file count", conv(f16, "-labels", files["2 labels"]), 1, "has 2 names, the model has 3 classes"},
		{"labels file gap", conv(f16, "-labels", files["empty line"]), 1, "line 2 is empty"},
		{"labels file missing", conv(f16, "-labels", filepath.Join(dir, "none.txt")), 1, "reading -labels"},
		{"output folder missing", []string{"convert", "-in", f16, "-out", filepath.Join(dir, "no", "x.safetensors")}, 1, "no such file"},
	})
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("failed conversions left %v behind", entries)
	}
}
