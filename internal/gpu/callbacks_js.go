//go:build js

package gpu

import "github.com/cogentcore/webgpu/wgpu"

// mapRead maps the first size bytes of the staging buffer b for reading;
// on js MapAsync awaits the promise and runs the callback before it
// returns.
func (d *Device) mapRead(b *wgpu.Buffer, size uint64) (wgpu.BufferMapAsyncStatus, error) {
	done := make(chan wgpu.BufferMapAsyncStatus, 1)
	if err := b.MapAsync(wgpu.MapModeRead, 0, size, func(s wgpu.BufferMapAsyncStatus) { done <- s }); err != nil {
		return 0, err
	}
	return awaitMap(d, done), nil
}

// waitIdle blocks until the submitted work has finished.
func (d *Device) waitIdle() error {
	done := make(chan wgpu.BufferMapAsyncStatus, 1)
	d.Queue.OnSubmittedWorkDone(func(wgpu.QueueWorkDoneStatus) { done <- wgpu.BufferMapAsyncStatusSuccess })
	awaitMap(d, done)
	return d.check()
}
