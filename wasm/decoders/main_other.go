//go:build !js

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "lowformer decoders: this is the browser's decoder of GIF, WebP, BMP and TIFF; make it with `make web` (GOOS=js GOARCH=wasm go build -tags lowformer_allformats ./wasm/decoders)")
	os.Exit(2)
}
