package main

import (
	"fmt"
	"sync"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// registry maps the integer handles given to JavaScript to open models.
// Handles are never reused, so a call with the handle of a disposed model
// is told so instead of reaching another model.
type registry struct {
	mu     sync.Mutex
	next   int
	models map[int]*lowformer.Model
}

func newRegistry() *registry {
	return &registry{next: 1, models: map[int]*lowformer.Model{}}
}

// add stores m and returns its handle number.
func (r *registry) add(m *lowformer.Model) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.next
	r.next++
	r.models[id] = m
	return id
}

// get returns the model of handle id.
func (r *registry) get(id int) (*lowformer.Model, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.models[id]; ok {
		return h, nil
	}
	return nil, r.unknown(id)
}

// remove forgets handle id and returns its model; the caller closes it.
func (r *registry) remove(id int) (*lowformer.Model, error) {
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
