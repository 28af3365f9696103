package lowformer

import (
	"context"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
	"github.com/lowformer/lowformer-webgpu/model"
)

// TestLogitsMatchReference opens the official-format checkpoints through
// the public API on each backend and compares with the reference logits.
func TestLogitsMatchReference(t *testing.T) {
	for _, variant := range []string{"b0", "E1"} {
		for _, be := range []Backend{GPU, CPU} {
			t.Run(variant+"/"+be.String(), func(t *testing.T) {
				dir := refdata.Dir(t, variant)
				if be == GPU {
					gputest.Require(t) // skips (or fails in CI) without an adapter
				}
				ctx := context.Background()
				m, err := Open(ctx, filepath.Join(dir, "evalmodel.pt"), Options{Backend: be, Variant: variant})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if got := m.Info().Backend; got != be {
					t.Fatalf("backend %v, want %v", got, be)
				}
				input, im := refdata.ReadBin(t, filepath.Join(dir, "input.bin"))
				want, _ := refdata.ReadBin(t, filepath.Join(dir, "logits.bin"))
				got, err := m.Logits(ctx, input, im.Shape[0], im.Shape[2], im.Shape[3])
				if err != nil {
					t.Fatal(err)
				}
				if d := ref.MaxAbsDiff(got, want); d > 2e-4 {
					t.Fatalf("logits differ by %.3g > 2e-4", d)
				} else {
					t.Logf("%s on %s (%s): logits max-abs diff %.2e", variant, be, m.Info().Adapter, d)
				}
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
				if _, err := m.Logits(ctx, input, im.Shape[0], im.Shape[2], im.Shape[3]); err != ErrClosed {
					t.Fatalf("Logits after Close: %v, want ErrClosed", err)
				}
			})
		}
	}
}

// TestOpenErrors opens broken files and valid ones of another variant than
// requested; the tiny .pt fixture stands in for an official checkpoint.
func TestOpenErrors(t *testing.T) {
	pt := tinyPT
	full, err := os.ReadFile(pt)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	truncated := filepath.Join(tmp, "truncated.pt")
	if err := os.WriteFile(truncated, full[:len(full)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	notCkpt := filepath.Join(tmp, "photo.pt")
	if err := os.WriteFile(notCkpt, []byte("\xff\xd8\xff\xe0 not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, variant, want string
	}{
		{"missing file", filepath.Join(tmp, "nope.pt"), "", "no such file"},
		{"folder of several checkpoints", tmp, "", "holds 2 checkpoints; name the variant to load"},
		{"truncated", truncated, "", "truncated"},
		{"not a checkpoint", notCkpt, "", "not a checkpoint"},
		{"wrong variant", pt, "E1", "not the requested E1"},
		{"unreleased B2", pt, "b2", "B2 is not a released model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Open(context.Background(), tt.path, Options{Backend: CPU, Variant: tt.variant})
			if err == nil {
				m.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestLogitsShapeErrors(t *testing.T) {
	m, err := Open(context.Background(), tinySafetensors, Options{Backend: CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tests := []struct {
		name    string
		n, h, w int
		values  int
		want    string
	}{
		{"too small", 1, 16, 16, 3 * 16 * 16, "h, w ≥ 32"},
		{"zero batch", 0, 224, 224, 0, "n ≥ 1"},
		{"wrong length", 1, 64, 64, 100, "needs 12288"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Logits(context.Background(), make([]float32, tt.values), tt.n, tt.h, tt.w)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestTopK(t *testing.T) {
	p := TopK([]float32{1, 3, 2, 0}, []string{"a", "b", "c", "d"}, 2)
	if len(p) != 2 || p[0].Label != "b" || p[1].Label != "c" {
		t.Fatalf("TopK = %+v", p)
	}
	if p[0].Prob <= p[1].Prob || p[0].Prob > 1 {
		t.Fatalf("probabilities %+v", p)
	}
}

// TestWarmup readies a model for one image at its native side: on the GPU
// that builds the plan (the model then holds GPU memory) and the next call
// on that shape gives the reference logits; on the CPU it does nothing. Bad
// shapes and closed models are refused. The tiny fixture always runs (its
// reference is the pure-Go forward pass); the reference B0 too where the
// shared data is present.
func TestWarmup(t *testing.T) {
	ctx := context.Background()
	// reference returns one input image at the model's native side and its
	// logits.
	type warmCase struct {
		name, path string
		reference  func(t *testing.T, m *Model) (input, logits []float32)
	}
	cases := []warmCase{{"tiny", tinySafetensors, func(t *testing.T, m *Model) ([]float32, []float32) {
		s := m.Info().NativeSide
		input := synthInput(1, s, s, 3)
		want, err := model.NewCPU(m.graph).Logits(input, 1, s, s)
		if err != nil {
			t.Fatal(err)
		}
		return input, want
	}}}
	if dir, ok := refDir("b0"); ok {
		cases = append(cases, warmCase{"b0", filepath.Join(dir, "evalmodel.pt"), func(t *testing.T, m *Model) ([]float32, []float32) {
			input, _ := refdata.ReadBin(t, filepath.Join(dir, "input.bin"))
			want, _ := refdata.ReadBin(t, filepath.Join(dir, "logits.bin"))
			return input[:3*224*224], want[:m.Info().Classes]
		}})
	}
	for _, c := range cases {
		for _, be := range []Backend{GPU, CPU} {
			t.Run(c.name+"/"+be.String(), func(t *testing.T) {
				if be == GPU {
					gputest.Require(t)
				}
				m, err := Open(ctx, c.path, Options{Backend: be})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				for _, bad := range []struct{ n, size int }{{0, 224}, {1, 16}, {1, MaxLogitsSide + 1}, {1 << 20, 224}} {
					if err := m.Warmup(ctx, bad.n, bad.size); err == nil || !strings.Contains(err.Error(), "warm-up") {
						t.Errorf("Warmup(%d, %d): %v, want a warm-up error", bad.n, bad.size, err)
					}
				}
				if err := m.Warmup(ctx, 1, 0); err != nil {
					t.Fatal(err)
				}
				if got := m.GPUMemoryBytes(); (be == GPU) != (got > 0) {
					t.Errorf("%d bytes of GPU memory after the warm-up on the %s", got, be)
				}
				input, want := c.reference(t, m)
				s := m.Info().NativeSide
				got, err := m.Logits(ctx, input, 1, s, s)
				if err != nil {
					t.Fatal(err)
				}
				if d := ref.MaxAbsDiff(got, want); d > 2e-4 {
					t.Errorf("logits after the warm-up differ by %.3g > 2e-4", d)
				}
				m.Close()
				if err := m.Warmup(ctx, 1, 0); err != ErrClosed {
					t.Errorf("Warmup after Close: %v, want ErrClosed", err)
				}
			})
		}
	}
}

// TestClassifyOptions checks how ClassifyOptions resolve (the zero value:
// DefaultTopK classes at the native side; TopK capped at the class count)
// and that out-of-range values are ErrBadInput errors, on a 10-class model.
func TestClassifyOptions(t *testing.T) {
	ctx := context.Background()
	file := safetensorsOf(t, synthStateDict(t, smallConfig), "F32", map[string]string{MetaInputSize: "48"})
	m, err := OpenBytes(ctx, file, Options{Backend: CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if MinSide != model.MinInputSize {
		t.Fatalf("MinSide %d, the network's smallest input %d", MinSide, model.MinInputSize)
	}
	if got := m.Info().NativeSide; got != 48 {
		t.Fatalf("NativeSide %d, want the metadata's 48", got)
	}
	for _, tt := range []struct {
		name              string
		opt               ClassifyOptions
		wantSide, wantTop int
	}{
		{"zero value", ClassifyOptions{}, 48, DefaultTopK},
		{"TopK 1", ClassifyOptions{TopK: 1}, 48, 1},
		{"TopK = classes", ClassifyOptions{TopK: 10}, 48, 10},
		{"TopK beyond the classes", ClassifyOptions{TopK: 1000}, 48, 10},
		{"smallest side", ClassifyOptions{Side: MinSide}, MinSide, DefaultTopK},
		{"another side", ClassifyOptions{Side: 256, TopK: 3}, 256, 3},
		{"largest side", ClassifyOptions{Side: MaxClassifySide}, MaxClassifySide, DefaultTopK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := m.resolve(tt.opt)
			side, k := r.side, r.topK
			if err != nil || side != tt.wantSide || k != tt.wantTop {
				t.Fatalf("resolve(%+v) = side %d, top %d, %v; want %d, %d", tt.opt, side, k, err, tt.wantSide, tt.wantTop)
			}
		})
	}
	img := image.NewRGBA(image.Rect(0, 0, 50, 40))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	for _, tt := range []struct {
		name string
		opt  ClassifyOptions
		want string
	}{
		{"negative TopK", ClassifyOptions{TopK: -1}, "TopK -1 is negative"},
		{"negative side", ClassifyOptions{Side: -1}, "outside 32..2048"},
		{"side below MinSide", ClassifyOptions{Side: MinSide - 1}, "outside 32..2048"},
		{"side above MaxClassifySide", ClassifyOptions{Side: MaxClassifySide + 1}, "outside 32..2048"},
		{"negative threshold", ClassifyOptions{ScoreThreshold: -0.1}, "ScoreThreshold -0.1 outside 0..1"},
		{"threshold above 1", ClassifyOptions{ScoreThreshold: 1.5}, "ScoreThreshold 1.5 outside 0..1"},
		{"NaN threshold", ClassifyOptions{ScoreThreshold: float32(math.NaN())}, "ScoreThreshold NaN outside 0..1"},
		{"allow and deny", ClassifyOptions{CategoryAllowlist: []string{"class 1"}, CategoryDenylist: []string{"class 2"}}, "mutually exclusive"},
		{"unknown allowed label", ClassifyOptions{CategoryAllowlist: []string{"class 1", "zebra"}}, `CategoryAllowlist: "zebra" is not a class label`},
		{"unknown denied label", ClassifyOptions{CategoryDenylist: []string{"class 10"}}, `CategoryDenylist: "class 10" is not a class label`},
		{"region left of the image", ClassifyOptions{RegionOfInterest: &Rect{-0.1, 0, 0.5, 1}}, "coordinates must be in 0..1"},
		{"region beyond the image", ClassifyOptions{RegionOfInterest: &Rect{0, 0, 1.01, 1}}, "coordinates must be in 0..1"},
		{"NaN region", ClassifyOptions{RegionOfInterest: &Rect{0, math.NaN(), 1, 1}}, "coordinates must be in 0..1"},
		{"empty region", ClassifyOptions{RegionOfInterest: &Rect{0.5, 0, 0.5, 1}}, "need Left < Right and Top < Bottom"},
		{"flipped region", ClassifyOptions{RegionOfInterest: &Rect{0, 0.8, 1, 0.2}}, "need Left < Right and Top < Bottom"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, imgs := range [][]image.Image{{img}, nil} { // refused even without images
				_, err := m.ClassifyBatch(ctx, imgs, tt.opt)
				if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("ClassifyBatch(%d images, %+v): %v, want an ErrBadInput error mentioning %q", len(imgs), tt.opt, err, tt.want)
				}
			}
		})
	}
	// The defaults classify as the explicit values do.
	def, err := m.Classify(ctx, img, ClassifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	explicit, err := m.Classify(ctx, img, ClassifyOptions{TopK: DefaultTopK, Side: 48})
	if err != nil {
		t.Fatal(err)
	}
	if len(def) != DefaultTopK || !reflect.DeepEqual(def, explicit) {
		t.Errorf("zero options gave %v, the explicit defaults %v", def, explicit)
	}
	all, err := m.Classify(ctx, img, ClassifyOptions{TopK: 1000})
	if err != nil || len(all) != 10 {
		t.Errorf("TopK 1000 on 10 classes: %d predictions, %v", len(all), err)
	}
}

// TestClassifyTimings: ClassifyOptions.Timings receives the step times of
// the call, which classifies exactly as a call without it does.
func TestClassifyTimings(t *testing.T) {
	ctx := context.Background()
	m, err := Open(ctx, tinySafetensors, Options{Backend: CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	img := image.NewRGBA(image.Rect(0, 0, 50, 40))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	imgs := []image.Image{img, img}
	want, err := m.ClassifyBatch(ctx, imgs, ClassifyOptions{TopK: 2, Side: 48})
	if err != nil {
		t.Fatal(err)
	}
	var tm Timings
	got, err := m.ClassifyBatch(ctx, imgs, ClassifyOptions{TopK: 2, Side: 48, Timings: &tm})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("timed predictions %v, untimed %v", got, want)
	}
	if tm.Preprocess <= 0 || tm.Inference <= 0 || tm.Postprocess < 0 {
		t.Errorf("timings %+v: want positive preprocess and inference times", tm)
	}
	tm = Timings{Inference: -1}
	if _, err := m.ClassifyBatch(ctx, imgs, ClassifyOptions{Side: 31, Timings: &tm}); err == nil {
		t.Error("ClassifyBatch accepted side 31")
	} else if tm.Inference != -1 {
		t.Errorf("a refused call wrote timings %+v", tm)
	}
}
