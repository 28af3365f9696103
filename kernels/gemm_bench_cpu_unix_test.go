//go:build (js || cgo) && unix

package kernels

import "syscall"

// processCPU is the user+sys CPU time of this process (all threads, the
// lavapipe workers included) in seconds.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
