package lowformer

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/lowformer/lowformer-webgpu/gpu"
)

// The errors a caller must tell apart, matched with errors.Is. Errors that
// belong to one of these kinds also keep their underlying cause reachable
// (for example checkpoint.ErrTruncated or preprocess.ErrUnsupportedFormat).
var (
	// ErrClosed is returned by calls on a closed model.
	ErrClosed = errors.New("lowformer: model is closed")
	// ErrDeviceLost is returned when the model's WebGPU device was lost or
	// destroyed (a driver reset, a browser reclaiming the GPU): the model
	// cannot run any more; close it and open it again.
	ErrDeviceLost = gpu.ErrDeviceLost
	// ErrBadCheckpoint is returned by Open when the weights are not a
	// LowFormer checkpoint that can be loaded: not a checkpoint, truncated,
	// corrupt, unsafe, unsupported, of another variant than
	// Options.Variant, or with unusable metadata.
	ErrBadCheckpoint = errors.New("lowformer: bad checkpoint")
	// ErrBadInput is returned for an argument the model cannot run: a
	// wrong shape, a non-finite value, an input size out of range, a nil,
	// empty, oversized or undecodable image, an unknown option value.
	ErrBadInput = errors.New("lowformer: bad input")
	// ErrNoGPUSupport is returned by Open for Backend GPU in a build
	// without GPU support (GPUSupported is false): a native build without
	// cgo, which runs on the CPU only, or a build with the lowformer_nogpu
	// tag (the browser's CPU builds, lowformer-cpu.wasm and
	// lowformer-scalar.wasm).
	ErrNoGPUSupport = errors.New(noGPUSupportText(runtime.GOOS))
	// ErrNoCPUSupport is returned by Open for Backend CPU, and for Backend
	// Auto when no WebGPU device opens, in a build without the CPU backend
	// (CPUSupported is false): one with the lowformer_nocpu tag, such as
	// the browser's WebGPU build, lowformer.wasm. For Auto the device's
	// error stays reachable with errors.Is.
	ErrNoCPUSupport = errors.New("lowformer: this build has no CPU backend (it was built with -tags lowformer_nocpu, " +
		"as the browser's WebGPU build lowformer.wasm is); for the CPU backend use a build without that tag: " +
		"in the browser lowformer-cpu.wasm (wasm SIMD) or lowformer-scalar.wasm")
)

// noGPUSupportText is ErrNoGPUSupport's message for a build for goos:
// natively what lacks is cgo, in the browser the file.
func noGPUSupportText(goos string) string {
	if goos == "js" {
		return "lowformer: this build has no GPU backend (it was built with -tags lowformer_nogpu, " +
			"as the browser's CPU builds lowformer-cpu.wasm and lowformer-scalar.wasm are); " +
			"for the WebGPU backend load lowformer.wasm"
	}
	return "lowformer: this build has no GPU support (it was built without cgo, or with -tags lowformer_nogpu); " +
		"for the WebGPU backend build with cgo: CGO_ENABLED=1 and a C compiler such as gcc"
}

// kindError is an error of one of the kinds above that keeps its cause.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// badCheckpoint formats an ErrBadCheckpoint error ("lowformer: " prefixed).
func badCheckpoint(format string, args ...any) error {
	return &kindError{ErrBadCheckpoint, fmt.Errorf("lowformer: "+format, args...)}
}

// badInput formats an ErrBadInput error ("lowformer: " prefixed).
func badInput(format string, args ...any) error {
	return &kindError{ErrBadInput, fmt.Errorf("lowformer: "+format, args...)}
}
