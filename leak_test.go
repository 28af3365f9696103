//go:build (js || cgo) && !lowformer_nogpu

package lowformer

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
)

// Leak bounds. Inference and open/close cycles must leave the Go heap,
// the process's resident memory and its file descriptors flat: the
// allowances cover allocator and driver noise (Mesa's pipeline caches,
// glibc arenas), not growth per call.
const (
	heapAllowance = 1 << 20  // Go heap in use after a GC
	rssAllowance  = 24 << 20 // resident set over 50 device lifetimes (a leaked lavapipe device costs ~7 MiB)
	fdAllowance   = 2
)

// heapInUse returns the Go heap in use after a full collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	return int64(s.HeapAlloc)
}

// rss returns the resident set size of the process (Linux; 0 elsewhere).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// openFDs counts the process's open file descriptors (Linux; -1 elsewhere).
func openFDs() int {
	e, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(e)
}

// liveObjects returns the model's live GPU objects (nil on the CPU).
func liveObjects(t *testing.T, m *Model) map[string]int {
	t.Helper()
	if m.gpu == nil {
		return nil
	}
	live, ok := m.gpu.(*deviceModel).dev.LiveObjects()
	if !ok {
		t.Fatal("the device gives no object report")
	}
	return live
}

// sameCounts fails the test when two object reports differ.
func sameCounts(t *testing.T, what string, before, after map[string]int) {
	t.Helper()
	for k, v := range after {
		if before[k] != v {
			t.Errorf("%s: %d live %s, %d before", what, v, k, before[k])
		}
	}
}

// checkInferenceLeaks runs calls inferences of one image of s×s pixels on m
// (plans already built) and requires the live GPU objects to be unchanged
// and the Go heap flat.
func checkInferenceLeaks(t *testing.T, m *Model, calls, s int) {
	ctx := context.Background()
	in := synthInput(1, s, s, 11)
	for range 10 { // warm up: plans, pools and caches
		if _, err := m.Logits(ctx, in, 1, s, s); err != nil {
			t.Fatal(err)
		}
	}
	waitSpecialized(t, m, s) // the generic plans' swap is not steady state
	objBefore, heapBefore, rssBefore := liveObjects(t, m), heapInUse(), rss()
	for range calls {
		if _, err := m.Logits(ctx, in, 1, s, s); err != nil {
			t.Fatal(err)
		}
	}
	objAfter, heapAfter, rssAfter := liveObjects(t, m), heapInUse(), rss()
	t.Logf("%d inferences: Go heap %+d bytes, RSS %+d kB, live GPU objects %v -> %v",
		calls, heapAfter-heapBefore, (rssAfter-rssBefore)>>10, objBefore, objAfter)
	sameCounts(t, "after the inferences", objBefore, objAfter)
	if heapAfter-heapBefore > heapAllowance {
		t.Errorf("the Go heap grew by %d bytes over %d inferences", heapAfter-heapBefore, calls)
	}
}

// checkCloseReleasesAll closes m's GPU objects, then checks on its still
// open device that nothing but the device itself is left, and closes m.
func checkCloseReleasesAll(t *testing.T, m *Model) {
	if m.gpu == nil {
		t.Fatal("not a GPU model")
	}
	m.gpu.(*deviceModel).GPU.Close() // what Model.Close does first; the device stays open
	live := liveObjects(t, m)
	for k, v := range live {
		if v != 0 && k != "devices" && k != "adapters" && k != "queues" {
			t.Errorf("%d %s still live after the model's GPU objects were released", v, k)
		}
	}
	t.Logf("after releasing the model's GPU objects: %v", live)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenCloseCycles opens and closes a model 50 times on each backend
// (each GPU open creates an instance, adapter and device) and requires the
// count of open devices, the Go heap, the resident memory and the open file
// descriptors to end where they started.
func TestOpenCloseCycles(t *testing.T) {
	file := safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil)
	for _, be := range []Backend{CPU, GPU} {
		t.Run(be.String(), func(t *testing.T) {
			if be == GPU {
				requireGPU(t)
			}
			ctx := context.Background()
			cycle := func() {
				m, err := OpenBytes(ctx, file, Options{Backend: be})
				if err != nil {
					t.Fatal(err)
				}
				if got := m.Info().Backend; got != be {
					t.Fatalf("opened on %v, want %v", got, be)
				}
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
			}
			// Warm up: driver libraries, and the C allocator's per-thread
			// arenas (each lavapipe device starts threads): the resident set
			// of this process grows by ~33 MB over the first ~75 cycles,
			// then stays flat for hundreds more.
			for range 75 {
				cycle()
			}
			devs, heap, mem, fds := gpu.OpenDevices(), heapInUse(), rss(), openFDs()
			const cycles = 50
			for range cycles {
				cycle()
			}
			devs2, heap2, mem2, fds2 := gpu.OpenDevices(), heapInUse(), rss(), openFDs()
			t.Logf("%d open/close cycles: open devices %d -> %d, Go heap %+d bytes, RSS %+d kB, fds %d -> %d",
				cycles, devs, devs2, heap2-heap, (mem2-mem)>>10, fds, fds2)
			if devs2 != devs {
				t.Errorf("%d devices open after the cycles, %d before", devs2, devs)
			}
			if heap2-heap > heapAllowance {
				t.Errorf("the Go heap grew by %d bytes", heap2-heap)
			}
			if mem2-mem > rssAllowance {
				t.Errorf("the resident set grew by %d MiB", (mem2-mem)>>20)
			}
			if fds2-fds > fdAllowance {
				t.Errorf("%d file descriptors open after the cycles, %d before", fds2, fds)
			}
		})
	}
}
