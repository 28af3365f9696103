// Command wasm is the browser build of LowFormer: compiled with GOOS=js
// GOARCH=wasm it publishes the model to JavaScript as the global object
// globalThis.__lowformer, which web/lowformer.js wraps in a documented ES
// module API (see web/README.md).
//
// Every exported function returns a Promise and does its work in a new
// goroutine (the WebGPU calls wait on promises, which would deadlock inside
// a js.FuncOf callback). Failures, bad arguments, JavaScript exceptions and
// Go panics all reject the Promise with an Error; none stops the Go runtime.
//
//	__lowformer.goVersion                                 string (runtime.Version())
//	__lowformer.load(weights Uint8Array, {backend, variant, dumpWGSL, tune, tuning, tuningStore}) → {id, info, loadMs}
//	                        (dumpWGSL(label, wgsl): optional, called with the
//	                        WGSL of every pipeline as it is created; tune,
//	                        tuning and tuningStore: see tune_js.go)
//	__lowformer.tune(id, {budgetMs, side, batch, onProgress}) → {keys, measured, total, thisRun,
//	                        elapsedMs, complete, resumed, cancelled, where, changed, notes, table}
//	__lowformer.tuningTable(id)                           → the JSON text of the table in use | null
//	__lowformer.logits(id, input Float32Array, [n,3,h,w])  → Float32Array (n×classes)
//	__lowformer.classify(id, rgba Uint8Array|Uint8ClampedArray, width, height, {topK, size, ...})
//	                                                       → {predictions, timings}
//	__lowformer.classifyEncoded(id, file Uint8Array, {topK, size, ...})
//	                                                       → {predictions, timings, width, height}
//	__lowformer.classifyBatch(id, [{data, width, height} | file Uint8Array, ...], {topK, size, ...})
//	                                                       → [{predictions, timings, width, height}, ...]
//	                        (one batch, at most 256 images; timings are the batch's)
//	__lowformer.embed(id, rgba, width, height, {size, normalize, stages})
//	                                                       → {embedding Float32Array, timings}
//	                        (with stages, an array: {features: [{stage, shape, data}], timings})
//	__lowformer.embedEncoded(id, file Uint8Array, {size, normalize, stages})
//	                                                       → as embed, plus width, height
//	__lowformer.embeddings(id, input Float32Array, [n,3,h,w]) → Float32Array (n×embeddingSize)
//	__lowformer.features(id, input Float32Array, [n,3,h,w], stages?)
//	                                                       → [{stage, shape [n,c,h,w], data}] (NCHW)
//	__lowformer.frame(id, source, width, height, {topK, size, embed, normalize, preprocessOnly, readInput, rect})
//	                                                       → {predictions | embedding | input, timings}
//	                        (GPU preprocessing of an ImageBitmap, VideoFrame, element,
//	                        GPUTexture or GPUBuffer; rect: the buffer holds only that part;
//	                        see frame_js.go)
//	__lowformer.frameRect(id, width, height, size)         → {x, y, width, height} (the part frame reads)
//	__lowformer.device(id)                                 → GPUDevice | null
//	__lowformer.preprocess(rgba, width, height, size)      → Float32Array [3,size,size] (the CPU path's input)
//	__lowformer.warmup(id)                                 → {ms}
//	__lowformer.dispose(id)                                → true
//	__lowformer.memory()  → {heapAlloc, heapObjects, goroutines, models}
//	                        (after a forced Go GC; for leak tests)
//
// The classify options are lowformer.ClassifyOptions under their JavaScript
// names: topK is TopK (0 or absent: lowformer.DefaultTopK, 5; more than the
// classes: all of them), size is Side (0 or absent: the model's native
// side, info.inputSize; otherwise 32..2048), scoreThreshold is
// ScoreThreshold, categoryAllowlist and categoryDenylist (arrays of label
// names) are CategoryAllowlist and CategoryDenylist, and regionOfInterest
// ({left, top, right, bottom}, normalized to 0..1) is RegionOfInterest.
// Errors about them use these names. info.inputSize is
// lowformer.Info.NativeSide; info.training is lowformer.Info.Training
// ({known, epoch, accuracy, accuracySplit, dataset, trainImages} and its
// one-line summary), and info.note is lowformer.TestWeightsNote when
// training.known is false ("" otherwise). Times (loadMs, ms, and the timings of a
// classification: preprocess, inference, postprocess, and decode for
// classifyEncoded) are milliseconds, converted from the Go time.Durations
// in one place (ms).
//
// The encoded-file calls (classifyEncoded, classifyBatch, embedEncoded)
// decode JPEG and PNG; this build leaves the GIF, WebP, BMP and TIFF
// decoders out (preprocess.ErrFormatNotBuiltIn, error.code
// "format-not-built-in"), which lowformer-decoders.wasm (wasm/decoders)
// provides.
//
// web/build.sh builds this command once per backend: with -tags
// lowformer_nocpu (lowformer.wasm, WebGPU only) and with -tags
// lowformer_nogpu (lowformer-cpu.wasm and lowformer-scalar.wasm, CPU only).
// load rejects a backend its build lacks with error.code "no-cpu-backend"
// (lowformer.ErrNoCPUSupport, also for backend "auto" without a WebGPU
// device: web/lowformer.js then loads a CPU build) or "no-gpu-backend"
// (lowformer.ErrNoGPUSupport; frame, frameRect and device reject so in the
// CPU builds).
//
// Built natively, the command only explains how to build it.
package main
