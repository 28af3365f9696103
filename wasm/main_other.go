//go:build !js

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "lowformer wasm: this is the browser build; make it with `make web` (GOOS=js GOARCH=wasm go build ./wasm)")
	os.Exit(2)
}
