//go:build js

package gpu

import (
	"errors"
	"fmt"
	"slices"
	"syscall/js"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/lowformer/lowformer-webgpu/internal/jspromise"
)

type nativeHandles struct {
	device     js.Value
	scopeDepth int      // error scopes pushed by scoped and not yet popped
	staging    js.Value // reusable upload array (see staged)
}

// Open requests navigator.gpu's adapter (a compatibility-mode adapter when
// no core adapter exists) and a device whose limits are raised to the
// adapter's for every limit the kernels use. It must not be called from
// inside a js.FuncOf callback: it waits on promises.
func Open(opt Options) (*Device, error) {
	// No navigator at all in Node (before 21) and some embedders.
	gpuObj := js.Undefined()
	if nav := js.Global().Get("navigator"); nav.Truthy() {
		gpuObj = nav.Get("gpu")
	}
	if !gpuObj.Truthy() {
		return nil, fmt.Errorf("%w: navigator.gpu is missing (this browser has no WebGPU, or it is disabled; Node has none)", ErrNoAdapter)
	}
	opts := map[string]any{"powerPreference": "high-performance"}
	if opt.PreferFallback {
		opts["forceFallbackAdapter"] = true
	}
	// A core adapter first. When there is none, or it is a software fallback
	// (SwiftShader), ask for a compatibility-mode adapter too (lavapipe
	// through ANGLE/OpenGL ES in Chromium) and prefer it unless it is a
	// fallback as well.
	adapter, err := jspromise.Await(gpuObj.Call("requestAdapter", opts))
	if err != nil || !adapter.Truthy() || isFallback(adapter) {
		compat := map[string]any{"featureLevel": "compatibility"}
		for k, v := range opts {
			compat[k] = v
		}
		a2, err2 := jspromise.Await(gpuObj.Call("requestAdapter", compat))
		if err2 == nil && a2.Truthy() && (!adapter.Truthy() || !isFallback(a2)) {
			adapter, err = a2, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoAdapter, err)
	}
	if !adapter.Truthy() {
		return nil, ErrNoAdapter
	}
	al := adapter.Get("limits")
	req := map[string]any{}
	for _, name := range []string{"maxStorageBufferBindingSize", "maxBufferSize", "maxComputeWorkgroupStorageSize",
		"maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupSizeX", "maxComputeWorkgroupSizeY",
		"maxComputeWorkgroupSizeZ", "maxComputeWorkgroupsPerDimension", "maxStorageBuffersPerShaderStage",
		"maxTextureDimension2D"} {
		if v := al.Get(name); v.Type() == js.TypeNumber {
			req[name] = v
		}
	}
	features := adapterFeatures(adapter)
	var enabled []any
	for _, f := range []string{FeatureShaderF16, FeatureSubgroups} {
		if slices.Contains(features, f) {
			enabled = append(enabled, f)
		}
	}
	desc := map[string]any{"label": "lowformer", "requiredLimits": req}
	if len(enabled) > 0 {
		desc["requiredFeatures"] = enabled
	}
	jsDev, err := jspromise.Await(adapter.Call("requestDevice", desc))
	if err != nil {
		return nil, fmt.Errorf("gpu: requesting a device: %w", err)
	}
	if !jsDev.Truthy() {
		return nil, errors.New("gpu: requesting a device returned nothing")
	}
	dev := wgpu.NewDevice(jsDev)
	d := &Device{Dev: &dev, dumpWGSL: opt.DumpWGSL}
	d.Queue = d.Dev.GetQueue()
	d.Limits = d.Dev.GetLimits().Limits
	d.native = nativeHandles{device: jsDev}
	d.Info = adapterInfo(adapter)
	d.Info.Features = features
	for _, f := range enabled {
		d.Features = append(d.Features, f.(string))
	}
	go func() {
		info, err := jspromise.Await(jsDev.Get("lost"))
		if err == nil && !d.closed {
			d.lost = info.Get("message").String()
			if d.lost == "" {
				d.lost = "the GPU device was lost"
			}
		}
	}()
	return d, nil
}

// isFallback reports whether an adapter is a software fallback adapter
// (GPUAdapterInfo.isFallbackAdapter, or the older GPUAdapter attribute).
func isFallback(adapter js.Value) bool {
	if info := adapter.Get("info"); info.Truthy() && info.Get("isFallbackAdapter").Type() == js.TypeBoolean {
		return info.Get("isFallbackAdapter").Bool()
	}
	return adapter.Get("isFallbackAdapter").Truthy()
}

func adapterInfo(adapter js.Value) AdapterInfo {
	info := adapter.Get("info")
	if !info.Truthy() {
		return AdapterInfo{Description: "WebGPU adapter"}
	}
	get := func(k string) string {
		if v := info.Get(k); v.Type() == js.TypeString {
			return v.String()
		}
		return ""
	}
	desc := get("description")
	if desc == "" {
		desc = fmt.Sprintf("%s %s %s", get("vendor"), get("architecture"), get("device"))
	}
	compat := ""
	if fl := adapter.Get("featureLevel"); fl.Type() == js.TypeString && fl.String() == "compatibility" {
		compat = ", compatibility mode"
	} else if f := adapter.Get("features"); f.Truthy() && !f.Call("has", "core-features-and-limits").Bool() {
		compat = ", compatibility mode"
	}
	fallback := isFallback(adapter)
	typ := ""
	if fallback {
		typ = "cpu"
	}
	return AdapterInfo{Description: fmt.Sprintf("%s (webgpu%s)", desc, compat), Backend: "webgpu", Type: typ,
		Vendor: get("vendor"), Architecture: get("architecture"), Name: get("device"), Fallback: fallback}
}

// adapterFeatures lists the adapter's features (GPUAdapter.features, a
// set-like of strings), sorted.
func adapterFeatures(adapter js.Value) []string {
	f := adapter.Get("features")
	if !f.Truthy() {
		return nil
	}
	var names []string
	cb := js.FuncOf(func(_ js.Value, a []js.Value) any {
		if len(a) > 0 && a[0].Type() == js.TypeString {
			names = append(names, a[0].String())
		}
		return nil
	})
	defer cb.Release()
	f.Call("forEach", cb)
	slices.Sort(names)
	return names
}

func (d *Device) release() {
	d.native.device.Call("destroy")
}

// awaitMap: on js MapAsync already awaited the promise and ran the callback.
func awaitMap(d *Device, done chan wgpu.BufferMapAsyncStatus) wgpu.BufferMapAsyncStatus {
	return <-done
}

// scoped runs f inside validation and out-of-memory error scopes and turns
// a captured GPU error, or a JS exception surfacing as a panic, into a Go
// error (the js backend of wgpu reports nothing by itself).
//
// Nested calls run f inside the outermost scope, which then reports the
// first error of them all. (The Go code of one model builds its objects
// under the model's lock, so no unrelated object lands in that scope in
// practice; if one did, its error would be reported there.)
func (d *Device) scoped(what string, f func() error) (err error) {
	if d.native.scopeDepth > 0 {
		return f()
	}
	d.native.scopeDepth++
	defer func() { d.native.scopeDepth-- }()
	dev := d.native.device
	dev.Call("pushErrorScope", "out-of-memory")
	dev.Call("pushErrorScope", "validation")
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%s: %v", what, r)
			}
		}()
		err = f()
	}()
	for range 2 {
		e, aerr := jspromise.Await(dev.Call("popErrorScope"))
		if err == nil && aerr == nil && e.Truthy() {
			err = fmt.Errorf("%s: %s", what, e.Get("message").String())
		}
	}
	return err
}

// scopedLater is scoped without the wait: f's objects are created inside
// the two error scopes, which are popped at once, and the returned wait
// awaits their verdict (the GPU process's, after it has handled f's
// commands). Nothing is awaited before it returns, so the page goes on
// while the GPU process works.
func (d *Device) scopedLater(what string, f func() error) (wait func() error) {
	if d.native.scopeDepth > 0 {
		err := f()
		return func() error { return err }
	}
	d.native.scopeDepth++
	dev := d.native.device
	dev.Call("pushErrorScope", "out-of-memory")
	dev.Call("pushErrorScope", "validation")
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%s: %v", what, r)
			}
		}()
		return f()
	}()
	d.native.scopeDepth--
	pops := []js.Value{dev.Call("popErrorScope"), dev.Call("popErrorScope")}
	return func() error {
		for _, p := range pops {
			e, aerr := jspromise.Await(p)
			if err == nil && aerr == nil && e.Truthy() {
				err = fmt.Errorf("%s: %s", what, e.Get("message").String())
			}
		}
		return err
	}
}

// submitSoon submits dispatches now (the GPU process runs them while the
// page goes on), then calls done; wait gives the submit's error.
func (d *Device) submitSoon(dispatches []Dispatch, done func()) (wait func() error) {
	err := d.submit(dispatches)
	done()
	return func() error { return err }
}

// computePipelinesNow creates every pipeline with createComputePipeline:
// the call returns at once and the GPU process compiles in the
// background (an invalid pipeline surfaces as an error of the enclosing
// error scope).
func (d *Device) computePipelinesNow(descs []pipelineDesc) ([]*wgpu.ComputePipeline, error) {
	out := make([]*wgpu.ComputePipeline, len(descs))
	for i, ds := range descs {
		v := d.native.device.Call("createComputePipeline", map[string]any{
			"label":   ds.label,
			"layout":  jsValue(ds.layout),
			"compute": map[string]any{"module": jsValue(ds.module), "entryPoint": "main"},
		})
		cp := new(wgpu.ComputePipeline)
		*(*js.Value)(unsafe.Pointer(cp)) = v
		out[i] = cp
	}
	return out, nil
}

// computePipelines requests every pipeline with createComputePipelineAsync
// before awaiting any, so the GPU process compiles them back to back
// without a round trip to the page in between.
func (d *Device) computePipelines(descs []pipelineDesc) ([]*wgpu.ComputePipeline, error) {
	promises := make([]js.Value, len(descs))
	for i, ds := range descs {
		promises[i] = d.native.device.Call("createComputePipelineAsync", map[string]any{
			"label":   ds.label,
			"layout":  jsValue(ds.layout),
			"compute": map[string]any{"module": jsValue(ds.module), "entryPoint": "main"},
		})
	}
	out := make([]*wgpu.ComputePipeline, len(descs))
	var first error
	for i, p := range promises {
		v, err := jspromise.Await(p)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("%s: %w", descs[i].label, err)
			}
			continue
		}
		cp := new(wgpu.ComputePipeline)
		*(*js.Value)(unsafe.Pointer(cp)) = v
		out[i] = cp
	}
	if first != nil {
		return nil, first
	}
	return out, nil
}
