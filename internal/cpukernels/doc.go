// Package cpukernels holds the fast float32 CPU kernels of the CPU back
// end: a packed, register-blocked GEMM with a fused epilogue (bias,
// activation, residual) for 1×1 convolutions and linear layers, im2col +
// GEMM for dense k×k convolutions and the ConvTranspose, a depthwise
// convolution vectorized over channels, attention, GroupNorm, LayerNorm
// and the mean pool. Activations are NHWC float32, weights in the layouts
// of model.Graph.
//
// Built with GOEXPERIMENT=simd the inner loops use the portable simd
// package (AVX2/AVX-512 natively, SIMD128 in wasm); without it scalar twins
// of the same loops run. internal/ref stays the plain oracle the tests
// compare against.
//
// Kernels are split into independent tasks (an output row block, a panel
// group, an attention head) so that a caller can spread them over workers
// with ForEach; every task writes its own part of the output and uses only
// the scratch of the worker running it.
package cpukernels
