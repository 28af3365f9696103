//go:build js

package cputime

import (
	"syscall/js"
	"time"
)

// Process returns the CPU time (user + system) the Node process has used,
// and false where there is no Node process object (a browser).
func Process() (time.Duration, bool) {
	proc := js.Global().Get("process")
	if proc.Type() != js.TypeObject || proc.Get("cpuUsage").Type() != js.TypeFunction {
		return 0, false
	}
	u := proc.Call("cpuUsage")
	us := u.Get("user").Float() + u.Get("system").Float()
	return time.Duration(us) * time.Microsecond, true
}
