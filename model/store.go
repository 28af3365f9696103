//go:build js || cgo

package model

import (
	"fmt"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/lowformer/lowformer-webgpu/gpu"
)

// releaser is a device object: a buffer, a texture or a texture view.
type releaser interface{ Release() }

// deviceStore holds device objects made on first use under a key, in the
// order they were made, so that those made since a mark can be released
// again (after a failed plan they may be invalid: in the browser the plan's
// one error scope does not say which object failed). It counts their bytes.
// It is not safe for concurrent use: GPU.mu guards it.
type deviceStore[K comparable] struct {
	res   map[K]gpu.Resource
	made  []made[K]
	bytes int64
}

// made is one stored resource with the objects behind it, released in
// this order.
type made[K comparable] struct {
	key   K
	objs  []releaser
	bytes int64
}

// get returns the resource stored under key, making it with create on
// first use. create returns the resource, the objects to release and
// their size in bytes.
func (s *deviceStore[K]) get(key K, create func() (gpu.Resource, []releaser, int64, error)) (gpu.Resource, error) {
	if r, ok := s.res[key]; ok {
		return r, nil
	}
	r, objs, bytes, err := create()
	if err != nil {
		return gpu.Resource{}, err
	}
	if s.res == nil {
		s.res = map[K]gpu.Resource{}
	}
	s.res[key] = r
	s.made = append(s.made, made[K]{key, objs, bytes})
	s.bytes += bytes
	return r, nil
}

// mark is how many resources the store has made so far.
func (s *deviceStore[K]) mark() int { return len(s.made) }

// rollback releases and forgets every resource made since mk.
func (s *deviceStore[K]) rollback(mk int) {
	for _, m := range s.made[mk:] {
		for _, o := range m.objs {
			o.Release()
		}
		delete(s.res, m.key)
		s.bytes -= m.bytes
	}
	s.made = s.made[:mk]
}

// releaseWhere releases and forgets every resource whose key drop
// reports.
func (s *deviceStore[K]) releaseWhere(drop func(K) bool) {
	kept := s.made[:0]
	for _, m := range s.made {
		if !drop(m.key) {
			kept = append(kept, m)
			continue
		}
		for _, o := range m.objs {
			o.Release()
		}
		delete(s.res, m.key)
		s.bytes -= m.bytes
	}
	clear(s.made[len(kept):])
	s.made = kept
}

// release releases everything the store holds.
func (s *deviceStore[K]) release() { s.rollback(0) }

// keys lists the stored keys in the order they were made.
func (s *deviceStore[K]) keys() []K {
	out := make([]K, len(s.made))
	for i, m := range s.made {
		out[i] = m.key
	}
	return out
}

// weightStore holds the model's weight tensors on the device, each uploaded
// once, in the layout its kernels read, by the first plan that uses it and
// then shared by every plan.
type weightStore struct {
	dev *gpu.Device
	deviceStore[weightKey]
}

// get returns the device copy of w, uploading it on first use.
func (s *weightStore) get(w weightSpec) (gpu.Resource, error) {
	return s.deviceStore.get(w.key, func() (gpu.Resource, []releaser, int64, error) {
		data, err := w.data()
		if err != nil {
			return gpu.Resource{}, nil, 0, err
		}
		label := fmt.Sprintf("op%d.%s", w.key.op, w.key.part)
		if w.key.tex {
			return s.texture(label, data, w.rows)
		}
		return s.buffer(label, data)
	})
}

// buffer uploads data to a storage buffer (at least 4 floats).
func (s *weightStore) buffer(label string, data []float32) (gpu.Resource, []releaser, int64, error) {
	floats := max(len(data), 4)
	var buf *wgpu.Buffer
	var err error
	if len(data) > 0 {
		buf, err = s.dev.NewBufferFloats(label, data)
	} else {
		buf, err = s.dev.NewBuffer(label, uint64(4*floats))
	}
	if err != nil {
		return gpu.Resource{}, nil, 0, err
	}
	return gpu.BufferRes(buf), []releaser{buf}, int64(4 * floats), nil
}

// texture uploads the row-major [rows][cols] matrix data to an rgba32float
// texture of width cols/4 and height rows.
func (s *weightStore) texture(label string, data []float32, rows int) (gpu.Resource, []releaser, int64, error) {
	tex, view, err := s.dev.NewTextureFloats(label, len(data)/rows/4, rows, data)
	if err != nil {
		return gpu.Resource{}, nil, 0, err
	}
	return gpu.Resource{View: view}, []releaser{view, tex}, int64(4 * len(data)), nil
}

// scratchStore holds the zeroed scratch buffers of the model, shared by
// role and size among all its ops and plans.
type scratchStore struct {
	dev *gpu.Device
	deviceStore[scratchKey]
}

// get returns the scratch buffer of k, creating it on first use.
func (s *scratchStore) get(k scratchKey) (gpu.Resource, error) {
	return s.deviceStore.get(k, func() (gpu.Resource, []releaser, int64, error) {
		b, err := s.dev.NewBuffer(fmt.Sprintf("scratch.%s.%d", k.role, k.floats), uint64(4*k.floats))
		if err != nil {
			return gpu.Resource{}, nil, 0, err
		}
		return gpu.BufferRes(b), []releaser{b}, int64(4 * k.floats), nil
	})
}
