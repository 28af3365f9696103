//go:build js

package main

import (
	"errors"
	"fmt"
	"runtime"
	"syscall/js"

	"github.com/lowformer/lowformer-webgpu/preprocess"
)

func main() {
	obj := js.Global().Get("Object").New()
	obj.Set("goVersion", runtime.Version())
	obj.Set("decode", js.FuncOf(decode))
	js.Global().Set("__lowformerDecoders", obj)
	select {} // keep the export alive
}

// decode(file Uint8Array, {applyEXIFOrientation, maxPixels}?) → {width,
// height, rgba} | {error, code?}.
func decode(_ js.Value, args []js.Value) (result any) {
	defer func() {
		if r := recover(); r != nil { // a JavaScript argument of the wrong type
			result = failure(fmt.Errorf("lowformer-decoders: internal error: %v", r))
		}
	}()
	if len(args) < 1 || args[0].Type() != js.TypeObject || !args[0].InstanceOf(js.Global().Get("Uint8Array")) {
		return failure(errors.New("lowformer-decoders: decode(file: Uint8Array, options?)"))
	}
	file := make([]byte, args[0].Length())
	js.CopyBytesToGo(file, args[0])
	var opt preprocess.Options
	if len(args) > 1 && args[1].Type() == js.TypeObject {
		if v := args[1].Get("applyEXIFOrientation"); v.Type() == js.TypeBoolean {
			opt.ApplyEXIFOrientation = v.Bool()
		}
		if v := args[1].Get("maxPixels"); v.Type() == js.TypeNumber {
			opt.MaxPixels = v.Int()
		}
	}
	w, h, rgba, err := decodeRGBA(file, opt)
	if err != nil {
		return failure(err)
	}
	out := js.Global().Get("Uint8Array").New(len(rgba))
	js.CopyBytesToJS(out, rgba)
	return map[string]any{"width": w, "height": h, "rgba": out}
}

// failure is decode's result for err: its message (starting "lowformer:"
// as every error of the JavaScript API does) and, for a file that is no
// image format Go reads, code 'unsupported-format'.
func failure(err error) map[string]any {
	r := map[string]any{"error": "lowformer: " + err.Error()}
	if errors.Is(err, preprocess.ErrUnsupportedFormat) {
		r["code"] = "unsupported-format"
	}
	return r
}
