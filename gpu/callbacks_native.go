//go:build !js && cgo

package gpu

/*
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

// Prototypes of webgpu.h (cogentcore/webgpu v0.23.0 lib/webgpu.h), with
// opaque handles as void * and 32-bit enums as uint32_t.
typedef void (*lfStatusCallback)(uint32_t status, void *userdata);
typedef void (*lfErrorCallback)(uint32_t type, char const *message, void *userdata);
extern void wgpuBufferMapAsync(void *buffer, uint32_t mode, size_t offset, size_t size, lfStatusCallback callback, void *userdata);
extern void wgpuQueueOnSubmittedWorkDone(void *queue, lfStatusCallback callback, void *userdata);
extern void wgpuDevicePushErrorScope(void *device, uint32_t filter);
extern void wgpuDevicePopErrorScope(void *device, lfErrorCallback callback, void *userdata);

// lf_store_status records a callback's status, plus one, in C memory that
// the Go side polls with an atomic load.
static void lf_store_status(uint32_t status, void *userdata) {
	__atomic_store_n((int32_t *)userdata, (int32_t)status + 1, __ATOMIC_SEQ_CST);
}

static void lf_store_error(uint32_t type, char const *message, void *userdata) {
	if (type != 0) { // WGPUErrorType_NoError
		*(int32_t *)userdata = (int32_t)type;
	}
}

// lf_map_read maps buffer for reading inside a validation error scope; the
// scope's error type (0: none) lands in *error synchronously, the map
// status in *status when a later poll completes the map.
static void lf_map_read(void *device, void *buffer, size_t size, int32_t *status, int32_t *error) {
	wgpuDevicePushErrorScope(device, 0); // WGPUErrorFilter_Validation
	wgpuBufferMapAsync(buffer, 1, 0, size, lf_store_status, status); // WGPUMapMode_Read
	wgpuDevicePopErrorScope(device, lf_store_error, error);
}

static void lf_on_work_done(void *queue, int32_t *status) {
	wgpuQueueOnSubmittedWorkDone(queue, lf_store_status, status);
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"
)

// Why this file exists: cogentcore/webgpu v0.23.0's Buffer.MapAsync and
// Queue.OnSubmittedWorkDone hand wgpu-native the address of a local
// cgo.Handle as the callback's userdata. The callback runs later, in a
// Device.Poll, when that variable is already dead: once the garbage
// collector has reused its memory the callback reads a wrong handle and
// the process dies with "runtime/cgo: misuse of an invalid Handle" (any
// readback while other goroutines allocate; TestReadbackSurvivesGC shows
// it). Here the callbacks are C functions writing into C memory, which
// no collector touches.

// handlesOf mirrors the layout of wgpu.Buffer and wgpu.Queue in
// cogentcore/webgpu v0.23.0: the device handle, then the object's handle.
type handlesOf struct {
	device, object unsafe.Pointer
}

// directCallbacks reports whether wgpu.Buffer and wgpu.Queue have the
// layout handlesOf assumes; otherwise the library's calls are used.
var directCallbacks = unsafe.Sizeof(wgpu.Buffer{}) == unsafe.Sizeof(handlesOf{}) &&
	unsafe.Sizeof(wgpu.Queue{}) == unsafe.Sizeof(handlesOf{})

// newStatus allocates a zeroed status word in C memory.
func newStatus() *C.int32_t {
	p := (*C.int32_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.int32_t(0)))))
	if p == nil {
		panic("gpu: out of C memory")
	}
	return p
}

// mapRead maps the first size bytes of the staging buffer b for reading
// and polls until the map completes.
func (d *Device) mapRead(b *wgpu.Buffer, size uint64) (wgpu.BufferMapAsyncStatus, error) {
	if !directCallbacks {
		done := make(chan wgpu.BufferMapAsyncStatus, 1)
		if err := b.MapAsync(wgpu.MapModeRead, 0, size, func(s wgpu.BufferMapAsyncStatus) { done <- s }); err != nil {
			return 0, err
		}
		return awaitMap(d, done), nil
	}
	h := (*handlesOf)(unsafe.Pointer(b))
	status, verr := newStatus(), newStatus()
	C.lf_map_read(h.device, h.object, C.size_t(size), status, verr)
	if e := *verr; e != 0 { // the error scope reports synchronously
		C.free(unsafe.Pointer(verr))
		C.free(unsafe.Pointer(status)) // a refused map never calls back
		return 0, fmt.Errorf("gpu: mapping the staging buffer failed validation (error type %d)", int(e))
	}
	C.free(unsafe.Pointer(verr))
	s, ok := d.pollStatus(status)
	if !ok {
		return wgpu.BufferMapAsyncStatusDeviceLost, nil
	}
	return wgpu.BufferMapAsyncStatus(s), nil
}

// waitIdle blocks until the submitted work has finished.
func (d *Device) waitIdle() error {
	if !directCallbacks {
		done := make(chan wgpu.BufferMapAsyncStatus, 1)
		d.Queue.OnSubmittedWorkDone(func(wgpu.QueueWorkDoneStatus) { done <- wgpu.BufferMapAsyncStatusSuccess })
		awaitMap(d, done)
		return d.check()
	}
	status := newStatus()
	C.lf_on_work_done((*handlesOf)(unsafe.Pointer(d.Queue)).object, status)
	d.pollStatus(status)
	return d.check()
}

// pollStatus polls the device without blocking (never one long
// Poll(true), which gives up after ~5 s) until the callback has written
// status, then frees it and returns the callback's status. When the device
// is lost first it returns false and leaves status allocated, since the
// callback may still write it.
func (d *Device) pollStatus(status *C.int32_t) (uint32, bool) {
	word := (*int32)(unsafe.Pointer(status))
	for {
		if v := atomic.LoadInt32(word); v != 0 {
			C.free(unsafe.Pointer(status))
			return uint32(v - 1), true
		}
		if d.lost != "" {
			return 0, false
		}
		if !d.Dev.Poll(false, nil) {
			time.Sleep(100 * time.Microsecond)
		} else {
			runtime.Gosched()
		}
	}
}
