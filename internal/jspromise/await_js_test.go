//go:build js

package jspromise

import (
	"strings"
	"syscall/js"
	"testing"
)

// eval runs JavaScript source and returns its value.
func eval(src string) js.Value { return js.Global().Call("eval", src) }

// TestAwait runs in Node (GOOS=js GOARCH=wasm go test -exec
// "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./internal/jspromise):
// resolved, rejected (an Error, a string, undefined, an object whose
// String throws), later-settling and non-promise values, and a then
// getter that throws.
func TestAwait(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string // the value as String() writes it, when err is ""
		err       string // a substring of the error
	}{
		{"resolved", `Promise.resolve(42)`, "42", ""},
		{"resolved later", `new Promise((r) => setTimeout(() => r("late"), 20))`, "late", ""},
		{"resolved undefined", `Promise.resolve()`, "undefined", ""},
		{"thenable", `({then(ok) { ok("thenable"); }})`, "thenable", ""},
		{"not a promise", `7`, "7", ""},
		{"an object without then", `({a: 1})`, "[object Object]", ""},
		{"rejected Error", `Promise.reject(new Error("boom"))`, "", "boom"},
		{"rejected later", `new Promise((_, r) => setTimeout(() => r(new TypeError("late boom")), 20))`, "", "late boom"},
		{"rejected string", `Promise.reject("plain reason")`, "", "plain reason"},
		{"rejected undefined", `Promise.reject()`, "", "undefined"},
		{"rejected with a throwing toString", `Promise.reject({toString() { throw new Error("no"); }})`, "", "promise rejected"},
		{"then getter throws", `({get then() { throw new Error("getter"); }})`, "", "getter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Await(eval(tc.src))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q (value %v)", err, tc.err, v)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := js.Global().Get("String").Invoke(v).String(); got != tc.want {
				t.Errorf("value %q, want %q", got, tc.want)
			}
		})
	}
}
