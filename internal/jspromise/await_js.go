//go:build js

package jspromise

import (
	"errors"
	"fmt"
	"syscall/js"
)

// Await waits for p when it is a promise (an object or function with a
// then method) and returns the value it resolved with, or its rejection
// as an error whose text is the rejection's message (an Error's message,
// else the value as String() writes it). Any other value is returned as it
// is. A JavaScript exception while reading or subscribing to p is an error
// too, never a panic. It must not be called from inside a js.FuncOf
// callback: the promise settles only after the callback returns.
func Await(p js.Value) (v js.Value, err error) {
	then, err := get(p, "then")
	if err != nil {
		return js.Undefined(), err
	}
	if then.Type() != js.TypeFunction {
		return p, nil
	}
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	onOK := js.FuncOf(func(_ js.Value, a []js.Value) any {
		v := js.Undefined()
		if len(a) > 0 {
			v = a[0]
		}
		ch <- result{v: v}
		return nil
	})
	defer onOK.Release()
	onErr := js.FuncOf(func(_ js.Value, a []js.Value) any {
		reason := js.Undefined()
		if len(a) > 0 {
			reason = a[0]
		}
		ch <- result{err: errors.New(message(reason))}
		return nil
	})
	defer onErr.Release()
	if err := protect(func() { then.Call("call", p, onOK, onErr) }); err != nil {
		return js.Undefined(), err
	}
	r := <-ch
	return r.v, r.err
}

// get is v[name] for objects and functions, undefined for other values,
// with a throwing getter as an error (read through Reflect.get: js.Value's
// Get does not catch an exception, Call does).
func get(v js.Value, name string) (out js.Value, err error) {
	if t := v.Type(); t != js.TypeObject && t != js.TypeFunction {
		return js.Undefined(), nil
	}
	err = protect(func() { out = js.Global().Get("Reflect").Call("get", v, name) })
	return out, err
}

// message is the text of a rejection reason: an Error's message, else
// String(reason), else "promise rejected" when even that throws.
func message(reason js.Value) string {
	if m, err := get(reason, "message"); err == nil && m.Type() == js.TypeString {
		return m.String()
	}
	s := "promise rejected"
	_ = protect(func() { s = js.Global().Get("String").Invoke(reason).String() })
	return s
}

// protect runs f, turning a panic (syscall/js panics on a JavaScript
// exception) into an error.
func protect(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}
