package lowformer

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
	"github.com/lowformer/lowformer-webgpu/model"
)

// TestEmbeddingsFeaturesMatchReference opens the official-format
// checkpoints through the public API on each backend and compares
// Embeddings with PyTorch's head.fc1 activation and Features (every stage,
// NCHW) with the stage outputs, within 1e-4 of the reference's max-abs.
func TestEmbeddingsFeaturesMatchReference(t *testing.T) {
	for _, variant := range []string{"b0", "E1"} {
		for _, be := range []Backend{GPU, CPU} {
			t.Run(variant+"/"+be.String(), func(t *testing.T) {
				dir := refdata.Dir(t, variant)
				if be == GPU {
					gputest.Require(t)
				}
				ctx := context.Background()
				m, err := Open(ctx, filepath.Join(dir, "evalmodel.pt"), Options{Backend: be, Variant: variant})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				input, im := refdata.ReadBin(t, filepath.Join(dir, "input.bin"))
				n, h, w := im.Shape[0], im.Shape[2], im.Shape[3]
				check := func(name string, got []float32, shape []int) {
					t.Helper()
					want, meta := refdata.ReadBin(t, filepath.Join(dir, "act", name+".bin"))
					if fmt.Sprint(shape) != fmt.Sprint(meta.Shape) || len(got) != len(want) {
						t.Fatalf("%s: shape %v (%d values), reference %v (%d)", name, shape, len(got), meta.Shape, len(want))
					}
					d, scale := ref.MaxAbsDiff(got, want), ref.MaxAbs(want)
					t.Logf("%s %s %-9s max-abs diff %.2e, %.1e of the reference's max-abs %.3g", variant, be, name, d, d/scale, scale)
					if d > 1e-4*scale {
						t.Errorf("%s differs by %.3g > 1e-4 × %.3g", name, d, scale)
					}
				}
				emb, err := m.Embeddings(ctx, input, n, h, w)
				if err != nil {
					t.Fatal(err)
				}
				check("head.fc1", emb, []int{n, m.Info().EmbeddingSize})
				feats, err := m.Features(ctx, input, n, h, w, []int{4, 0, 1, 2, 3})
				if err != nil {
					t.Fatal(err)
				}
				for i, s := range []int{4, 0, 1, 2, 3} {
					f := feats[i]
					if f.Stage != s || f.Shape[1] != m.Info().Config.Widths[s] {
						t.Errorf("feature %d is stage %d with %d channels, want stage %d with %d", i, f.Stage, f.Shape[1], s, m.Info().Config.Widths[s])
					}
					check(fmt.Sprintf("stage%d", s), f.Data, f.Shape[:])
				}
			})
		}
	}
}

// TestEmbed checks Embed and EmbedBatch on images: the batch gives each
// image's Embed result, Normalize gives unit vectors in the same direction,
// two different images are less similar than an image with itself, and the
// embedding is the input of the classifier (its last linear layer applied
// to it gives Classify's logits).
func TestEmbed(t *testing.T) {
	ctx := context.Background()
	for _, be := range []Backend{CPU, GPU} {
		t.Run(be.String(), func(t *testing.T) {
			m := openOn(t, safetensorsOf(t, synthStateDict(t, smallConfig), "F32", nil), be)
			defer m.Close()
			a, b := hueGradient(96, 80, 0), hueGradient(64, 64, 90)
			opt := EmbedOptions{Side: 64}
			ea, err := m.Embed(ctx, a, opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(ea) != m.Info().EmbeddingSize || len(ea) != smallConfig.Head[1] {
				t.Fatalf("embedding has %d values, want %d", len(ea), smallConfig.Head[1])
			}
			batch, err := m.EmbedBatch(ctx, []image.Image{b, a}, opt)
			if err != nil {
				t.Fatal(err)
			}
			if d := ref.MaxAbsDiff(batch[1], ea); d > 1e-5 {
				t.Errorf("batched embedding differs from a single one by %.3g", d)
			}
			var tm Timings
			na, err := m.Embed(ctx, a, EmbedOptions{Side: 64, Normalize: true, Timings: &tm})
			if err != nil {
				t.Fatal(err)
			}
			if tm.Inference <= 0 {
				t.Errorf("timings not filled: %+v", tm)
			}
			var norm float64
			for _, v := range na {
				norm += float64(v) * float64(v)
			}
			if math.Abs(norm-1) > 1e-5 {
				t.Errorf("normalized embedding has squared norm %.7f", norm)
			}
			self, err := CosineSimilarity(ea, na)
			if err != nil || math.Abs(self-1) > 1e-6 {
				t.Errorf("cosine of an embedding with its normalized self: %v, %v", self, err)
			}
			other, err := CosineSimilarity(ea, batch[0])
			if err != nil || other >= self || other < -1 {
				t.Errorf("cosine of two different images: %v (self %v), %v", other, self, err)
			}
			in := synthInput(2, 64, 64, 7)
			emb, err := m.Embeddings(ctx, in, 2, 64, 64)
			if err != nil {
				t.Fatal(err)
			}
			logits, err := m.Logits(ctx, in, 2, 64, 64)
			if err != nil {
				t.Fatal(err)
			}
			fc := m.graph.Ops[len(m.graph.Ops)-1].(*model.Linear)
			x := &ref.Tensor{N: 2, H: 1, W: 1, C: fc.K, Data: emb}
			if d := ref.MaxAbsDiff(ref.Linear(x, fc.Weight, fc.Bias, fc.N, fc.Activation).Data, logits); d > 1e-4 {
				t.Errorf("the classifier's last layer on the embeddings differs from the logits by %.3g", d)
			}
		})
	}
}

// hueGradient is a w×h test image with a hue offset.
func hueGradient(w, h int, off uint8) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x*255/w) + off, uint8(y*255/h) - off, uint8((x+y)*3) ^ off, 255})
		}
	}
	return img
}

// TestCosineSimilarity checks values and errors.
func TestCosineSimilarity(t *testing.T) {
	for _, c := range []struct {
		a, b []float32
		want float64
		bad  bool
	}{
		{[]float32{1, 0}, []float32{0, 1}, 0, false},
		{[]float32{1, 2, 3}, []float32{2, 4, 6}, 1, false},
		{[]float32{1, 2}, []float32{-1, -2}, -1, false},
		{[]float32{3, 4}, []float32{4, 3}, 24.0 / 25, false},
		{[]float32{1}, []float32{1, 2}, 0, true},
		{nil, nil, 0, true},
		{[]float32{0, 0}, []float32{1, 2}, 0, true},
		{[]float32{float32(math.NaN()), 1}, []float32{1, 2}, 0, true},
	} {
		got, err := CosineSimilarity(c.a, c.b)
		if c.bad {
			if !errors.Is(err, ErrBadInput) {
				t.Errorf("CosineSimilarity(%v, %v): error %v, want ErrBadInput", c.a, c.b, err)
			}
			continue
		}
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("CosineSimilarity(%v, %v) = %v, %v; want %v", c.a, c.b, got, err, c.want)
		}
	}
	v := []float32{0, 0}
	L2Normalize(v)
	if v[0] != 0 || v[1] != 0 {
		t.Errorf("L2Normalize of zeros gave %v", v)
	}
}

// TestFeaturesErrors checks that bad stages, sides and inputs are refused
// with ErrBadInput, and that no stages means DefaultFeatureStages.
func TestFeaturesErrors(t *testing.T) {
	ctx := context.Background()
	m := openOn(t, safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil), CPU)
	defer m.Close()
	in := synthInput(1, 64, 64, 1)
	for _, stages := range [][]int{{-1}, {5}, {1, 1}} {
		if _, err := m.Features(ctx, in, 1, 64, 64, stages); !errors.Is(err, ErrBadInput) {
			t.Errorf("Features(stages %v): %v, want ErrBadInput", stages, err)
		}
	}
	if _, err := m.Features(ctx, in[:10], 1, 64, 64, nil); !errors.Is(err, ErrBadInput) {
		t.Errorf("Features on a short input: %v, want ErrBadInput", err)
	}
	if _, err := m.Embeddings(ctx, in, 1, 16, 64); !errors.Is(err, ErrBadInput) {
		t.Errorf("Embeddings of a 16-pixel-high input: %v, want ErrBadInput", err)
	}
	if _, err := m.Embed(ctx, hueGradient(40, 40, 0), EmbedOptions{Side: 8}); !errors.Is(err, ErrBadInput) {
		t.Errorf("Embed with Side 8: %v, want ErrBadInput", err)
	}
	if _, err := m.Embed(ctx, nil, EmbedOptions{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("Embed of a nil image: %v, want ErrBadInput", err)
	}
	if _, err := m.FeaturesOf(ctx, hueGradient(40, 40, 0), FeatureOptions{Side: 64, Stages: []int{7}}); !errors.Is(err, ErrBadInput) {
		t.Errorf("FeaturesOf stage 7: %v, want ErrBadInput", err)
	}
	fs, err := m.FeaturesOf(ctx, hueGradient(40, 40, 0), FeatureOptions{Side: 64})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != len(DefaultFeatureStages) {
		t.Fatalf("%d features, want the %d default stages", len(fs), len(DefaultFeatureStages))
	}
	for i, f := range fs {
		s := DefaultFeatureStages[i]
		side := 64 >> (s + 1)
		if want := [4]int{1, tinyConfig.Widths[s], side, side}; f.Stage != s || f.Shape != want || len(f.Data) != want[0]*want[1]*want[2]*want[3] {
			t.Errorf("feature %d: stage %d shape %v (%d values), want stage %d shape %v", i, f.Stage, f.Shape, len(f.Data), s, want)
		}
	}
	m.Close()
	if _, err := m.Embeddings(ctx, in, 1, 64, 64); err != ErrClosed {
		t.Errorf("Embeddings after Close: %v, want ErrClosed", err)
	}
}
