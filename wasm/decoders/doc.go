// Command decoders is lowformer-decoders.wasm, the browser's decoder of the
// rarer image formats: GIF (first frame), WebP, BMP and TIFF. The main
// build, lowformer.wasm, decodes JPEG and PNG only (preprocess.Decode
// returns preprocess.ErrFormatNotBuiltIn for the others there, to keep
// lowformer.wasm small); web/lowformer.js starts this module, once, the
// first time such a file arrives, decodes the file with it and classifies
// the pixels, which are exactly what preprocess.Decode returns natively.
//
// Compiled with GOOS=js GOARCH=wasm -tags lowformer_allformats (web/build.sh,
// without wasm SIMD so that it loads everywhere), it publishes one global
// object:
//
//	__lowformerDecoders.goVersion   string (runtime.Version())
//	__lowformerDecoders.decode(file Uint8Array, {applyEXIFOrientation, maxPixels}?)
//	                                → {width, height, rgba: Uint8Array (opaque, width×height×4)}
//	                                | {error: string, code?: 'unsupported-format'}
//
// decode is synchronous (decoding waits on nothing in JavaScript). Outside
// the browser the command only says what it is.
package main
