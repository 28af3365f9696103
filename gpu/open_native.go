//go:build !js && cgo

package gpu

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cogentcore/webgpu/wgpu"
)

type nativeHandles struct {
	instance *wgpu.Instance
	adapter  *wgpu.Adapter
}

func init() {
	wgpu.SetLogLevel(wgpu.LogLevelOff)
	// Mesa's Vulkan loader complains on every start without it.
	if os.Getenv("XDG_RUNTIME_DIR") == "" {
		os.Setenv("XDG_RUNTIME_DIR", os.TempDir())
	}
}

// Open opens the default adapter natively (Vulkan first, then any backend)
// and requests a device whose limits are raised to what the adapter offers
// for the limits the kernels use.
func Open(opt Options) (*Device, error) {
	dump, err := dumpFromEnv(opt)
	if err != nil {
		return nil, err
	}
	inst, err := createInstance()
	if err != nil {
		return nil, err
	}
	ad, err := requestAdapter(inst, opt)
	if err != nil {
		inst.Release()
		return nil, err
	}
	al := ad.GetLimits().Limits
	req := wgpu.DefaultLimits()
	raiseLimits(&req, al)
	d := &Device{dumpWGSL: dump}
	// No DeviceLostCallback: cogentcore/webgpu v0.23.0 passes a Go pointer
	// to C for it, which cgocheck rejects. Natively a lost device surfaces
	// as failing map/submit calls instead.
	features := adapterFeatures(ad)
	var required []wgpu.FeatureName
	var enabled []string
	if slices.Contains(features, FeatureShaderF16) {
		required, enabled = append(required, wgpu.FeatureNameShaderF16), append(enabled, FeatureShaderF16)
	}
	// wgpu-native of cogentcore/webgpu v0.23.0 has no subgroups feature to
	// request: natively FeatureSubgroups is never enabled.
	dev, err := ad.RequestDevice(&wgpu.DeviceDescriptor{Label: "lowformer", RequiredFeatures: required,
		RequiredLimits: &wgpu.RequiredLimits{Limits: req}})
	if err != nil {
		ad.Release()
		inst.Release()
		return nil, fmt.Errorf("gpu: requesting a device: %w", err)
	}
	info := ad.GetInfo()
	desc := info.DriverDescription
	if desc == "" || desc == "0x0" {
		desc = info.Name
	}
	if info.Name != "" && info.Name != "0x0" && !strings.Contains(desc, info.Name) {
		desc = info.Name + " " + desc
	}
	d.Dev, d.Queue = dev, dev.GetQueue()
	d.Limits = dev.GetLimits().Limits
	d.Info = AdapterInfo{
		Description: fmt.Sprintf("%s (%s, %s)", desc, backendName(info.BackendType), adapterTypeName(info.AdapterType)),
		Backend:     backendName(info.BackendType),
		Type:        adapterTypeName(info.AdapterType),
		Vendor:      info.VendorName, Architecture: info.Architecture, Name: info.Name,
		Features: features,
	}
	if d.Info.Vendor == "" && info.VendorId != 0 {
		d.Info.Vendor = fmt.Sprintf("0x%04x", info.VendorId)
	}
	d.Features = enabled
	d.native = nativeHandles{instance: inst, adapter: ad}
	openDevices.Add(1)
	return d, nil
}

// createInstance creates a wgpu instance. wgpu.CreateInstance panics when
// wgpu-native returns none; that becomes ErrNoAdapter. It always passes a
// nil descriptor: cogentcore/webgpu v0.23.0 mallocs the WGPUInstanceExtras
// of a non-nil one without zeroing it (flags and gles3MinorVersion stay
// garbage), and wgpu-native then aborts the process now and then ("Unknown
// gles3 minor version"). Options.Backend is applied when requesting the
// adapter instead.
func createInstance() (inst *wgpu.Instance, err error) {
	defer func() {
		if r := recover(); r != nil {
			inst, err = nil, fmt.Errorf("%w: creating a WebGPU instance failed: %v", ErrNoAdapter, r)
		}
	}()
	inst = wgpu.CreateInstance(nil)
	if inst == nil {
		return nil, ErrNoAdapter
	}
	return inst, nil
}

// requestAdapter asks inst for the default adapter, or, when opt.Backend
// is set, for the first adapter of that backend (wgpu-native ignores
// RequestAdapterOptions.BackendType, so the adapters are enumerated).
func requestAdapter(inst *wgpu.Instance, opt Options) (*wgpu.Adapter, error) {
	if opt.Backend == wgpu.BackendTypeUndefined {
		ad, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{ForceFallbackAdapter: opt.PreferFallback,
			PowerPreference: wgpu.PowerPreferenceHighPerformance})
		if err != nil || ad == nil {
			return nil, fmt.Errorf("%w (install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers): %v", ErrNoAdapter, err)
		}
		return ad, nil
	}
	var found *wgpu.Adapter
	for _, ad := range inst.EnumerateAdapters(nil) {
		if found == nil && ad.GetInfo().BackendType == opt.Backend {
			found = ad
			continue
		}
		ad.Release()
	}
	if found == nil {
		return nil, fmt.Errorf("%w for the %s backend", ErrNoAdapter, backendName(opt.Backend))
	}
	return found, nil
}

// raiseLimits copies the adapter's values into req for every limit the
// kernels may need beyond the WebGPU defaults.
func raiseLimits(req *wgpu.Limits, ad wgpu.Limits) {
	req.MaxStorageBufferBindingSize = ad.MaxStorageBufferBindingSize
	req.MaxBufferSize = ad.MaxBufferSize
	req.MaxComputeWorkgroupStorageSize = ad.MaxComputeWorkgroupStorageSize
	req.MaxComputeInvocationsPerWorkgroup = ad.MaxComputeInvocationsPerWorkgroup
	req.MaxComputeWorkgroupSizeX = ad.MaxComputeWorkgroupSizeX
	req.MaxComputeWorkgroupSizeY = ad.MaxComputeWorkgroupSizeY
	req.MaxComputeWorkgroupSizeZ = ad.MaxComputeWorkgroupSizeZ
	req.MaxComputeWorkgroupsPerDimension = ad.MaxComputeWorkgroupsPerDimension
	req.MaxStorageBuffersPerShaderStage = ad.MaxStorageBuffersPerShaderStage
	req.MaxTextureDimension2D = ad.MaxTextureDimension2D
}

func (d *Device) release() {
	d.Queue.Release()
	d.Dev.Release()
	d.native.adapter.Release()
	d.native.instance.Release()
	openDevices.Add(-1)
}

// awaitMap polls the device without blocking until the callback delivers
// its status on done (never one long Poll(true): it gives up after ~5 s).
func awaitMap(d *Device, done chan wgpu.BufferMapAsyncStatus) wgpu.BufferMapAsyncStatus {
	for {
		if !d.Dev.Poll(false, nil) {
			time.Sleep(100 * time.Microsecond)
		}
		select {
		case s := <-done:
			return s
		default:
			if d.lost != "" {
				return wgpu.BufferMapAsyncStatusDeviceLost
			}
			runtime.Gosched()
		}
	}
}

// computePipelines creates the pipelines one after the other (lavapipe and
// most drivers compile at creation or first use anyway).
func (d *Device) computePipelines(descs []pipelineDesc) ([]*wgpu.ComputePipeline, error) {
	out := make([]*wgpu.ComputePipeline, 0, len(descs))
	for _, ds := range descs {
		cp, err := d.Dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{Label: ds.label, Layout: ds.layout,
			Compute: wgpu.ProgrammableStageDescriptor{Module: ds.module, EntryPoint: "main"}})
		if err != nil {
			for _, p := range out {
				p.Release()
			}
			return nil, fmt.Errorf("%s: %w", ds.label, err)
		}
		out = append(out, cp)
	}
	return out, nil
}

// computePipelinesNow is computePipelines: natively every creation is
// synchronous.
func (d *Device) computePipelinesNow(descs []pipelineDesc) ([]*wgpu.ComputePipeline, error) {
	return d.computePipelines(descs)
}

// submitSoon encodes dispatches now and submits them from a goroutine,
// then calls done: lavapipe runs a submit (and so compiles a pipeline at
// its first dispatch) in the submitting thread, which should not be the
// caller's. The command buffer holds the pipelines, so the caller may
// release them before the submit. wait waits for the submit (not for the
// work it submitted: later submits run after it) and gives its error.
func (d *Device) submitSoon(dispatches []Dispatch, done func()) (wait func() error) {
	ch := make(chan error, 1)
	if cmd, err := d.finish(dispatches); err != nil {
		done()
		ch <- err
	} else {
		go func() {
			// Work submitted later runs after this on the queue, so
			// nothing waits for the device: a plan built meanwhile
			// (weights uploaded, bind groups made) overlaps the compiles,
			// and done may release what the submitted work uses (the
			// device keeps it until the work is done).
			err := d.submitFinished(cmd)
			done()
			ch <- err
		}()
	}
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() { err = <-ch })
		return err
	}
}

// scopedLater is scoped returning its error through wait.
func (d *Device) scopedLater(_ string, f func() error) (wait func() error) {
	err := f()
	return func() error { return err }
}

// scoped runs f; natively wgpu-native already reports validation errors as
// Go errors from each create call.
func (d *Device) scoped(_ string, f func() error) error { return f() }

func backendName(b wgpu.BackendType) string {
	switch b {
	case wgpu.BackendTypeVulkan:
		return "vulkan"
	case wgpu.BackendTypeMetal:
		return "metal"
	case wgpu.BackendTypeD3D12:
		return "d3d12"
	case wgpu.BackendTypeOpenGL:
		return "opengl"
	case wgpu.BackendTypeOpenGLES:
		return "opengles"
	}
	return fmt.Sprintf("backend %d", b)
}

func adapterTypeName(t wgpu.AdapterType) string {
	switch t {
	case wgpu.AdapterTypeCPU:
		return "cpu"
	case wgpu.AdapterTypeDiscreteGPU:
		return "discrete gpu"
	case wgpu.AdapterTypeIntegratedGPU:
		return "integrated gpu"
	}
	return "unknown type"
}

// adapterFeatures lists the WebGPU names of the adapter's features, sorted
// (wgpu-native's own features, which have no WebGPU name, are left out).
func adapterFeatures(ad *wgpu.Adapter) []string {
	var names []string
	for _, f := range ad.EnumerateFeatures() {
		if f >= wgpu.NativeFeaturePushConstants || f == wgpu.FeatureNameUndefined {
			continue
		}
		names = append(names, f.String())
	}
	slices.Sort(names)
	return slices.Compact(names)
}
