//go:build js

package gpu

import (
	"fmt"
	"syscall/js"
	"time"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/lowformer/lowformer-webgpu/internal/jspromise"
)

// mapRead maps the first size bytes of the staging buffer b for reading.
// It awaits mapAsync itself: cogentcore's js MapAsync ignores a rejection
// (as on a lost or destroyed device) and reports success, after which
// getMappedRange throws. A rejection on a lost device is returned as
// ErrDeviceLost with the loss message.
func (d *Device) mapRead(b *wgpu.Buffer, size uint64) (wgpu.BufferMapAsyncStatus, error) {
	if _, err := jspromise.Await(jsValue(b).Call("mapAsync", uint32(wgpu.MapModeRead), 0, size)); err != nil {
		// A map aborted by the device's loss can reject before the lost
		// promise settles: give that promise a moment.
		if d.awaitLost(lostGrace); d.lost != "" {
			return 0, fmt.Errorf("%w: %s (mapping the results: %v)", ErrDeviceLost, d.lost, err)
		}
		return 0, err
	}
	return wgpu.BufferMapAsyncStatusSuccess, nil
}

// lostGrace is how long a failed map waits for the device's lost promise.
const lostGrace = 250 * time.Millisecond

// pollLost records the device's loss (d.lost) now if its lost promise has
// already settled, without waiting for the watcher goroutine of Open:
// Promise.race of the lost promise and a plain value settles with the
// promise's value exactly when that promise is already resolved.
func (d *Device) pollLost() { d.awaitLost(0) }

// awaitLost is pollLost giving the lost promise up to wait to settle.
func (d *Device) awaitLost(wait time.Duration) {
	if d.lost != "" || d.closed {
		return
	}
	const pending = "pending"
	var other any = pending
	if wait > 0 {
		// The executor runs during the constructor, so it can go right after.
		exec := js.FuncOf(func(_ js.Value, args []js.Value) any {
			resolve := args[0]
			var timer js.Func
			timer = js.FuncOf(func(js.Value, []js.Value) any {
				resolve.Invoke(pending)
				timer.Release()
				return nil
			})
			js.Global().Call("setTimeout", timer, wait.Milliseconds())
			return nil
		})
		other = js.Global().Get("Promise").New(exec)
		exec.Release()
	}
	v, err := jspromise.Await(js.Global().Get("Promise").Call("race", []any{d.native.device.Get("lost"), other}))
	if err != nil || v.Type() != js.TypeObject {
		return
	}
	if msg := v.Get("message"); msg.Type() == js.TypeString && msg.String() != "" {
		d.lost = msg.String()
	} else {
		d.lost = "the GPU device was lost"
	}
}

// waitIdle blocks until the submitted work has finished.
func (d *Device) waitIdle() error {
	done := make(chan wgpu.BufferMapAsyncStatus, 1)
	d.Queue.OnSubmittedWorkDone(func(wgpu.QueueWorkDoneStatus) { done <- wgpu.BufferMapAsyncStatusSuccess })
	awaitMap(d, done)
	d.pollLost()
	return d.check()
}
