//go:build !js && cgo

package gpu_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// sink keeps the churn goroutine's allocations observable.
var sink atomic.Pointer[[2]int64]

// TestReadbackSurvivesGC reads back and waits for the queue hundreds of
// times while other goroutines collect garbage and allocate small
// pointer-free objects, the size class of cgo.Handle. With
// cogentcore/webgpu's MapAsync (userdata pointing at a dead local handle)
// this crashed the process with "misuse of an invalid Handle" within a
// few hundred readbacks.
func TestReadbackSurvivesGC(t *testing.T) {
	if !gpu.DirectCallbacks {
		t.Fatal("wgpu.Buffer/wgpu.Queue changed layout: the GC-safe callbacks are not in use (check the cogentcore/webgpu version)")
	}
	d := gputest.Device(t)
	b, err := d.NewBufferFloats("x", []float32{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			runtime.GC()
		}
	})
	wg.Go(func() {
		for !stop.Load() {
			for range 1000 {
				sink.Store(&[2]int64{-1, -1})
			}
		}
	})
	defer func() { stop.Store(true); wg.Wait() }()
	for i := range 600 {
		if i%3 == 2 {
			if _, err := d.Run(nil, nil, 0, 0); err != nil { // waitIdle
				t.Fatal(err)
			}
			continue
		}
		got, err := d.ReadFloats(b, 0, 4)
		if err != nil {
			t.Fatal(err)
		}
		if got[3] != 4 {
			t.Fatalf("readback %d: %v", i, got)
		}
	}
}
