// Package jspromise waits for JavaScript promises from Go compiled to
// js/wasm (syscall/js): Await blocks the calling goroutine until a
// promise settles and gives its value, or its rejection as an error. The
// WebGPU device (gpu) and the browser bridge's tuning store (wasm) share
// it. It is empty outside GOOS=js.
package jspromise
