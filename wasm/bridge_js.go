//go:build js

package main

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"unsafe"

	"github.com/hack-pad/safejs"
)

// work is the asynchronous part of an exported call: it runs in its own
// goroutine and returns a value that js.ValueOf accepts (or a safejs.Value).
type work func() (any, error)

// export wraps fn as a JavaScript function returning a Promise. fn runs
// synchronously inside the callback and must only read (copy) its
// arguments; the work it returns runs in a new goroutine, where waiting on
// promises is allowed. Errors and panics of either part reject the Promise.
func export(fn func(args []safejs.Value) (work, error)) (safejs.Func, error) {
	return safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		var w work
		err := guard(func() (err error) { w, err = fn(args); return err })
		if err != nil {
			return rejected(userError(err))
		}
		return promise(w)
	})
}

// guard runs f and turns a panic (a Go bug, or a JavaScript exception that
// syscall/js raised as a panic) into an error.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("lowformer: internal error: %v", r)
			fmt.Printf("lowformer: recovered panic: %v\n%s", r, debug.Stack())
		}
	}()
	return f()
}

// promise returns a Promise settled by w, run in a new goroutine.
func promise(w work) safejs.Value {
	var exec safejs.Func
	exec, err := safejs.FuncOf(func(_ safejs.Value, a []safejs.Value) any {
		resolve, reject := a[0], a[1]
		go func() {
			defer exec.Release()
			var v any
			err := guard(func() (err error) { v, err = w(); return err })
			err = userError(err)
			if err == nil {
				if _, err = resolve.Invoke(v); err == nil {
					return
				}
				err = fmt.Errorf("lowformer: returning the result to JavaScript: %w", err)
			}
			if _, rerr := reject.Invoke(jsError(err)); rerr != nil {
				fmt.Printf("lowformer: cannot reject a promise (%v): %v\n", rerr, err)
			}
		}()
		return nil
	})
	if err != nil {
		return rejected(err)
	}
	p, err := global("Promise").New(exec)
	if err != nil {
		exec.Release()
		return rejected(err)
	}
	return p
}

// rejected returns Promise.reject(new Error(err)).
func rejected(err error) safejs.Value {
	p, perr := global("Promise").Call("reject", jsError(err))
	if perr != nil {
		return safejs.Undefined()
	}
	return p
}

// jsError makes a JavaScript Error with err's message.
func jsError(err error) safejs.Value {
	e, jerr := global("Error").New(err.Error())
	if jerr != nil {
		v, _ := safejs.ValueOf(err.Error())
		return v
	}
	var c coded
	if errors.As(err, &c) {
		_ = e.Set("code", c.code)
	}
	return e
}

// global returns globalThis[name], or undefined.
func global(name string) safejs.Value {
	v, err := safejs.Global().Get(name)
	if err != nil {
		return safejs.Undefined()
	}
	return v
}

// isInstance reports whether v is an instance of the global class name.
func isInstance(v safejs.Value, name string) bool {
	if v.Type() != safejs.TypeObject {
		return false
	}
	ok, err := v.InstanceOf(global(name))
	return err == nil && ok
}

// argBytes copies a Uint8Array, Uint8ClampedArray or ArrayBuffer into Go.
func argBytes(v safejs.Value, what string) ([]byte, error) {
	switch {
	case isInstance(v, "ArrayBuffer"):
		u, err := global("Uint8Array").New(v)
		if err != nil {
			return nil, fmt.Errorf("lowformer: %s: %w", what, err)
		}
		v = u
	case isInstance(v, "Uint8Array"), isInstance(v, "Uint8ClampedArray"):
	default:
		return nil, fmt.Errorf("lowformer: %s must be a Uint8Array, Uint8ClampedArray or ArrayBuffer, got %s", what, describe(v))
	}
	n, err := intProp(v, "length")
	if err != nil {
		return nil, fmt.Errorf("lowformer: %s: %w", what, err)
	}
	b := make([]byte, n)
	if _, err := safejs.CopyBytesToGo(b, v); err != nil {
		return nil, fmt.Errorf("lowformer: %s: %w", what, err)
	}
	return b, nil
}

// argFloat32s copies a Float32Array into Go.
func argFloat32s(v safejs.Value, what string) ([]float32, error) {
	if !isInstance(v, "Float32Array") {
		return nil, fmt.Errorf("lowformer: %s must be a Float32Array, got %s", what, describe(v))
	}
	n, err := intProp(v, "length")
	if err != nil {
		return nil, fmt.Errorf("lowformer: %s: %w", what, err)
	}
	out := make([]float32, n)
	if n == 0 {
		return out, nil
	}
	buf, _ := v.Get("buffer")
	off, _ := intProp(v, "byteOffset")
	view, err := global("Uint8Array").New(buf, off, 4*n)
	if err != nil {
		return nil, fmt.Errorf("lowformer: %s: %w", what, err)
	}
	if _, err := safejs.CopyBytesToGo(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), 4*n), view); err != nil {
		return nil, fmt.Errorf("lowformer: %s: %w", what, err)
	}
	return out, nil
}

// float32sToJS copies x into a new Float32Array (wasm is little-endian, as
// typed arrays are on every browser).
func float32sToJS(x []float32) (safejs.Value, error) {
	u8, err := global("Uint8Array").New(4 * len(x))
	if err != nil {
		return safejs.Undefined(), err
	}
	if len(x) > 0 {
		if _, err := safejs.CopyBytesToJS(u8, unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x))); err != nil {
			return safejs.Undefined(), err
		}
	}
	buf, err := u8.Get("buffer")
	if err != nil {
		return safejs.Undefined(), err
	}
	return global("Float32Array").New(buf)
}

// argInts reads an array of integers, such as a shape.
func argInts(v safejs.Value, what string) ([]int, error) {
	if !isInstance(v, "Array") {
		return nil, fmt.Errorf("lowformer: %s must be an array of integers, got %s", what, describe(v))
	}
	n, err := intProp(v, "length")
	if err != nil || n > 16 {
		return nil, fmt.Errorf("lowformer: %s must be a short array of integers", what)
	}
	out := make([]int, n)
	for i := range out {
		e, err := v.Index(i)
		if err != nil {
			return nil, fmt.Errorf("lowformer: %s[%d]: %w", what, i, err)
		}
		if out[i], err = toInt(e); err != nil {
			return nil, fmt.Errorf("lowformer: %s[%d]: %w", what, i, err)
		}
	}
	return out, nil
}

// argInt reads an integer argument.
func argInt(v safejs.Value, what string) (int, error) {
	i, err := toInt(v)
	if err != nil {
		return 0, fmt.Errorf("lowformer: %s: %w", what, err)
	}
	return i, nil
}

// toInt converts a JavaScript number holding an integer.
func toInt(v safejs.Value) (int, error) {
	if v.Type() != safejs.TypeNumber {
		return 0, fmt.Errorf("want an integer, got %s", describe(v))
	}
	f, err := v.Float()
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<40 {
		return 0, fmt.Errorf("want an integer, got %v", f)
	}
	return int(f), nil
}

// intProp reads the integer property name of v.
func intProp(v safejs.Value, name string) (int, error) {
	p, err := v.Get(name)
	if err != nil {
		return 0, err
	}
	return toInt(p)
}

// options gives access to an optional options object.
type options struct{ v safejs.Value }

func argOptions(args []safejs.Value, i int) (options, error) {
	if i >= len(args) || args[i].IsUndefined() || args[i].IsNull() {
		return options{}, nil
	}
	if args[i].Type() != safejs.TypeObject {
		return options{}, fmt.Errorf("lowformer: options must be an object, got %s", describe(args[i]))
	}
	return options{args[i]}, nil
}

func (o options) get(name string) safejs.Value {
	if o.v.Type() != safejs.TypeObject {
		return safejs.Undefined()
	}
	v, err := o.v.Get(name)
	if err != nil {
		return safejs.Undefined()
	}
	return v
}

// int reads an integer option; absent (undefined or null) gives 0.
func (o options) int(name string) (int, error) {
	v := o.get(name)
	if v.IsUndefined() || v.IsNull() {
		return 0, nil
	}
	i, err := toInt(v)
	if err != nil {
		return 0, fmt.Errorf("lowformer: option %s: %w", name, err)
	}
	return i, nil
}

// float reads a number option; absent gives 0.
func (o options) float(name string) (float64, error) {
	v := o.get(name)
	if v.IsUndefined() || v.IsNull() {
		return 0, nil
	}
	if v.Type() != safejs.TypeNumber {
		return 0, fmt.Errorf("lowformer: option %s must be a number, got %s", name, describe(v))
	}
	return v.Float()
}

// maxListed bounds the strings of a list option (class names: a model has
// at most a few thousand).
const maxListed = 1 << 16

// strings reads an option that is an array of strings; absent gives nil.
func (o options) strings(name string) ([]string, error) {
	v := o.get(name)
	if v.IsUndefined() || v.IsNull() {
		return nil, nil
	}
	if !isInstance(v, "Array") {
		return nil, fmt.Errorf("lowformer: option %s must be an array of strings, got %s", name, describe(v))
	}
	n, err := intProp(v, "length")
	if err != nil || n > maxListed {
		return nil, fmt.Errorf("lowformer: option %s must be an array of at most %d strings", name, maxListed)
	}
	out := make([]string, n)
	for i := range out {
		e, err := v.Index(i)
		if err != nil {
			return nil, fmt.Errorf("lowformer: option %s[%d]: %w", name, i, err)
		}
		if e.Type() != safejs.TypeString {
			return nil, fmt.Errorf("lowformer: option %s[%d] must be a string, got %s", name, i, describe(e))
		}
		if out[i], err = e.String(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// object reads an option that is an object, as options of its own; ok is
// false when it is absent.
func (o options) object(name string) (sub options, ok bool, err error) {
	v := o.get(name)
	if v.IsUndefined() || v.IsNull() {
		return options{}, false, nil
	}
	if v.Type() != safejs.TypeObject {
		return options{}, false, fmt.Errorf("lowformer: option %s must be an object, got %s", name, describe(v))
	}
	return options{v}, true, nil
}

// string reads a string option; absent gives "".
func (o options) string(name string) (string, error) {
	v := o.get(name)
	if v.IsUndefined() || v.IsNull() {
		return "", nil
	}
	if v.Type() != safejs.TypeString {
		return "", fmt.Errorf("lowformer: option %s must be a string, got %s", name, describe(v))
	}
	return v.String()
}

// callback reads a function option as a Go function of two strings that
// calls it; absent gives nil. An exception it throws is the Go error.
func (o options) callback(name string) (func(a, b string) error, error) {
	v := o.get(name)
	if v.IsUndefined() || v.IsNull() {
		return nil, nil
	}
	if v.Type() != safejs.TypeFunction {
		return nil, fmt.Errorf("lowformer: option %s must be a function, got %s", name, describe(v))
	}
	return func(a, b string) error {
		_, err := v.Invoke(a, b)
		return err
	}, nil
}

// describe names the JavaScript type of v for error messages.
func describe(v safejs.Value) string {
	switch v.Type() {
	case safejs.TypeObject:
		if c, err := v.Get("constructor"); err == nil && c.Type() == safejs.TypeFunction {
			if n, err := c.Get("name"); err == nil && n.Type() == safejs.TypeString {
				s, _ := n.String()
				return "a " + s
			}
		}
		return "an object"
	case safejs.TypeNull:
		return "null"
	case safejs.TypeUndefined:
		return "undefined"
	}
	return "a " + v.Type().String()
}

// needArgs reports missing arguments with the usage of the call.
func needArgs(args []safejs.Value, n int, usage string) error {
	if len(args) < n {
		return errors.New("lowformer: usage: " + usage)
	}
	return nil
}
