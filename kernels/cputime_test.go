//go:build js || cgo

package kernels

import "github.com/lowformer/lowformer-webgpu/internal/cputime"

// processCPU is the user+sys CPU time of this process (all threads, the
// lavapipe workers included) in seconds; 0 where it is unknown (then
// cpu-GFLOP/s is reported as +Inf).
func processCPU() float64 {
	d, _ := cputime.Process()
	return d.Seconds()
}
