// Package web holds the browser side of LowFormer: the ES module
// lowformer.js and its worker, the demo page, the static build (build.sh,
// `make web`, which shrinks the .wasm files with ./wasmpack), a development
// server (./devserver) and the browser tests
// (test/*.mjs), which web_test.go runs from `go test`. See README.md for
// the JavaScript API.
package web
