//go:build js

package gpu

import (
	"fmt"
	"syscall/js"

	"github.com/cogentcore/webgpu/wgpu"
)

// mapRead maps the first size bytes of the staging buffer b for reading.
// It awaits mapAsync itself: cogentcore's js MapAsync ignores a rejection
// (as on a lost or destroyed device) and reports success, after which
// getMappedRange throws. A rejection on a lost device is returned as
// ErrClosed with the loss message.
func (d *Device) mapRead(b *wgpu.Buffer, size uint64) (wgpu.BufferMapAsyncStatus, error) {
	if _, err := await(jsValue(b).Call("mapAsync", uint32(wgpu.MapModeRead), 0, size)); err != nil {
		if d.pollLost(); d.lost != "" {
			return 0, fmt.Errorf("%w: %s (mapping the results: %v)", ErrClosed, d.lost, err)
		}
		return 0, err
	}
	return wgpu.BufferMapAsyncStatusSuccess, nil
}

// pollLost records the device's loss (d.lost) now if its lost promise has
// already settled, without waiting for the watcher goroutine of Open:
// Promise.race of the lost promise and a plain value settles with the
// promise's value exactly when that promise is already resolved.
func (d *Device) pollLost() {
	if d.lost != "" || d.closed {
		return
	}
	const pending = "pending"
	v, err := await(js.Global().Get("Promise").Call("race", []any{d.native.device.Get("lost"), pending}))
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
