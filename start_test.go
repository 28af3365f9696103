//go:build (js || cgo) && !lowformer_nogpu

package lowformer

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// waitSpecialized warms m up for one image of s×s pixels and waits until
// its plans are specialized (a no-op on the CPU).
func waitSpecialized(t *testing.T, m *Model, s int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := m.Warmup(ctx, 1, s); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitSpecialized(ctx); err != nil {
		t.Fatal(err)
	}
	if m.info.Backend == GPU {
		if ph := m.Info().Phase; ph != PhaseSpecialized {
			t.Fatalf("phase %q after WaitSpecialized", ph)
		}
	}
}

// TestConcurrentCallsAcrossTheSwap runs calls from 8 goroutines on a
// progressive model from its first call until well after its plans were
// specialized: every result (on the generic plan, the specialized one, or
// a call that held the generic plan while it was swapped) agrees with the
// CPU backend's within f32 rounding, the phases go generic → specializing
// → specialized, the live GPU objects after the swap are those of a model
// that started specialized (the generic plans' objects were released),
// and Close releases everything.
func TestConcurrentCallsAcrossTheSwap(t *testing.T) {
	file := safetensorsOf(t, synthStateDict(t, smallConfig), "F32", nil)
	const s = concurrencySide
	ctx := context.Background()
	cpu := openOn(t, file, CPU)
	defer cpu.Close()
	inputs := map[int][]float32{}
	want := map[int][]float32{}
	for b := 1; b <= 3; b++ {
		inputs[b] = synthInput(b, s, s, uint64(b))
		l, err := cpu.Logits(ctx, inputs[b], b, s, s)
		if err != nil {
			t.Fatal(err)
		}
		want[b] = l
	}
	requireGPU(t)
	var mu sync.Mutex
	var phases []Phase
	m, err := OpenBytes(ctx, file, Options{Backend: GPU, OnPhase: func(p Phase) {
		mu.Lock()
		phases = append(phases, p)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if i := m.Info(); i.Start != StartProgressive || i.Phase != PhaseGeneric {
		t.Fatalf("a default GPU model starts %q in phase %q, want progressive, generic", i.Start, i.Phase)
	}
	// The first call builds the generic plan of batch 1 and starts the
	// specialization.
	if _, err := m.Logits(ctx, inputs[1], 1, s, s); err != nil {
		t.Fatal(err)
	}
	var before, after atomic.Int64 // calls that began before / after the swap
	var done atomic.Bool
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				spec := m.Info().Phase == PhaseSpecialized
				if spec && done.Load() {
					return
				}
				b := (g+i)%3 + 1
				got, err := m.Logits(ctx, inputs[b], b, s, s)
				if err == nil {
					if d := ref.MaxAbsDiff(got, want[b]); d > 1e-4 {
						err = errors.New("logits differ from the CPU backend's by " + ftoa(float64(d)))
					}
				}
				if err != nil {
					errs <- err
					return
				}
				if spec {
					after.Add(1)
				} else {
					before.Add(1)
				}
			}
		})
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := m.WaitSpecialized(wctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // calls on the specialized plans
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d calls began on generic plans, %d on specialized ones", before.Load(), after.Load())
	if before.Load() == 0 || after.Load() == 0 {
		t.Errorf("want calls on both sides of the swap")
	}
	mu.Lock()
	if len(phases) != 2 || phases[0] != PhaseSpecializing || phases[1] != PhaseSpecialized {
		t.Errorf("phases reported %v, want [specializing specialized]", phases)
	}
	mu.Unlock()

	// The same shapes on a model that starts specialized hold as many GPU
	// objects of every kind.
	spec, err := OpenBytes(ctx, file, Options{Backend: GPU, Start: StartSpecialized})
	if err != nil {
		t.Fatal(err)
	}
	defer spec.Close()
	if i := spec.Info(); i.Start != StartSpecialized || i.Phase != PhaseSpecialized {
		t.Errorf("a StartSpecialized model: start %q, phase %q", i.Start, i.Phase)
	}
	for b := 1; b <= 3; b++ {
		if _, err := spec.Logits(ctx, inputs[b], b, s, s); err != nil {
			t.Fatal(err)
		}
	}
	sameCounts(t, "progressive model after the swap vs a specialized one", liveObjects(t, spec), liveObjects(t, m))
	checkCloseReleasesAll(t, m)
}

// ftoa formats a float for error messages.
func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', 3, 64) }

// TestStartOptionRejectsUnknownValues checks ParseStart and Options.Start.
func TestStartOptionRejectsUnknownValues(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Start
		ok   bool
	}{{"", StartProgressive, true}, {"Progressive", StartProgressive, true}, {"specialized", StartSpecialized, true}, {"fast", "", false}} {
		got, err := ParseStart(c.in)
		if got != c.want || (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrBadInput)) {
			t.Errorf("ParseStart(%q) = %q, %v", c.in, got, err)
		}
	}
	file := safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil)
	if _, err := OpenBytes(context.Background(), file, Options{Backend: CPU, Start: "eager"}); !errors.Is(err, ErrBadInput) {
		t.Errorf("Options.Start \"eager\": %v, want ErrBadInput", err)
	}
}
