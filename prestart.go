package lowformer

import (
	"os"
	"sync"

	"github.com/lowformer/lowformer-webgpu/model"
)

// Prestarted is the part of opening a model on the GPU that needs no
// checkpoint, done early (Prestart): the device open and, for a
// progressive start, its generic pipelines compiling.
type Prestarted struct {
	opt  Options
	mu   sync.Mutex
	open *gpuOpening // nil once taken or closed, or when nothing was started
}

// Prestart opens the WebGPU device opt asks for and, for a progressive
// start, starts compiling the generic pipelines of a first plan, before the
// checkpoint is at hand: a page calls it while the weights download, so
// that the driver compiles meanwhile. Pass the result as
// Options.Prestarted to the Open, OpenReader or OpenBytes call of the
// checkpoint, with the same options; it is used up there, and Close frees
// it when no open comes.
//
// The pipelines are those of opt.Variant, or of B0 when it is not set
// (the generic pipelines hold no sizes, so most are shared between the
// variants; a model of another variant builds the ones it lacks). Nothing
// is started on the CPU backend, without GPU support, with DumpWGSL set
// or for options Open would refuse; errors (no adapter, say) are kept for
// the open to report as it would have.
func Prestart(opt Options) *Prestarted {
	p := &Prestarted{opt: opt}
	if opt.Backend == CPU || !GPUSupported || opt.DumpWGSL != nil || checkOptions(opt) != nil {
		return p
	}
	name := opt.Variant
	if name == "" {
		name = "B0"
	}
	cfg, err := model.ConfigByName(name)
	if err != nil {
		return p
	}
	o := startGPU(cfg, opt, DefaultNativeSide)
	p.open = &o
	return p
}

// Close frees what p started (the device and its pipelines) unless an open
// took it; safe on nil and more than once.
func (p *Prestarted) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	o := p.open
	p.open = nil
	p.mu.Unlock()
	if o != nil {
		o.abort()
	}
}

// take hands what p started to an open with options opt, once: nil when
// nothing was started, when it was taken or closed, or when opt differs
// from Prestart's in what decides the device, the kernels and the
// pipelines (p is then closed).
func (p *Prestarted) take(opt Options) *gpuOpening {
	if p == nil {
		return nil
	}
	if !sameGPUOptions(p.opt, opt) {
		p.Close()
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.open
	p.open = nil
	return o
}

// sameGPUOptions reports whether a and b agree on what opening the GPU
// depends on (a's TuningTable and TuningStore are taken to be b's when
// both have one: a page parses its table for each call).
func sameGPUOptions(a, b Options) bool {
	return a.Backend == b.Backend && a.Variant == b.Variant && a.Kernels == b.Kernels && a.Tune == b.Tune &&
		a.Tuning == b.Tuning && (a.TuningTable == nil) == (b.TuningTable == nil) &&
		(a.TuningStore == nil) == (b.TuningStore == nil) && a.Start == b.Start &&
		a.DumpWGSL == nil && b.DumpWGSL == nil && sameDevice(a.device, b.device)
}

// finishGPU prepares g, the graph of the checkpoint (whose native side is
// side), on an opened device, with the open's options (openGPU).
type finishGPU func(g *model.Graph, side int, opt Options) (gpuModel, openedDevice, error)

// gpuOpening is the GPU part of an open before the graph exists: finish and
// abort (openGPU's), or the options' error, or the device's.
type gpuOpening struct {
	finish         finishGPU
	abort          func()
	optErr, devErr error
}

// startGPU resolves opt's kernel choice and tuning table and opens the
// device (openGPU, precompiling for cfg at guess×guess); abort is never
// nil.
func startGPU(cfg model.Config, opt Options, guess int) gpuOpening {
	o := gpuOpening{abort: func() {}}
	kc, err := resolveKernels(opt, os.Getenv)
	var tuned explicitTable
	if err == nil {
		tuned, err = loadTuningOption(opt)
	}
	if err != nil {
		o.optErr = err
		return o
	}
	finish, abort, err := openGPU(cfg, opt, kc, tuned, guess)
	if err != nil {
		o.devErr = err
		return o
	}
	o.finish, o.abort = finish, abort
	return o
}
