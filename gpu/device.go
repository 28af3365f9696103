//go:build js || cgo

// Package gpu is the thin WebGPU device layer shared by the native
// (wgpu-native) and browser (GOOS=js) builds: opening a device with the
// limits the kernels need, buffers, explicit bind-group and pipeline layouts,
// shader errors as Go errors, and readback.
//
// Everything above this package is backend-agnostic; the differences live in
// the build-tagged files: open_*.go (opening the device, error scopes,
// pipeline creation), callbacks_*.go (waiting for buffer maps and device
// loss), upload_*.go (buffer and texture writes) and live_*.go (counting the
// live GPU objects, for leak tests). The package needs cgo natively
// (wgpu-native): a native build without cgo has no GPU support and holds
// only errors.go.
//
// # Seeing the WGSL
//
// Every pipeline is created by Device.CreatePipelines, which first hands
// each pipeline's label and exact WGSL source to Options.DumpWGSL. Natively,
// setting the environment variable LOWFORMER_DUMP_WGSL=DIR makes Open
// write them to DIR/<label>.wgsl (see DumpDir), for every program built on
// this package (the lowformer CLI, the library, the tests and benchmarks):
//
//	LOWFORMER_DUMP_WGSL=/tmp/wgsl lowformer classify -weights evalmodel.pt photo.jpg
//
// DIR is created when the device is opened; if it cannot be, Open fails,
// and a file that cannot be written fails the creation of its pipeline (and
// so the inference that needed it) with an error wrapping ErrDumpWGSL: a
// dump never silently misses a shader. A kernel's label is its
// kernels.Kernel Label(), so DIR/<label>.wgsl is exactly its Source().
package gpu

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/cogentcore/webgpu/wgpu"
)

// ErrNoAdapter is returned by Open when no WebGPU adapter exists.
var ErrNoAdapter = errors.New("gpu: no WebGPU adapter available")

// Options select the adapter and receive the WGSL of the pipelines
// (DumpWGSL). The zero value is the default adapter.
type Options struct {
	// PreferFallback asks for a software fallback adapter.
	PreferFallback bool
	// Backend restricts the native adapter to one backend
	// (wgpu.BackendTypeVulkan, ...OpenGL, ...); zero (BackendTypeUndefined)
	// takes any. The browser ignores it. Tests name a backend this machine
	// lacks (Metal, D3D12 on Linux) to make device creation fail for real.
	Backend wgpu.BackendType
	// DumpWGSL, when set, receives the label and the exact WGSL source of
	// every compute pipeline the device creates, before the source is
	// compiled (so a shader the driver rejects is dumped too). It may be
	// called from several goroutines. An error it returns fails that
	// pipeline's creation with an error wrapping ErrDumpWGSL. Natively, when
	// it is nil, LOWFORMER_DUMP_WGSL=DIR makes Open use DumpDir(DIR); the
	// browser has no environment and ignores the variable.
	DumpWGSL func(label, wgsl string) error
}

// AdapterInfo describes the adapter in use: for reports, and for choosing
// the kernel set (kernels.ProfileOf).
type AdapterInfo struct {
	Description string // human readable, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (vulkan, cpu)"
	Backend     string // "vulkan", "metal", "d3d12", "opengl", "opengles", or "webgpu" in the browser
	// Type is the adapter type: "cpu", "integrated gpu", "discrete gpu" or
	// "unknown type" natively; in the browser, which does not report it,
	// "cpu" for a fallback adapter and "" otherwise.
	Type string
	// Vendor, Architecture and Name are what the adapter reports (natively
	// the vendor's name or PCI id, in the browser GPUAdapterInfo's vendor,
	// architecture and device); any may be empty.
	Vendor, Architecture, Name string
	// Fallback reports a software fallback adapter (the browser's
	// isFallbackAdapter).
	Fallback bool
	// Features lists the adapter's WebGPU features by their WebGPU names
	// ("shader-f16", "subgroups", ...), sorted.
	Features []string
}

// HasFeature reports whether the adapter offers the named feature.
func (a AdapterInfo) HasFeature(name string) bool { return slices.Contains(a.Features, name) }

// The optional features the kernels can use, requested at device creation
// whenever the adapter offers them (see Device.Features).
const (
	FeatureShaderF16 = "shader-f16"
	FeatureSubgroups = "subgroups"
)

// String returns the description.
func (a AdapterInfo) String() string { return a.Description }

// Device is an open WebGPU device with its queue.
type Device struct {
	Dev    *wgpu.Device
	Queue  *wgpu.Queue
	Info   AdapterInfo
	Limits wgpu.Limits
	// Features are the optional features enabled on the device: those of
	// FeatureShaderF16 and FeatureSubgroups that the adapter offers (sorted).
	// A shader may use a feature only when it is listed here.
	Features []string

	mu     sync.Mutex // serializes submits and readbacks
	closed bool
	lost   string
	native nativeHandles

	dumpWGSL func(label, wgsl string) error // Options.DumpWGSL, or the LOWFORMER_DUMP_WGSL folder's writer
}

// BindingKind is the kind of one binding of a pipeline's single bind group.
type BindingKind int

// Binding kinds.
const (
	ReadStorage  BindingKind = iota // var<storage, read>
	WriteStorage                    // var<storage, read_write>
	Uniform                         // var<uniform>
	Texture2D                       // texture_2d<f32>, unfilterable float
)

// Pipeline is a compute pipeline with its explicit bind-group layout.
type Pipeline struct {
	Label    string
	Pipeline *wgpu.ComputePipeline
	Layout   *wgpu.BindGroupLayout
	Kinds    []BindingKind
}

// PipelineSpec describes one compute pipeline: WGSL source with entry
// point "main" whose group 0 binds the given kinds, in order.
type PipelineSpec struct {
	Label string
	WGSL  string
	Kinds []BindingKind
}

// CreatePipeline compiles WGSL source with entry point "main" and binds
// group 0 with the given binding kinds, in order. Shader and pipeline errors
// are returned as Go errors on both backends.
func (d *Device) CreatePipeline(label, wgsl string, kinds []BindingKind) (*Pipeline, error) {
	ps, err := d.CreatePipelines([]PipelineSpec{{Label: label, WGSL: wgsl, Kinds: kinds}})
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// CreatePipelines builds several pipelines at once. In the browser their
// compilations are all requested before any is awaited
// (createComputePipelineAsync), so the page waits once for the lot instead
// of one round trip to the GPU process each. The pipelines come back in the
// order of specs; on error none is kept and the error names the pipeline.
func (d *Device) CreatePipelines(specs []PipelineSpec) ([]*Pipeline, error) {
	entries, what, err := d.pipelineEntries(specs)
	if err != nil {
		return nil, err
	}
	var out []*Pipeline
	err = d.scoped(what, func() (err error) {
		out, err = d.newPipelines(specs, entries, false)
		return err
	})
	if err != nil {
		releaseAll(out)
		return nil, fmt.Errorf("gpu: compiling %s: %w", what, err)
	}
	return out, nil
}

// Precompile creates the pipelines of specs and runs one dispatch of each
// (one workgroup, on scratch buffers: storage bindings zero, uniform
// bindings filled with 1s, so that sizes read from them are small and
// never zero), without waiting for the device. Many drivers (lavapipe,
// natively and behind Chromium's GL backend) compile a pipeline's machine
// code at its first dispatch, not at its creation: they now compile while
// the caller goes on; in the browser nothing is awaited, so the GPU
// process compiles while the page runs. The pipelines can be used at once
// (the device's queue orders them after the compiles); wait reports,
// waiting for the device in the browser, whether creating or dispatching
// them raised an error, and when it did the caller must release them and
// not use them. Specs with a texture binding are refused.
func (d *Device) Precompile(specs []PipelineSpec) (ps []*Pipeline, wait func() error, err error) {
	for _, s := range specs {
		if slices.Contains(s.Kinds, Texture2D) {
			return nil, nil, fmt.Errorf("gpu: precompiling %s: texture bindings are not supported", s.Label)
		}
	}
	entries, what, err := d.pipelineEntries(specs)
	if err != nil {
		return nil, nil, err
	}
	ones := make([]uint32, 64)
	for i := range ones {
		ones[i] = 1
	}
	var scratch []interface{ Release() }
	release := func() {
		for _, r := range scratch {
			r.Release() // the device keeps what the submitted work uses
		}
	}
	submitted := func() error { return nil }
	w := d.scopedLater("precompiling "+what, func() (err error) {
		if ps, err = d.newPipelines(specs, entries, true); err != nil {
			return err
		}
		// One uniform of ones and one small storage buffer per binding
		// slot serve every pipeline: a dispatch never binds a buffer twice
		// (writable bindings must not alias), and the dispatches are
		// ordered, so sharing between them is harmless.
		var uniform *wgpu.Buffer
		var storage []*wgpu.Buffer
		buffer := func(i int, k BindingKind) (*wgpu.Buffer, error) {
			if k == Uniform {
				if uniform == nil {
					u, err := d.NewUniform("precompile uniform", ones)
					if err != nil {
						return nil, err
					}
					uniform = u
					scratch = append(scratch, u)
				}
				return uniform, nil
			}
			for len(storage) <= i {
				storage = append(storage, nil)
			}
			if storage[i] == nil {
				b, err := d.NewBuffer(fmt.Sprintf("precompile binding %d", i), 256)
				if err != nil {
					return nil, err
				}
				storage[i] = b
				scratch = append(scratch, b)
			}
			return storage[i], nil
		}
		ds := make([]Dispatch, 0, len(ps))
		for _, p := range ps {
			res := make([]Resource, len(p.Kinds))
			for i, k := range p.Kinds {
				b, err := buffer(i, k)
				if err != nil {
					return err
				}
				res[i] = BufferRes(b)
			}
			bg, err := d.BindGroup(p, res...)
			if err != nil {
				return err
			}
			scratch = append(scratch, bg)
			ds = append(ds, Dispatch{Pipeline: p, Group: bg, X: 1, Y: 1, Z: 1})
		}
		submitted = d.submitSoon(ds, release)
		release = func() {}
		return nil
	})
	release() // when nothing was submitted
	wait = func() error {
		serr := submitted()
		if err := w(); err != nil {
			return fmt.Errorf("gpu: %w", err)
		}
		return serr
	}
	if len(ps) != len(specs) { // failed before every pipeline existed
		releaseAll(ps)
		return nil, nil, wait()
	}
	return ps, wait, nil
}

// pipelineEntries checks specs (the device is open, the binding kinds are
// known), hands them to the WGSL dump, and returns their bind-group layouts
// and a name for errors.
func (d *Device) pipelineEntries(specs []PipelineSpec) ([][]wgpu.BindGroupLayoutEntry, string, error) {
	if err := d.check(); err != nil {
		return nil, "", err
	}
	if len(specs) == 0 {
		return nil, "", errors.New("gpu: no pipeline to create")
	}
	entries := make([][]wgpu.BindGroupLayoutEntry, len(specs))
	for i, s := range specs {
		e, err := layoutEntries(s.Kinds)
		if err != nil {
			return nil, "", fmt.Errorf("gpu: pipeline %s: %w", s.Label, err)
		}
		entries[i] = e
	}
	if err := d.dump(specs); err != nil {
		return nil, "", err
	}
	what := "pipeline " + specs[0].Label
	if len(specs) > 1 {
		what = fmt.Sprintf("%d pipelines", len(specs))
	}
	return entries, what, nil
}

// newPipelines creates the pipelines of specs (with their layouts
// entries), each compiled with computePipelinesNow when now is set, else
// computePipelines. On error the pipelines made so far are returned too,
// for the caller to release.
func (d *Device) newPipelines(specs []PipelineSpec, entries [][]wgpu.BindGroupLayoutEntry, now bool) ([]*Pipeline, error) {
	out := make([]*Pipeline, 0, len(specs))
	var temps []interface{ Release() } // layouts and modules, released once the pipelines exist
	defer func() {
		for _, t := range temps {
			t.Release()
		}
	}()
	descs := make([]pipelineDesc, len(specs))
	for i, s := range specs {
		bgl, err := d.Dev.CreateBindGroupLayout(&wgpu.BindGroupLayoutDescriptor{Label: s.Label, Entries: entries[i]})
		if err != nil {
			return out, fmt.Errorf("%s: %w", s.Label, err)
		}
		out = append(out, &Pipeline{Label: s.Label, Layout: bgl, Kinds: s.Kinds})
		pl, err := d.Dev.CreatePipelineLayout(&wgpu.PipelineLayoutDescriptor{Label: s.Label, BindGroupLayouts: []*wgpu.BindGroupLayout{bgl}})
		if err != nil {
			return out, fmt.Errorf("%s: %w", s.Label, err)
		}
		temps = append(temps, pl)
		mod, err := d.Dev.CreateShaderModule(&wgpu.ShaderModuleDescriptor{Label: s.Label, WGSLDescriptor: &wgpu.ShaderModuleWGSLDescriptor{Code: s.WGSL}})
		if err != nil {
			return out, fmt.Errorf("%s: %w", s.Label, err)
		}
		temps = append(temps, mod)
		descs[i] = pipelineDesc{label: s.Label, layout: pl, module: mod}
	}
	create := d.computePipelines
	if now {
		create = d.computePipelinesNow
	}
	cps, err := create(descs)
	if err != nil {
		return out, err
	}
	for i, cp := range cps {
		out[i].Pipeline = cp
	}
	return out, nil
}

// releaseAll releases ps.
func releaseAll(ps []*Pipeline) {
	for _, p := range ps {
		p.Release()
	}
}

// pipelineDesc is one compute pipeline to create, entry point "main".
type pipelineDesc struct {
	label  string
	layout *wgpu.PipelineLayout
	module *wgpu.ShaderModule
}

// layoutEntries is the bind-group layout of group 0 for kinds.
func layoutEntries(kinds []BindingKind) ([]wgpu.BindGroupLayoutEntry, error) {
	entries := make([]wgpu.BindGroupLayoutEntry, len(kinds))
	for i, k := range kinds {
		e := wgpu.BindGroupLayoutEntry{Binding: uint32(i), Visibility: wgpu.ShaderStageCompute}
		switch k {
		case ReadStorage:
			e.Buffer = wgpu.BufferBindingLayout{Type: wgpu.BufferBindingTypeReadOnlyStorage}
		case WriteStorage:
			e.Buffer = wgpu.BufferBindingLayout{Type: wgpu.BufferBindingTypeStorage}
		case Uniform:
			e.Buffer = wgpu.BufferBindingLayout{Type: wgpu.BufferBindingTypeUniform}
		case Texture2D:
			e.Texture = wgpu.TextureBindingLayout{SampleType: wgpu.TextureSampleTypeUnfilterableFloat, ViewDimension: wgpu.TextureViewDimension2D}
		default:
			return nil, fmt.Errorf("unknown binding kind %d", k)
		}
		entries[i] = e
	}
	return entries, nil
}

// Scoped runs f, which creates GPU objects, and reports the first error any
// of them raised. In the browser the device's errors are collected by one
// error scope around f instead of one per object, so building many objects
// costs one round trip to the GPU process, not one each; the error then
// names the object by its label. Natively every create call reports its own
// error and Scoped just runs f.
func (d *Device) Scoped(what string, f func() error) error { return d.scoped(what, f) }

// Release frees the pipeline.
func (p *Pipeline) Release() {
	if p == nil {
		return
	}
	if p.Pipeline != nil {
		p.Pipeline.Release()
	}
	p.Layout.Release()
}

// Resource is one bound resource: a buffer range or a texture view.
type Resource struct {
	Buffer *wgpu.Buffer
	Offset uint64
	Size   uint64 // 0 means the whole buffer from Offset
	View   *wgpu.TextureView
}

// BufferRes binds a whole buffer.
func BufferRes(b *wgpu.Buffer) Resource { return Resource{Buffer: b} }

// BindGroup builds the bind group of p from resources given in binding order.
func (d *Device) BindGroup(p *Pipeline, res ...Resource) (*wgpu.BindGroup, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if len(res) != len(p.Kinds) {
		return nil, fmt.Errorf("gpu: bind group for %s: %d resources for %d bindings", p.Label, len(res), len(p.Kinds))
	}
	entries := make([]wgpu.BindGroupEntry, len(res))
	for i, r := range res {
		e := wgpu.BindGroupEntry{Binding: uint32(i)}
		if p.Kinds[i] == Texture2D {
			if r.View == nil {
				return nil, fmt.Errorf("gpu: bind group for %s: binding %d needs a texture view", p.Label, i)
			}
			e.TextureView = r.View
		} else {
			if r.Buffer == nil {
				return nil, fmt.Errorf("gpu: bind group for %s: binding %d needs a buffer", p.Label, i)
			}
			size := r.Size
			if size == 0 {
				size = wgpu.WholeSize
			}
			e.Buffer, e.Offset, e.Size = r.Buffer, r.Offset, size
		}
		entries[i] = e
	}
	var bg *wgpu.BindGroup
	err := d.scoped("bind group "+p.Label, func() (err error) {
		bg, err = d.Dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Label: p.Label, Layout: p.Layout, Entries: entries})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("gpu: bind group for %s: %w", p.Label, err)
	}
	return bg, nil
}

// Storage usages of activation and weight buffers.
const storageUsage = wgpu.BufferUsageStorage | wgpu.BufferUsageCopyDst | wgpu.BufferUsageCopySrc

// NewBuffer creates a zero-filled storage buffer of size bytes (rounded up
// to a multiple of 16, at least 16).
func (d *Device) NewBuffer(label string, size uint64) (*wgpu.Buffer, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	size = (size + 15) &^ 15
	if size == 0 {
		size = 16
	}
	if size > d.Limits.MaxBufferSize || size > d.Limits.MaxStorageBufferBindingSize {
		return nil, fmt.Errorf("gpu: buffer %s of %d bytes exceeds the device limits (max buffer %d, max binding %d)",
			label, size, d.Limits.MaxBufferSize, d.Limits.MaxStorageBufferBindingSize)
	}
	var b *wgpu.Buffer
	err := d.scoped("buffer "+label, func() (err error) {
		b, err = d.Dev.CreateBuffer(&wgpu.BufferDescriptor{Label: label, Size: size, Usage: storageUsage})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("gpu: creating buffer %s (%d bytes): %w", label, size, err)
	}
	return b, nil
}

// NewBufferFloats creates a storage buffer holding data.
func (d *Device) NewBufferFloats(label string, data []float32) (*wgpu.Buffer, error) {
	b, err := d.NewBuffer(label, uint64(4*len(data)))
	if err != nil {
		return nil, err
	}
	if err := d.WriteFloats(b, 0, data); err != nil {
		b.Release()
		return nil, err
	}
	return b, nil
}

// NewUniform creates a uniform buffer holding data (u32 or f32 words).
func (d *Device) NewUniform(label string, words []uint32) (*wgpu.Buffer, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	size := uint64((4*len(words) + 15) &^ 15)
	if size == 0 {
		size = 16
	}
	b, err := d.Dev.CreateBuffer(&wgpu.BufferDescriptor{Label: label, Size: size, Usage: wgpu.BufferUsageUniform | wgpu.BufferUsageCopyDst})
	if err != nil {
		return nil, fmt.Errorf("gpu: creating uniform %s: %w", label, err)
	}
	if len(words) > 0 {
		if err := d.writeBuffer(b, 0, wgpu.ToBytes(words)); err != nil {
			b.Release()
			return nil, err
		}
	}
	return b, nil
}

// NewTextureFloats creates an rgba32float texture of width×height texels
// from data (4 floats per texel, row-major) and returns it with its view.
func (d *Device) NewTextureFloats(label string, width, height int, data []float32) (*wgpu.Texture, *wgpu.TextureView, error) {
	if err := d.check(); err != nil {
		return nil, nil, err
	}
	if width <= 0 || height <= 0 || len(data) != 4*width*height {
		return nil, nil, fmt.Errorf("gpu: texture %s: %d floats for %d×%d texels", label, len(data), width, height)
	}
	if uint32(width) > d.Limits.MaxTextureDimension2D || uint32(height) > d.Limits.MaxTextureDimension2D {
		return nil, nil, fmt.Errorf("gpu: texture %s of %d×%d exceeds the 2-D limit %d", label, width, height, d.Limits.MaxTextureDimension2D)
	}
	size := wgpu.Extent3D{Width: uint32(width), Height: uint32(height), DepthOrArrayLayers: 1}
	tex, err := d.Dev.CreateTexture(&wgpu.TextureDescriptor{Label: label, Size: size, MipLevelCount: 1, SampleCount: 1,
		Dimension: wgpu.TextureDimension2D, Format: wgpu.TextureFormatRGBA32Float,
		Usage: wgpu.TextureUsageTextureBinding | wgpu.TextureUsageCopyDst})
	if err != nil {
		return nil, nil, fmt.Errorf("gpu: creating texture %s: %w", label, err)
	}
	err = d.writeTexture(tex, wgpu.ToBytes(data), width, height)
	if err != nil {
		tex.Release()
		return nil, nil, fmt.Errorf("gpu: uploading texture %s: %w", label, err)
	}
	view, err := tex.CreateView(nil)
	if err != nil {
		tex.Release()
		return nil, nil, fmt.Errorf("gpu: texture view %s: %w", label, err)
	}
	return tex, view, nil
}

// WriteFloats uploads data into b at byte offset off.
func (d *Device) WriteFloats(b *wgpu.Buffer, off uint64, data []float32) error {
	if err := d.check(); err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	return d.writeBuffer(b, off, wgpu.ToBytes(data))
}

// Dispatch is one compute dispatch: a pipeline, its bind group, and the
// workgroup counts.
type Dispatch struct {
	Pipeline *Pipeline
	Group    *wgpu.BindGroup
	X, Y, Z  uint32
}

// Run encodes the dispatches in one compute pass, copies count floats from
// src (at byte offset srcOff) to a staging buffer, submits once and returns
// the copied values. count 0 skips the readback and just waits for the work.
func (d *Device) Run(dispatches []Dispatch, src *wgpu.Buffer, srcOff uint64, count int) ([]float32, error) {
	return d.RunRead(nil, dispatches, src, srcOff, count)
}

// encode starts a command encoder with dispatches in one compute pass.
func (d *Device) encode(dispatches []Dispatch) (*wgpu.CommandEncoder, error) {
	enc, err := d.Dev.CreateCommandEncoder(nil)
	if err != nil {
		return nil, fmt.Errorf("gpu: command encoder: %w", err)
	}
	pass := enc.BeginComputePass(nil)
	for _, ds := range dispatches {
		if ds.X == 0 || ds.Y == 0 || ds.Z == 0 {
			continue
		}
		pass.SetPipeline(ds.Pipeline.Pipeline)
		pass.SetBindGroup(0, ds.Group, nil)
		pass.DispatchWorkgroups(ds.X, ds.Y, ds.Z)
	}
	pass.End()
	pass.Release()
	return enc, nil
}

// submit encodes dispatches in one compute pass and submits them without
// waiting for them.
func (d *Device) submit(dispatches []Dispatch) error {
	cmd, err := d.finish(dispatches)
	if err != nil {
		return err
	}
	return d.submitFinished(cmd)
}

// finish encodes dispatches in one compute pass into a command buffer,
// which holds its pipelines and bind groups: they may be released before
// it is submitted.
func (d *Device) finish(dispatches []Dispatch) (*wgpu.CommandBuffer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.check(); err != nil {
		return nil, err
	}
	enc, err := d.encode(dispatches)
	if err != nil {
		return nil, err
	}
	defer enc.Release()
	cmd, err := enc.Finish(nil)
	if err != nil {
		return nil, fmt.Errorf("gpu: finishing commands: %w", err)
	}
	return cmd, nil
}

// submitFinished submits cmd (from finish) without waiting for it, and
// releases it.
func (d *Device) submitFinished(cmd *wgpu.CommandBuffer) error {
	defer cmd.Release()
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.check(); err != nil {
		return err
	}
	d.Queue.Submit(cmd)
	return nil
}

// Readback is a reusable map-read staging buffer, so that repeated runs
// (one per inference) allocate no GPU memory.
type Readback struct {
	buf  *wgpu.Buffer
	size uint64
}

// NewReadback creates a staging buffer for up to count floats.
func (d *Device) NewReadback(count int) (*Readback, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return d.newReadback(count)
}

// Release frees the staging buffer.
func (r *Readback) Release() {
	if r != nil && r.buf != nil {
		r.buf.Destroy()
		r.buf.Release()
		r.buf = nil
	}
}

// RunRead is Run reading back through rb (nil: a temporary staging buffer),
// which must hold count floats.
func (d *Device) RunRead(rb *Readback, dispatches []Dispatch, src *wgpu.Buffer, srcOff uint64, count int) ([]float32, error) {
	var copies []Copy
	if count > 0 {
		copies = []Copy{{Src: src, Off: srcOff, Count: count}}
	}
	return d.RunReadAll(rb, dispatches, copies)
}

// Copy names Count floats at byte offset Off of Src, for RunReadAll.
type Copy struct {
	Src   *wgpu.Buffer
	Off   uint64
	Count int
}

// RunReadAll is RunRead reading back several ranges, one after the other,
// through rb (nil: a temporary staging buffer), which must hold them all;
// it returns their floats concatenated in order. No copies (or only empty
// ones) skips the readback and just waits for the work.
func (d *Device) RunReadAll(rb *Readback, dispatches []Dispatch, copies []Copy) ([]float32, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.check(); err != nil {
		return nil, err
	}
	enc, err := d.encode(dispatches)
	if err != nil {
		return nil, err
	}
	defer enc.Release()
	count := 0
	for _, c := range copies {
		count += max(c.Count, 0)
	}
	size := uint64(4 * count)
	var staging *wgpu.Buffer
	if count > 0 {
		if rb == nil {
			if rb, err = d.newReadback(count); err != nil {
				return nil, err
			}
			defer rb.Release()
		}
		if rb.buf == nil || size > rb.size {
			return nil, fmt.Errorf("gpu: reading %d floats through a released or %d-byte staging buffer", count, rb.size)
		}
		staging = rb.buf
		var off uint64
		for _, c := range copies {
			if c.Count <= 0 {
				continue
			}
			if err := enc.CopyBufferToBuffer(c.Src, c.Off, staging, off, uint64(4*c.Count)); err != nil {
				return nil, fmt.Errorf("gpu: copy to staging: %w", err)
			}
			off += uint64(4 * c.Count)
		}
	}
	cmd, err := enc.Finish(nil)
	if err != nil {
		return nil, fmt.Errorf("gpu: finishing commands: %w", err)
	}
	defer cmd.Release()
	d.Queue.Submit(cmd)
	if count == 0 {
		return nil, d.waitIdle()
	}
	s, err := d.mapRead(staging, size)
	if err != nil {
		return nil, fmt.Errorf("gpu: map staging: %w", err)
	}
	if s != wgpu.BufferMapAsyncStatusSuccess {
		return nil, fmt.Errorf("gpu: reading results failed (map status %d)%s", s, d.lostSuffix())
	}
	raw := staging.GetMappedRange(0, uint(size))
	out := make([]float32, count)
	copy(out, wgpu.FromBytes[float32](raw[:4*count]))
	staging.Unmap()
	return out, nil
}

// newReadback creates the staging buffer without the closed check (RunRead
// has made it).
func (d *Device) newReadback(count int) (*Readback, error) {
	size := uint64(max(16, (4*count+15)&^15))
	b, err := d.Dev.CreateBuffer(&wgpu.BufferDescriptor{Label: "readback", Size: size, Usage: wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst})
	if err != nil {
		return nil, fmt.Errorf("gpu: staging buffer: %w", err)
	}
	return &Readback{buf: b, size: size}, nil
}

// ReadFloats copies count floats from b at byte offset off back to the CPU.
func (d *Device) ReadFloats(b *wgpu.Buffer, off uint64, count int) ([]float32, error) {
	if count <= 0 {
		return nil, nil
	}
	return d.Run(nil, b, off, count)
}

func (d *Device) check() error {
	if d == nil || d.closed {
		return ErrDeviceLost
	}
	if d.lost != "" {
		return fmt.Errorf("%w: %s", ErrDeviceLost, d.lost)
	}
	return nil
}

func (d *Device) lostSuffix() string {
	if d.lost != "" {
		return ": device lost: " + d.lost
	}
	return ""
}

// Close releases the device. Objects created from it must be released first.
func (d *Device) Close() {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed { // checked under the lock: concurrent Closes release once
		return
	}
	d.closed = true
	d.release()
}
