package main

import (
	"fmt"
	"sync"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// handle is an open model and what the exports need to know about it.
type handle struct {
	model *lowformer.Model
	// inputSize is the default side of the square model input: the
	// checkpoint's "input_size" metadata, else lowformer.DefaultSize.
	inputSize int
}

// registry maps the integer handles given to JavaScript to open models.
// Handles are never reused, so a call with the handle of a disposed model
// is told so instead of reaching another model.
type registry struct {
	mu     sync.Mutex
	next   int
	models map[int]*handle
}

func newRegistry() *registry {
	return &registry{next: 1, models: map[int]*handle{}}
}

// add stores h and returns its handle number.
func (r *registry) add(h *handle) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.next
	r.next++
	r.models[id] = h
	return id
}

// get returns handle id.
func (r *registry) get(id int) (*handle, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.models[id]; ok {
		return h, nil
	}
	return nil, r.unknown(id)
}

// remove forgets handle id and returns it; the caller closes its model.
func (r *registry) remove(id int) (*handle, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.models[id]
	if !ok {
		return nil, r.unknown(id)
	}
	delete(r.models, id)
	return h, nil
}

// count returns how many models are open.
func (r *registry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.models)
}

func (r *registry) unknown(id int) error {
	if id >= 1 && id < r.next {
		return fmt.Errorf("lowformer: model %d has been disposed", id)
	}
	return fmt.Errorf("lowformer: no model with handle %d", id)
}
