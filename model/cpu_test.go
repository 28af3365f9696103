package model

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// Tolerances of spec §10.
const (
	logitTol = 2e-4 // max-abs on logits
	actRel   = 1e-4 // max-abs on activations, relative to the reference's max-abs
)

// tapDiff compares our activation with a reference one in its layout and
// returns the max-abs difference and the reference's max-abs.
func tapDiff(t *testing.T, got *ref.Tensor, want []float32, meta binMeta) (diff, scale float32) {
	t.Helper()
	var ours []float32
	switch meta.Layout {
	case "NCHW", "NC":
		ours = got.NCHW()
	case "N,heads,tokens,head_dim":
		// ours: [N, h, w, heads·hd] with channels [head][d]
		heads, hd := meta.Shape[1], meta.Shape[3]
		L := got.H * got.W
		ours = make([]float32, len(got.Data))
		for n := 0; n < got.N; n++ {
			for j := 0; j < heads; j++ {
				for tok := 0; tok < L; tok++ {
					copy(ours[((n*heads+j)*L+tok)*hd:][:hd], got.Data[(n*L+tok)*got.C+j*hd:][:hd])
				}
			}
		}
	default:
		t.Fatalf("unknown reference layout %q", meta.Layout)
	}
	if len(ours) != len(want) {
		t.Fatalf("activation %v has %d values, reference %v has %d", got.Shape(), len(ours), meta.Shape, len(want))
	}
	return ref.MaxAbsDiff(ours, want), ref.MaxAbs(want)
}

// TestCPUMatchesReference runs the official-format checkpoints of
// shared/testdata/lowformer through the internal/ref path, comparing the
// logits and every reference activation that maps to a graph value, and
// through the CPU plan, comparing the logits.
func TestCPUMatchesReference(t *testing.T) {
	for _, v := range []string{"b0", "E1"} {
		t.Run(v, func(t *testing.T) {
			g, cfg, dir := referenceGraph(t, v)
			input, im := readBin(t, filepath.Join(dir, "input.bin"))
			wantLogits, _ := readBin(t, filepath.Join(dir, "logits.bin"))
			tapped := map[Value]bool{}
			for _, val := range g.Taps {
				tapped[val] = true
			}
			start := time.Now()
			logits, acts, err := runCPUActs(g, input, im.Shape[0], im.Shape[2], im.Shape[3], func(val Value) bool { return tapped[val] })
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("CPU forward of %s, batch %d at %dx%d: %v", cfg.Name, im.Shape[0], im.Shape[2], im.Shape[3], time.Since(start).Round(time.Millisecond))

			// Reference activations that map to a value, in execution order.
			type tap struct {
				name string
				val  Value
			}
			var taps []tap
			for name, val := range g.Taps {
				if _, err := os.Stat(filepath.Join(dir, "act", name+".bin")); err == nil {
					taps = append(taps, tap{name, val})
				}
			}
			slices.SortFunc(taps, func(a, b tap) int { return int(a.val-b.val)*1000 + strings.Compare(a.name, b.name) })
			if len(taps) < 15 {
				t.Errorf("only %d reference activations map to graph values", len(taps))
			}
			firstBad := ""
			for _, tp := range taps {
				want, meta := readBin(t, filepath.Join(dir, "act", tp.name+".bin"))
				diff, scale := tapDiff(t, acts[tp.val], want, meta)
				t.Logf("%-34s max-abs diff %.2e (reference max-abs %.3g)", tp.name, diff, scale)
				if diff > actRel*scale && firstBad == "" {
					firstBad = fmt.Sprintf("%s (value %d): max-abs diff %.3g > %.0e × reference max-abs %.3g", tp.name, tp.val, diff, actRel, scale)
				}
			}
			diff := ref.MaxAbsDiff(logits, wantLogits)
			t.Logf("%s logits max-abs diff %.3e (max-abs %.3f)", cfg.Name, diff, ref.MaxAbs(wantLogits))
			if diff > logitTol {
				t.Errorf("logits differ by %.3g > %.0e", diff, logitTol)
			}
			start = time.Now()
			planned, err := NewCPU(g).Logits(input, im.Shape[0], im.Shape[2], im.Shape[3])
			if err != nil {
				t.Fatal(err)
			}
			diff = ref.MaxAbsDiff(planned, wantLogits)
			t.Logf("%s CPU plan logits max-abs diff %.3e (%v with plan build)", cfg.Name, diff, time.Since(start).Round(time.Millisecond))
			if diff > logitTol {
				t.Errorf("CPU plan logits differ by %.3g > %.0e", diff, logitTol)
			}
			if firstBad != "" {
				t.Errorf("first diverging activation: %s", firstBad)
			}
		})
	}
}

// variantCase is one entry of testdata/variants/manifest.json.
type variantCase struct {
	Variant     string `json:"variant"`
	H           int    `json:"h"`
	W           int    `json:"w"`
	Input       string `json:"input"`
	InputShape  []int  `json:"input_shape"`
	Logits      string `json:"logits"`
	LogitsShape []int  `json:"logits_shape"`
}

// TestVariantsSynthetic builds every released variant from the
// deterministic synthetic weights of testdata/gen_variants.py, detects its
// config back, checks the stage shapes at 224, and runs it on the small
// inputs (64×64 and 80×56, the latter with odd stage sizes and a cropped
// ConvTranspose), comparing with the fp64 reference forward's logits. With
// -short only B0, B1, E1 and E3 run the forward pass.
func TestVariantsSynthetic(t *testing.T) {
	cases := variantCases(t)
	for _, c := range Configs() {
		t.Run(c.Name, func(t *testing.T) {
			sd := synthStateDict(t, c)
			det, err := DetectConfig(sd)
			if err != nil {
				t.Fatal(err)
			}
			if det != c {
				t.Fatalf("DetectConfig = %v, want %v", det, c)
			}
			g, err := Build(c, sd)
			if err != nil {
				t.Fatal(err)
			}
			checkStageShapes(t, g, c)
			if testing.Short() && !slices.Contains([]string{"b0", "b1", "E1", "E3"}, c.OfficialName()) {
				t.Skip("forward pass of a large variant skipped in -short mode")
			}
			ran := 0
			for _, vc := range cases {
				if vc.Variant != c.OfficialName() {
					continue
				}
				ran++
				input := readF32(t, filepath.Join("testdata", "variants", vc.Input))
				want := readF32(t, filepath.Join("testdata", "variants", vc.Logits))
				start := time.Now()
				logits, err := NewCPU(g).Logits(input, 1, vc.H, vc.W)
				if err != nil {
					t.Fatal(err)
				}
				diff := ref.MaxAbsDiff(logits, want)
				t.Logf("%s %dx%d: logits max-abs diff %.3e (max-abs %.3f), %v", c.Name, vc.H, vc.W, diff, ref.MaxAbs(want), time.Since(start).Round(time.Millisecond))
				if diff > logitTol {
					t.Errorf("%dx%d: logits differ by %.3g > %.0e", vc.H, vc.W, diff, logitTol)
				}
			}
			if ran != 2 {
				t.Errorf("manifest has %d cases for %s, want 2", ran, c.OfficialName())
			}
		})
	}
}

// checkStageShapes checks the stage outputs of g at a 224×224 input.
func checkStageShapes(t *testing.T, g *Graph, c Config) {
	t.Helper()
	shapes, err := g.Shapes(1, 224, 224)
	if err != nil {
		t.Fatal(err)
	}
	for s, size := range []int{112, 56, 28, 14, 7} {
		tap := fmt.Sprintf("stage%d", s)
		if got, want := shapes[g.Taps[tap]], (Shape{1, size, size, c.Widths[s]}); got != want {
			t.Errorf("%s shape %v, want %v", tap, got, want)
		}
	}
}

func TestInputNHWC4(t *testing.T) {
	// 1 image, 3 channels, 1×2 pixels: NCHW r0 r1 g0 g1 b0 b1.
	got, err := InputNHWC4([]float32{1, 2, 3, 4, 5, 6}, 1, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 3, 5, 0, 2, 4, 6, 0}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := InputNHWC4(make([]float32, 5), 1, 1, 2); err == nil {
		t.Error("short input accepted")
	}
}

func TestCPULogitsErrors(t *testing.T) {
	g, err := Build(mustConfig(t, "E1"), synthStateDict(t, mustConfig(t, "E1")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		n, h, w int
		values  int
		wantErr string
	}{
		{"too small", 1, 31, 64, 3 * 31 * 64, "at least 32x32"},
		{"wrong length", 1, 64, 64, 100, "input has 100 values"},
		{"no images", 0, 64, 64, 0, "input has 0 values"},
		{"batch overflowing n·3·h·w", 1<<62 + 1, 64, 64, 3 * 64 * 64, "input has 12288 values"},
		{"too large", 1 << 17, 32, 32, 0, "input has 0 values"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCPU(g).Logits(make([]float32, tt.values), tt.n, tt.h, tt.w)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
