//go:build lowformer_nocpu && lowformer_nogpu

package lowformer

// A build without either backend could open no model: the two tags
// together fail to compile here, with this name in the error.
const _ = lowformer_nocpu_and_lowformer_nogpu_leave_no_backend
