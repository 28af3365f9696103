package lowformer

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/model"
)

// Fixtures of FuzzOpenBytes and of TestTinyFixtures: tinyConfig's state
// dict as float32 safetensors (written by this package's helpers) and the
// same tensors saved by torch.save (testdata/gen_tiny_pt.py).
const (
	tinySafetensors = "testdata/tiny.safetensors"
	tinyPT          = "testdata/tiny.pt"
)

// fuzzAllocFactor and fuzzAllocSlack bound what OpenBytes may allocate
// for any input: validAllocFactor covers weights; a safetensors header made
// of many small entries costs the checkpoint reader's JSON decoding about
// 16 bytes per header byte (measured), the largest factor found.
const (
	fuzzAllocFactor = 24
	fuzzAllocSlack  = 4 << 20
)

// openSeeds returns the seed corpus of FuzzOpenBytes: valid tiny models in
// every format and dtype, one with labels metadata, one without attention,
// and truncations at the places the readers switch state.
func openSeeds(t testing.TB) [][]byte {
	sd := synthStateDict(t, tinyConfig)
	convOnly := tinyConfig
	convOnly.Attention, convOnly.MLP = false, false
	f16 := safetensorsOf(t, sd, "F16", nil)
	seeds := [][]byte{
		safetensorsOf(t, sd, "F32", nil),
		f16,
		safetensorsOf(t, sd, "BF16", nil),
		safetensorsOf(t, sd, "F16", map[string]string{MetaLabels: `["cat","dog","fish"]`}),
		safetensorsOf(t, sd, "F16", map[string]string{MetaLabels: `["cat","dog"]`}),
		safetensorsOf(t, synthStateDict(t, convOnly), "F16", nil),
	}
	q, err := model.QuantizeInt8(tinyConfig, sd, 1)
	if err != nil {
		t.Fatal(err)
	}
	seeds = append(seeds, safetensorsOf(t, q, "F32", int8Meta))
	pt, err := os.ReadFile(tinyPT)
	if err != nil {
		t.Fatal(err)
	}
	// The whole .pt, without its end-of-central-directory record, and cut
	// in the middle of the storages.
	seeds = append(seeds, pt, pt[:len(pt)-22], pt[:len(pt)/2])
	hlen := 8 + int(binary.LittleEndian.Uint64(f16))
	for _, n := range []int{8, 9, hlen / 2, hlen - 1, hlen, hlen + 1, (hlen + len(f16)) / 2, len(f16) - 1} {
		seeds = append(seeds, f16[:n])
	}
	return seeds
}

// FuzzOpenBytes feeds arbitrary bytes to OpenBytes on the CPU backend: the
// whole weight-to-model path (format detection, safetensors and pickle
// reading, variant detection, strict validation, BatchNorm folding,
// labels). It must never panic, must fail with a "lowformer: " error or
// return a model that runs, and may allocate at most fuzzAllocFactor times
// the input plus fuzzAllocSlack. Run it with
//
//	go test -run '^$' -fuzz FuzzOpenBytes -fuzzminimizetime 3s -parallel 1 .
func FuzzOpenBytes(f *testing.F) {
	for _, s := range openSeeds(f) {
		f.Add(s)
	}
	quiet := func(string) {}
	input := synthInput(1, MinSide, MinSide, 9)
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		var m *Model
		var err error
		got := allocated(func() { m, err = OpenBytes(ctx, data, Options{Backend: CPU, Warn: quiet}) })
		if limit := uint64(fuzzAllocFactor*len(data) + fuzzAllocSlack); got > limit {
			t.Fatalf("OpenBytes of %d bytes allocated %d bytes, more than %d", len(data), got, limit)
		}
		if err != nil {
			if m != nil {
				t.Fatal("OpenBytes returned a model and an error")
			}
			if !strings.HasPrefix(err.Error(), "lowformer: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		defer m.Close()
		info := m.Info()
		if info.Backend != CPU || info.Classes < 1 || len(info.Labels) != info.Classes || info.Params < 1 {
			t.Fatalf("inconsistent info %+v", info)
		}
		logits, err := m.Logits(ctx, input, 1, MinSide, MinSide)
		if err != nil {
			t.Fatalf("a model that opened cannot run: %v", err)
		}
		if len(logits) != info.Classes {
			t.Fatalf("%d logits for %d classes", len(logits), info.Classes)
		}
	})
}

// envWriteFixtures regenerates testdata/tiny.safetensors when set to 1 (run
// testdata/gen_tiny_pt.py afterwards).
const envWriteFixtures = "LOWFORMER_WRITE_FIXTURES"

// TestTinyFixtures checks that the committed tiny model files are what the
// helpers generate, and that the torch.save copy gives bit-identical logits
// to the safetensors one (so the .pt seed reaches the model, not an error).
func TestTinyFixtures(t *testing.T) {
	want := safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil)
	if os.Getenv(envWriteFixtures) == "1" {
		if err := os.WriteFile(tinySafetensors, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(tinySafetensors)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the generated tiny model; rerun with %s=1 and python3 %s",
			tinySafetensors, envWriteFixtures, filepath.Join("testdata", "gen_tiny_pt.py"))
	}
	ctx := context.Background()
	input := synthInput(2, 40, 48, 5)
	var ref []float32
	for _, path := range []string{tinySafetensors, tinyPT} {
		m, err := Open(ctx, path, Options{Backend: CPU})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if v := m.Info().Variant; v != model.CustomName {
			t.Fatalf("%s: variant %q, want %q", path, v, model.CustomName)
		}
		out, err := m.Logits(ctx, input, 2, 40, 48)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = out
			continue
		}
		for i := range out {
			if out[i] != ref[i] {
				t.Fatalf("%s: logit %d = %v, the safetensors file gives %v", path, i, out[i], ref[i])
			}
		}
	}
}
