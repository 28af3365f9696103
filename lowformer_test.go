package lowformer

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
)

// TestLogitsMatchReference opens the official-format checkpoints through
// the public API on each backend and compares with the reference logits.
func TestLogitsMatchReference(t *testing.T) {
	for _, variant := range []string{"b0", "E1"} {
		for _, be := range []Backend{GPU, CPU} {
			t.Run(variant+"/"+be.String(), func(t *testing.T) {
				dir := refdata.Dir(t, variant)
				if be == GPU {
					gputest.Device(t) // skips (or fails in CI) without an adapter
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

func TestOpenErrors(t *testing.T) {
	dir := refdata.Dir(t, "b0")
	pt := filepath.Join(dir, "evalmodel.pt")
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
		{"directory", tmp, "", "directory"},
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
	dir := refdata.Dir(t, "b0")
	m, err := Open(context.Background(), filepath.Join(dir, "evalmodel.pt"), Options{Backend: CPU})
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

// TestWarmup readies the reference B0 for one image at its input size: on
// the GPU that builds the plan (the model then holds GPU memory) and the
// next call on that shape gives the reference logits; on the CPU it does
// nothing. Bad shapes and closed models are refused.
func TestWarmup(t *testing.T) {
	dir := refdata.Dir(t, "b0")
	ctx := context.Background()
	for _, be := range []Backend{GPU, CPU} {
		t.Run(be.String(), func(t *testing.T) {
			if be == GPU {
				gputest.Device(t)
			}
			m, err := Open(ctx, filepath.Join(dir, "evalmodel.pt"), Options{Backend: be})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			for _, bad := range []struct{ n, size int }{{0, 224}, {1, 16}, {1, MaxInputSide + 1}, {1 << 20, 224}} {
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
			input, _ := refdata.ReadBin(t, filepath.Join(dir, "input.bin"))
			want, _ := refdata.ReadBin(t, filepath.Join(dir, "logits.bin"))
			got, err := m.Logits(ctx, input[:3*224*224], 1, 224, 224)
			if err != nil {
				t.Fatal(err)
			}
			if d := ref.MaxAbsDiff(got, want[:len(got)]); d > 2e-4 {
				t.Errorf("logits after the warm-up differ by %.3g > 2e-4", d)
			}
			m.Close()
			if err := m.Warmup(ctx, 1, 0); err != ErrClosed {
				t.Errorf("Warmup after Close: %v, want ErrClosed", err)
			}
		})
	}
}

// TestInputSideAndTimings checks the classification input side (0: the
// model's input size; 32..MaxInputSize otherwise) and that the timed
// classification gives ClassifyBatch's predictions with its step times.
func TestInputSideAndTimings(t *testing.T) {
	ctx := context.Background()
	m, err := Open(ctx, tinySafetensors, Options{Backend: CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, tt := range []struct{ size, want int }{{0, m.Info().InputSize}, {32, 32}, {256, 256}, {MaxInputSize, MaxInputSize}} {
		if got, err := m.InputSide(tt.size); err != nil || got != tt.want {
			t.Errorf("InputSide(%d) = %d, %v; want %d", tt.size, got, err, tt.want)
		}
	}
	for _, bad := range []int{-1, 31, MaxInputSize + 1} {
		if _, err := m.InputSide(bad); err == nil || !strings.Contains(err.Error(), "outside 32..2048") {
			t.Errorf("InputSide(%d): %v, want an out-of-range error", bad, err)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 50, 40))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	want, err := m.ClassifyBatch(ctx, []image.Image{img}, 2, 48)
	if err != nil {
		t.Fatal(err)
	}
	got, tm, err := m.ClassifyBatchTimed(ctx, []image.Image{img}, 2, 48)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("timed predictions %v, ClassifyBatch's %v", got, want)
	}
	if tm.Preprocess <= 0 || tm.Inference <= 0 || tm.Postprocess < 0 {
		t.Errorf("timings %+v: want positive preprocess and inference times", tm)
	}
	if _, _, err := m.ClassifyBatchTimed(ctx, []image.Image{img}, 2, 31); err == nil {
		t.Error("ClassifyBatchTimed accepted size 31")
	}
}
