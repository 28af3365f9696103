//go:build lowformer_nocpu && (lowformer_nogpu || (!js && !cgo))

package lowformer

// A build without either backend could open no model: lowformer_nocpu
// with lowformer_nogpu, or in a native build without cgo (which has no GPU
// backend), fails to compile here, with this name in the error.
const _ = lowformer_nocpu_leaves_no_backend_in_a_build_without_the_gpu_backend
