//go:build (js || cgo) && !lowformer_nogpu

package lowformer

import (
	"context"
	"fmt"
	"image"
	"reflect"
	"sync"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/synth"
)

// concurrencySide is the input side of the concurrency and leak tests: the
// smallest input, so that the GPU plans of three batch sizes compile fast
// on a software adapter.
const concurrencySide = 32

// testImages returns n small deterministic images of different sizes.
func testImages(n int) []image.Image {
	out := make([]image.Image, n)
	for i := range out {
		m := image.NewRGBA(image.Rect(0, 0, 40+7*i, 36+3*i))
		for p := range len(m.Pix) / 4 {
			u := synth.Uniform(uint64(i), p)
			m.Pix[4*p], m.Pix[4*p+1], m.Pix[4*p+2], m.Pix[4*p+3] = byte(255*u), byte(p), byte(97*i), 255
		}
		out[i] = m
	}
	return out
}

// callResult is what one call of the concurrency test returned.
type callResult struct {
	batch  int
	logits []float32      // a Logits call
	preds  [][]Prediction // a ClassifyBatch call
}

// TestConcurrentUse shares one model (tinyConfig) between 8 goroutines
// making 25 calls each, Logits and ClassifyBatch at batch sizes 1, 2 and
// 3, starting on a fresh model so that the plans of all batch sizes are
// built concurrently; every result must equal, bit for bit, the serial
// result on the same model. The same model then runs the leak checks: 500
// inferences must leave the live GPU objects and the Go heap unchanged,
// and (GPU) closing the model must release every object it created. Run it
// under -race (make race).
func TestConcurrentUse(t *testing.T) {
	file := safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil)
	for _, be := range []Backend{CPU, GPU} {
		t.Run(be.String(), func(t *testing.T) {
			m := openOn(t, file, be)
			defer m.Close()
			// The concurrent results must equal the serial ones bit for bit,
			// so all of them run on specialized plans: the swap from the
			// generic ones is TestConcurrentCallsAcrossTheSwap's.
			waitSpecialized(t, m, concurrencySide)
			t.Run("8 goroutines x 25 calls", func(t *testing.T) { checkConcurrent(t, m, 8, 25) })
			t.Run("500 inferences leak nothing", func(t *testing.T) { checkInferenceLeaks(t, m, 500, concurrencySide) })
			if be == GPU {
				t.Run("Close releases every GPU object", func(t *testing.T) { checkCloseReleasesAll(t, m) })
			}
		})
	}
}

// checkConcurrent runs the concurrent calls, then the same calls serially.
func checkConcurrent(t *testing.T, m *Model, goroutines, calls int) {
	const s = concurrencySide
	ctx := context.Background()
	inputs := map[int][]float32{}
	for b := 1; b <= 3; b++ {
		inputs[b] = synthInput(b, s, s, uint64(b))
	}
	imgs := testImages(3)
	call := func(g, i int) (callResult, error) {
		b := (g+i)%3 + 1
		if i%5 == 4 {
			p, err := m.ClassifyBatch(ctx, imgs[:b], ClassifyOptions{TopK: 3, Side: s})
			return callResult{batch: b, preds: p}, err
		}
		l, err := m.Logits(ctx, inputs[b], b, s, s)
		return callResult{batch: b, logits: l}, err
	}
	got := make([][]callResult, goroutines)
	errs := make(chan error, goroutines*calls)
	var wg sync.WaitGroup
	for g := range goroutines {
		got[g] = make([]callResult, calls)
		wg.Go(func() {
			for i := range calls {
				r, err := call(g, i)
				if err != nil {
					errs <- fmt.Errorf("goroutine %d call %d (batch %d): %w", g, i, r.batch, err)
					continue
				}
				got[g][i] = r
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for g := range goroutines {
		for i := range calls {
			want, err := call(g, i) // serial, on the same (now warm) model
			if err != nil {
				t.Fatal(err)
			}
			if r := got[g][i]; !reflect.DeepEqual(r, want) {
				t.Fatalf("goroutine %d call %d (batch %d): concurrent result %v differs from the serial one %v", g, i, r.batch, r, want)
			}
		}
	}
	if n := len(got[0][4].preds); n != got[0][4].batch {
		t.Fatalf("ClassifyBatch returned %d results for %d images", n, got[0][4].batch)
	}
}

// TestConcurrentClose closes a CPU model while goroutines use it: every
// call must either succeed or return ErrClosed, never crash.
func TestConcurrentClose(t *testing.T) {
	file := safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil)
	m, err := OpenBytes(context.Background(), file, Options{Backend: CPU})
	if err != nil {
		t.Fatal(err)
	}
	in := synthInput(1, concurrencySide, concurrencySide, 1)
	var wg sync.WaitGroup
	errs := make(chan error, 80)
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if _, err := m.Logits(context.Background(), in, 1, concurrencySide, concurrencySide); err != nil && err != ErrClosed {
					errs <- err
				}
			}
		})
	}
	m.Close()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
