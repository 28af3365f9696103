package cputime

import (
	"testing"
	"time"
)

// TestProcessAdvances checks that busy work shows up as CPU time, where
// the platform reports it (natively and in Node).
func TestProcessAdvances(t *testing.T) {
	t0, ok := Process()
	if !ok {
		t.Skip("no process CPU time on this platform")
	}
	x := 1.0
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		for i := 0; i < 1000; i++ {
			x = x*1.0000001 + 1e-9
		}
	}
	t1, _ := Process()
	if t1 <= t0 {
		t.Fatalf("CPU time did not advance over 50 ms of work: %v then %v (x=%g)", t0, t1, x)
	}
}
