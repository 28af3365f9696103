// Package kernels holds one Go type per WGSL kernel family. A value of such
// a type is a complete specialization of its family (shapes, strides, tile,
// workgroup size, epilogue flags), is comparable so that it keys the
// pipeline cache, renders its WGSL from shaders/, and knows its dispatch
// geometry. Choose functions (one per family) pick the specialization for a
// shape; they live apart from the code that generates the WGSL.
package kernels

import (
	"fmt"
	"sync"

	"github.com/lowformer/lowformer-webgpu/gpu"
)

// Kernel is one specialized compute kernel. Implementations are comparable
// structs, so a Kernel value is its own pipeline-cache key.
type Kernel interface {
	// Label names the kernel and its specialization, e.g.
	// "gemm_m196_n512_k128_r14x16_wg32_hswish_res".
	Label() string
	// Source renders the specialized WGSL.
	Source() (string, error)
	// Bindings lists the kinds of the bind-group entries, in binding order.
	// Each kernel type documents what each binding holds.
	Bindings() []gpu.BindingKind
	// Workgroups is the dispatch geometry.
	Workgroups() (x, y, z uint32)
}

// Cache builds each distinct kernel's pipeline once per device.
type Cache struct {
	dev *gpu.Device
	mu  sync.Mutex
	m   map[Kernel]*gpu.Pipeline
}

// NewCache returns an empty pipeline cache for dev.
func NewCache(dev *gpu.Device) *Cache {
	return &Cache{dev: dev, m: map[Kernel]*gpu.Pipeline{}}
}

// Pipeline returns the pipeline of k, building it on first use.
func (c *Cache) Pipeline(k Kernel) (*gpu.Pipeline, error) {
	if err := c.Prepare(k); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k], nil
}

// Prepare builds the pipelines of every kernel in ks not built yet, all in
// one go (see gpu.Device.CreatePipelines): in the browser that is one wait
// for the GPU process instead of one per pipeline.
func (c *Cache) Prepare(ks ...Kernel) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var todo []Kernel
	var specs []gpu.PipelineSpec
	seen := map[Kernel]bool{}
	for _, k := range ks {
		if _, ok := c.m[k]; ok || seen[k] {
			continue
		}
		seen[k] = true
		src, err := k.Source()
		if err != nil {
			return fmt.Errorf("kernels: %s: %w", k.Label(), err)
		}
		todo = append(todo, k)
		specs = append(specs, gpu.PipelineSpec{Label: k.Label(), WGSL: src, Kinds: k.Bindings()})
	}
	if len(specs) == 0 {
		return nil
	}
	ps, err := c.dev.CreatePipelines(specs)
	if err != nil {
		return err
	}
	for i, k := range todo {
		c.m[k] = ps[i]
	}
	return nil
}

// Len is the number of pipelines built.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Release frees every pipeline.
func (c *Cache) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, p := range c.m {
		p.Release()
		delete(c.m, k)
	}
}

// Dispatch resolves k's pipeline, binds res in binding order and returns the
// ready-to-encode dispatch. The bind group is owned by the caller.
func (c *Cache) Dispatch(k Kernel, res ...gpu.Resource) (gpu.Dispatch, error) {
	p, err := c.Pipeline(k)
	if err != nil {
		return gpu.Dispatch{}, err
	}
	bg, err := c.dev.BindGroup(p, res...)
	if err != nil {
		return gpu.Dispatch{}, err
	}
	x, y, z := k.Workgroups()
	return gpu.Dispatch{Pipeline: p, Group: bg, X: x, Y: y, Z: z}, nil
}

// ceilDiv is ⌈a/b⌉.
func ceilDiv(a, b int) int { return (a + b - 1) / b }
