//go:build js || cgo

// Package kernels holds one Go type per WGSL kernel family. A value of such
// a type is a complete specialization of its family (shapes, strides, tile,
// workgroup size, epilogue flags), is comparable so that it keys the
// pipeline cache, renders its WGSL from shaders/, and knows its dispatch
// geometry. Choose functions (one per family) pick the specialization for a
// shape; they live apart from the code that generates the WGSL.
package kernels

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/gpu"
)

// Kernel is one specialized compute kernel. Implementations are comparable
// structs, so a Kernel value is its own pipeline-cache key.
type Kernel interface {
	// Label names the kernel and its specialization, e.g.
	// "pointwise_m196_k128_n512_r14x16_wg32_tex_hswish_res".
	Label() string
	// Source renders the specialized WGSL.
	Source() (string, error)
	// Bindings lists the bind-group entries in binding order; Source
	// declares exactly these. Each kernel type documents what each binding
	// holds, by name.
	Bindings() []Binding
	// Workgroups is the dispatch geometry.
	Workgroups() (x, y, z uint32)
}

// Binding is one entry of a kernel's bind group: binding i of a kernel is
// entry i of its Bindings, and its WGSL declaration is rendered from it.
type Binding struct {
	Name string          // the WGSL variable, e.g. "A"
	Kind gpu.BindingKind // how the pipeline layout binds it
	Type string          // the WGSL type, e.g. "array<vec4<f32>>"
}

// vec4s is the WGSL type of a storage buffer of vec4 values.
const vec4s = "array<vec4<f32>>"

// input is a read-only storage buffer of vec4 values.
func input(name string) Binding { return Binding{name, gpu.ReadStorage, vec4s} }

// output is a read-write storage buffer of vec4 values.
func output(name string) Binding { return Binding{name, gpu.WriteStorage, vec4s} }

// weights is a weight matrix: an rgba32float texture when tex, else a
// storage buffer of vec4 values.
func weights(name string, tex bool) Binding {
	if tex {
		return Binding{name, gpu.Texture2D, "texture_2d<f32>"}
	}
	return input(name)
}

// withEpilogue appends the bindings of an epilogue to bs: the residual R
// when residual, then the output out.
func withEpilogue(bs []Binding, residual bool, out Binding) []Binding {
	if residual {
		bs = append(bs, input("R"))
	}
	return append(bs, out)
}

// decls renders the WGSL declarations of bs, one line each, binding i
// being bs[i]; templates emit them as {{.Decls}}.
func decls(bs []Binding) string {
	lines := make([]string, len(bs))
	for i, b := range bs {
		v := "var"
		switch b.Kind {
		case gpu.ReadStorage:
			v = "var<storage, read>"
		case gpu.WriteStorage:
			v = "var<storage, read_write>"
		case gpu.Uniform:
			v = "var<uniform>"
		}
		lines[i] = fmt.Sprintf("@group(0) @binding(%d) %s %s: %s;", i, v, b.Name, b.Type)
	}
	return strings.Join(lines, "\n")
}

// kinds is the bind-group layout of bs.
func kinds(bs []Binding) []gpu.BindingKind {
	ks := make([]gpu.BindingKind, len(bs))
	for i, b := range bs {
		ks[i] = b.Kind
	}
	return ks
}

// Cache builds each distinct kernel's pipeline once per device: keyed by
// PipelineKey, so that one pipeline serves every generic kernel of a
// family with the same structural choices.
type Cache struct {
	dev  *gpu.Device
	mu   sync.Mutex
	m    map[Kernel]*gpu.Pipeline
	rep  map[Kernel]Kernel // by pipeline key: the kernel whose WGSL was compiled (for a generic key, one with sizes)
	fell map[Kernel]Kernel // Optional kernels built as their fallback twin
	// released is set by Release: pipelines a Prepare in flight then
	// builds are released at once.
	released bool
	// pending are the pipelines of the last Precompile until settle has
	// checked them.
	pending *precompiled
}

// precompiled is what a Precompile built: the pipelines' keys and the
// check of their creation (run once; concurrent callers wait for it).
type precompiled struct {
	keys  map[Kernel]bool
	check func() error
}

// NewCache returns an empty pipeline cache for dev.
func NewCache(dev *gpu.Device) *Cache {
	return &Cache{dev: dev, m: map[Kernel]*gpu.Pipeline{}, rep: map[Kernel]Kernel{}, fell: map[Kernel]Kernel{}}
}

// Pipeline returns the pipeline of k, building it on first use.
func (c *Cache) Pipeline(k Kernel) (*gpu.Pipeline, error) {
	if err := c.Prepare(k); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[PipelineKey(k)], nil
}

// Has reports whether the pipeline of k is built.
func (c *Cache) Has(k Kernel) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[PipelineKey(k)]
	return ok
}

// Prepare builds the pipelines of every kernel in ks not built yet, all in
// one go (see gpu.Device.CreatePipelines): in the browser that is one wait
// for the GPU process instead of one per pipeline. An Optional kernel whose
// WGSL does not compile on the adapter (a feature it lacks) is built as
// its fallback twin instead; Fallbacks lists those. The cache is not
// locked while the pipelines compile, so that a plan whose pipelines are
// built can be planned meanwhile (a progressive model compiles its
// specialized pipelines in the background); a pipeline built twice by
// concurrent calls is kept once.
func (c *Cache) Prepare(ks ...Kernel) error {
	c.settle(ks)
	keys, reps, specs, err := c.missing(ks, nil)
	if err != nil || len(specs) == 0 {
		return err
	}
	ps, fell, err := c.build(keys, specs)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	kept, err := c.keepLocked(keys, reps, ps)
	for _, k := range kept {
		if twin, ok := fell[k]; ok {
			c.fell[k] = twin
		}
	}
	return err
}

// missing returns the pipeline keys of the kernels of ks whose pipelines
// are not built, each once, with a kernel of each (reps) and its pipeline
// spec; skip, when not nil, leaves out the kernels it reports (given each
// one's binding kinds).
func (c *Cache) missing(ks []Kernel, skip func(k Kernel, kinds []gpu.BindingKind) bool) (keys, reps []Kernel, specs []gpu.PipelineSpec, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[Kernel]bool{}
	for _, k := range ks {
		key := PipelineKey(k)
		if _, ok := c.m[key]; ok || seen[key] {
			continue
		}
		kk := kinds(k.Bindings())
		if skip != nil && skip(k, kk) {
			continue
		}
		src, err := k.Source()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("kernels: %s: %w", k.Label(), err)
		}
		seen[key] = true
		keys, reps = append(keys, key), append(reps, k)
		specs = append(specs, gpu.PipelineSpec{Label: key.Label(), WGSL: src, Kinds: kk})
	}
	return keys, reps, specs, nil
}

// keepLocked stores ps, the pipelines of keys built while the cache was
// not locked (reps: a kernel of each), and returns the keys it stored: a
// pipeline that another call built meanwhile is released instead, and all
// of ps are when the cache was released meanwhile (an error then). c.mu is
// held.
func (c *Cache) keepLocked(keys, reps []Kernel, ps []*gpu.Pipeline) ([]Kernel, error) {
	if c.released {
		for _, p := range ps {
			p.Release()
		}
		return nil, errors.New("kernels: the pipeline cache was released")
	}
	kept := make([]Kernel, 0, len(keys))
	for i, k := range keys {
		if _, ok := c.m[k]; ok {
			ps[i].Release() // built meanwhile by another call
			continue
		}
		c.m[k], c.rep[k] = ps[i], reps[i]
		kept = append(kept, k)
	}
	return kept, nil
}

// Precompile builds the pipelines of ks not built yet and runs one
// dispatch of each on scratch buffers, without waiting (see
// gpu.Device.Precompile): a driver that compiles at the first dispatch
// compiles them while the caller goes on, and a later Prepare, Pipeline or
// Dispatch of these kernels finds them built. It returns the number of
// pipelines it started. Kernels with a texture binding, and Optional
// kernels (which may need their fallback twin: Prepare decides), are left
// to Prepare. The first Prepare that needs a precompiled pipeline checks
// whether precompiling raised an error (waiting for the device in the
// browser); if it did, the precompiled pipelines are dropped and built
// again by Prepare, which reports the error as usual.
func (c *Cache) Precompile(ks ...Kernel) (int, error) {
	c.settle(nil)
	keys, reps, specs, err := c.missing(ks, func(k Kernel, kinds []gpu.BindingKind) bool {
		_, optional := fallback(k)
		return optional || slices.Contains(kinds, gpu.Texture2D)
	})
	if err != nil || len(specs) == 0 {
		return 0, err
	}
	ps, wait, err := c.dev.Precompile(specs)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	kept, err := c.keepLocked(keys, reps, ps)
	if err != nil {
		return 0, err
	}
	pend := &precompiled{keys: map[Kernel]bool{}, check: sync.OnceValue(wait)}
	for _, k := range kept {
		pend.keys[k] = true
	}
	c.pending = pend
	return len(ps), nil
}

// settle checks the pipelines of the last Precompile when ks needs one of
// them (ks nil: in any case), waiting for the check when another call runs
// it: when precompiling raised an error they are released and forgotten,
// for Prepare to build them again (and report the error).
func (c *Cache) settle(ks []Kernel) {
	c.mu.Lock()
	pend, need := c.pending, ks == nil
	for _, k := range ks {
		need = need || (pend != nil && pend.keys[PipelineKey(k)])
	}
	c.mu.Unlock()
	if pend == nil || !need {
		return
	}
	err := pend.check()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending != pend {
		return // settled by another call
	}
	c.pending = nil
	if err == nil {
		return
	}
	for k := range pend.keys {
		if p, ok := c.m[k]; ok {
			p.Release()
			delete(c.m, k)
			delete(c.rep, k)
		}
	}
}

// build compiles specs, those of todo, in one go. When that fails and a
// kernel of todo has a fallback twin, it compiles them one at a time
// instead and builds the twin of each such kernel that fails, so that an
// optional feature the adapter lacks costs speed, not the load; any other
// failure is returned and nothing is kept.
func (c *Cache) build(todo []Kernel, specs []gpu.PipelineSpec) ([]*gpu.Pipeline, map[Kernel]Kernel, error) {
	ps, err := c.dev.CreatePipelines(specs)
	if err == nil || !slices.ContainsFunc(todo, func(k Kernel) bool { _, ok := fallback(k); return ok }) {
		return ps, nil, err
	}
	ps = make([]*gpu.Pipeline, 0, len(todo))
	fell := map[Kernel]Kernel{}
	for i, k := range todo {
		p, err := c.dev.CreatePipeline(specs[i].Label, specs[i].WGSL, specs[i].Kinds)
		if twin, ok := fallback(k); err != nil && ok {
			var src string
			if src, err = twin.Source(); err == nil {
				p, err = c.dev.CreatePipeline(twin.Label(), src, kinds(twin.Bindings()))
			}
			fell[k] = twin
		}
		if err != nil {
			for _, p := range ps {
				p.Release()
			}
			return nil, nil, fmt.Errorf("kernels: %s: %w", k.Label(), err)
		}
		ps = append(ps, p)
	}
	return ps, fell, nil
}

// Fallbacks lists, by label, the Optional kernels the cache built as their
// fallback twin because their own WGSL did not compile, as
// "kernel → twin".
func (c *Cache) Fallbacks() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s []string
	for k, twin := range c.fell {
		s = append(s, k.Label()+" → "+twin.Label())
	}
	sort.Strings(s)
	return s
}

// Kernels lists the kernels whose pipelines the cache holds, by label: for
// each pipeline the kernel whose WGSL it was built from (for a generic
// pipeline, the first kernel with sizes that asked for it).
func (c *Cache) Kernels() []Kernel {
	c.mu.Lock()
	defer c.mu.Unlock()
	ks := make([]Kernel, 0, len(c.m))
	for k := range c.m {
		ks = append(ks, c.rep[k])
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].Label() < ks[j].Label() })
	return ks
}

// Len is the number of pipelines built.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Release frees every pipeline; the cache builds none after it.
func (c *Cache) Release() {
	c.settle(nil) // a precompile's dispatches done with its pipelines
	c.ReleaseWhere(func(Kernel) bool { return true })
	c.mu.Lock()
	c.released = true
	c.mu.Unlock()
}

// ReleaseWhere frees the pipelines of the keys drop reports (the bind
// groups using them must be released already).
func (c *Cache) ReleaseWhere(drop func(Kernel) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, p := range c.m {
		if drop(k) {
			p.Release()
			delete(c.m, k)
			delete(c.rep, k)
			delete(c.fell, k)
		}
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

// Epilogue is the fused tail of the kernels that end in an activation and
// an optional residual add: out = Act(acc + bias) + residual (the residual
// only when Residual is set; it has the output's shape).
type Epilogue struct {
	Act      act.Func
	Residual bool
}

// String names the epilogue for labels, e.g. "hswish_res" or "none".
func (e Epilogue) String() string {
	s := e.Act.String()
	if e.Residual {
		s += "_res"
	}
	return s
}

func (e Epilogue) validate() error { return validateAct(e.Act) }

// validateNoResidual is validate for the families that bind no residual
// (Linear, LayerNorm): they fuse only the activation.
func (e Epilogue) validateNoResidual() error {
	if e.Residual {
		return fmt.Errorf("no residual input (epilogue %s)", e)
	}
	return e.validate()
}

// validateAct rejects an activation that act does not define.
func validateAct(a act.Func) error {
	if !a.Valid() {
		return fmt.Errorf("unknown activation %d", a)
	}
	return nil
}

// wgslAct is the name of the common.wgsl function applying a to a vec4,
// a's name + "4" ("hswish4", "gelu4"), or "" for act.None: templates call
// activations by this name, never by number.
func wgslAct(a act.Func) string {
	if a == act.None {
		return ""
	}
	return a.String() + "4"
}

// ceilDiv is ⌈a/b⌉.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// grid splits a 1-D dispatch of count workgroups into x·y ≥ count with
// x ≤ 65535 (the WebGPU per-dimension limit). Shaders rebuild the linear
// workgroup index as wid.y·x + wid.x and must guard the tail.
func grid(count int) (x, y int) {
	const maxDim = 65535
	if count <= maxDim {
		return max(count, 1), 1
	}
	y = ceilDiv(count, maxDim)
	return ceilDiv(count, y), y
}

// pickWorkgroup halves the workgroup size from hi down to lo until the
// dispatch has at least 4 workgroups.
func pickWorkgroup(invocations, hi, lo int) int {
	wg := hi
	for wg > lo && ceilDiv(invocations, wg) < 4 {
		wg /= 2
	}
	return wg
}

// pickColumns picks a block size in lo..hi for n items: n itself when
// n ≤ lo, else the one wasting the least in the last block, the largest
// on ties.
func pickColumns(n, lo, hi int) int {
	if n <= lo {
		return max(n, 1)
	}
	best, waste := hi, ceilDiv(n, hi)*hi-n
	for t := hi - 1; t >= lo; t-- {
		if w := ceilDiv(n, t)*t - n; w < waste {
			best, waste = t, w
		}
	}
	return best
}

// validateWorkgroup checks a 1-D workgroup size.
func validateWorkgroup(wg int) error {
	if wg < 1 || wg > 256 {
		return fmt.Errorf("workgroup size %d outside 1..256", wg)
	}
	return nil
}
