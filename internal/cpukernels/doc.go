// Package cpukernels holds the fast float32 CPU kernels of the CPU back
// end: a packed, register-blocked GEMM with a fused epilogue (bias,
// activation, residual) for 1×1 convolutions and linear layers, Winograd
// F(2×2, 3×3) for dense 3×3 stride-1 convolutions, im2col + GEMM for the
// other dense convolutions and the ConvTranspose, a depthwise convolution
// vectorized over channels, attention (two GEMMs per head), GroupNorm,
// LayerNorm and the mean pool. Every kernel accumulates in float32 (FMA
// where the hardware has it). Activations are NHWC float32, weights in the
// layouts of model.Graph.
//
// In wasm (one thread, SIMD128 without FMA, 16 vector registers in Go's
// wasm backend, costly calls and bounds checks) the GEMM packs each block
// of 4 rows of A k-major, and one call per row block (tilesPacked, or
// tilesRow for a single row) runs the micro-tiles of all its panels: their
// k loops and the epilogue of full vectors read and write through unsafe
// pointers, after one check at entry that every operand holds what the
// loops touch (a mismatch panics with a message), and are written so that
// Go's scheduler keeps the accumulators in registers. A bounds check or a
// slice update there cost about as much as a vector operation; without them
// B0's GEMMs run 1.2–1.4× faster in V8. TestKernelsInWasm runs the
// GEMM-based kernels' tests in Node, with and without GOEXPERIMENT=simd,
// and TestGemmBlockOddShapes and FuzzGemmBlock check odd shapes against the
// oracle and that nothing outside a block is written. Natively the
// micro-tile reads the rows in place. Single rows (batch-1 linear layers,
// the last row of an M that is not a multiple of 4) take two panels per
// call, four independent sums. The depthwise convolution and the Winograd
// transforms run one loop per output row or tile with the epilogue inlined
// rather than a call per pixel or per row of values: in wasm a call, and a
// slice expression with its bounds checks, costs about as much as a
// vector's arithmetic. model's BenchmarkCPUPlanProfile shows where a B0
// inference spends its time and GFLOP/s per kernel family, natively or in
// Node, and BenchmarkKernels each family on B0's shapes; both report the
// process's CPU time (internal/cputime), steadier than wall time on a
// loaded machine. bench/gowasm.mjs runs such wasm test binaries in
// Chromium.
//
// Built with GOEXPERIMENT=simd the inner loops use the portable simd
// package (AVX2/AVX-512 natively, SIMD128 in wasm); without it scalar twins
// of the same loops run. internal/ref stays the plain oracle the tests
// compare against.
//
// Kernels are split into independent tasks (an output row block, a panel
// group, an attention head) so that a caller can spread them over workers
// with ForEach; every task writes its own part of the output and uses only
// the scratch of the worker running it. Natively ForEach uses GOMAXPROCS
// workers; in js/wasm it runs on the one thread. A kernel is built once
// per plan with its operands bound (weights packed once per model with
// PackB, PackConvT or PackWinograd), so running it allocates nothing.
//
// On amd64 every vector routine ends with VZEROUPPER (clearUpper): Go's
// scalar float code, math and memmove use SSE encodings, which run several
// times slower while the upper halves of the AVX registers are dirty. For
// the same reason the vector routines take zero vectors as zero values
// (BroadcastFloat32s(0) compiles to an SSE XORPS) and handle tails with
// partial vectors rather than scalar loops.
package cpukernels
