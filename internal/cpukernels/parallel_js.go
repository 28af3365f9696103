//go:build js

package cpukernels

// separateEpilogue makes the GEMM micro-tile hand its accumulators to
// tileEpilogue (faster in wasm; natively it costs a store and reload of
// every accumulator, and the inline epilogue is faster).
const separateEpilogue = true

// Workers is 1 in the browser: the wasm build runs on one thread, where
// goroutine fan-out only costs.
func Workers() int { return 1 }

// ForEach runs fn(task, 0) for every task in [0, n) in order.
func ForEach(n int, fn func(task, worker int)) {
	for i := 0; i < n; i++ {
		fn(i, 0)
	}
}
