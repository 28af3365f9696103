//go:build (js || cgo) && !lowformer_nogpu

package lowformer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/tuning"
)

// GPUSupported reports whether this build has the WebGPU backend: true with
// cgo natively and in the browser (GOOS=js), false in a native build without
// cgo, which runs on the CPU only, and in a build with the lowformer_nogpu
// tag (the browser's CPU builds, lowformer-cpu.wasm and
// lowformer-scalar.wasm, which leave out the WebGPU code).
const GPUSupported = true

// deviceOptions select the WebGPU adapter of Options.device.
type deviceOptions = gpu.Options

// sameDevice reports whether a and b ask for the same adapter (and neither
// dumps WGSL).
func sameDevice(a, b deviceOptions) bool {
	return a.PreferFallback == b.PreferFallback && a.Backend == b.Backend && a.DumpWGSL == nil && b.DumpWGSL == nil
}

// deviceModel is a model.GPU with the device it owns.
type deviceModel struct {
	*model.GPU
	dev *gpu.Device
	// store keeps the adapter's tuning table (Options.TuningStore or the
	// default).
	store TuningStore
	// stopTuning cancels the background tuning (TuneBackground) and
	// waits for it; nil without one.
	stopTuning func()
}

// Close stops the background tuning, releases the model's GPU objects,
// then its device.
func (m *deviceModel) Close() {
	if m.stopTuning != nil {
		m.stopTuning()
	}
	m.GPU.Close()
	m.dev.Close()
}

// phase is the model's phase (model.Phase has the same values).
func (m *deviceModel) phase() Phase { return Phase(m.GPU.Phase()) }

// waitSpecialized is model.GPU.WaitSpecialized.
func (m *deviceModel) waitSpecialized(ctx context.Context) error { return m.GPU.WaitSpecialized(ctx) }

// tune runs Model.Tune on this model's device (see TuneOptions); side is
// the default image side.
func (m *deviceModel) tune(ctx context.Context, opt TuneOptions, side int) (TuneResult, error) {
	a, set := adapterOf(m.dev.Info), string(m.Target().Set)
	batch := opt.Batch
	if batch == 0 {
		batch = 1
	}
	if opt.Side != 0 {
		side = opt.Side
	}
	if batch < 1 || side < MinSide || side > MaxLogitsSide {
		return TuneResult{}, badInput("tuning batch %d of %d×%d images: want batch ≥ 1 and a side in %d..%d", batch, side, side, MinSide, MaxLogitsSide)
	}
	res := TuneResult{Path: opt.Path}
	// Where the table is continued from and saved: the file Path, else
	// the model's store (by default the adapter's cache file).
	load := func() (*tuning.Table, string, error) {
		tb, err := loadTableFile(res.Path)
		return tb, res.Path, err
	}
	save := func(t *tuning.Table) error { return saveTableFile(t, res.Path) }
	if res.Path == "" {
		load = func() (*tuning.Table, string, error) { return m.store.LoadTuning(a) }
		save = func(t *tuning.Table) error {
			where, err := m.store.SaveTuning(a, t)
			res.Path = where
			return err
		}
	}
	tb := opt.Table
	if tb != nil {
		if why := checkTable(tb, a, set); why != "" {
			return res, badInput("TuneOptions.Table: %s", why)
		}
	} else {
		old, where, err := load()
		switch {
		case err == nil:
			res.Path = where
			if why := checkTable(old, a, set); why != "" {
				res.Notes = append(res.Notes, fmt.Sprintf("tuning table %s not continued: %s", where, why))
			} else {
				tb, res.Resumed = old, true
			}
		case !errors.Is(err, fs.ErrNotExist):
			res.Notes = append(res.Notes, fmt.Sprintf("tuning table not continued: %v", err))
		}
	}
	if tb == nil {
		tb = tuning.New(a, set)
	}
	res.Table = tb
	mo := model.TuneOptions{Budget: opt.Budget, Save: save}
	if opt.Progress != nil {
		mo.Progress = func(p model.TuneProgress) {
			opt.Progress(TuneProgress{Key: p.Key, Candidate: p.Candidate.String(), Ms: p.Ms,
				Measured: p.Measured, Total: p.Total, Elapsed: p.Elapsed, Err: p.Err})
		}
	}
	r, err := m.GPU.Tune(ctx, tb, batch, side, side, mo)
	res.Keys, res.Measured, res.Total, res.ThisRun, res.Elapsed, res.Complete = r.Keys, r.Measured, r.Total, r.ThisRun, r.Elapsed, r.Complete
	return res, err
}

// startBackgroundTuning tunes the model's plan for one image of side×side
// in a goroutine, saving to the adapter's cache file; Close stops it.
func (m *deviceModel) startBackgroundTuning(side int, opt Options) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A progressive start specializes first (tuning would time the
		// candidates against generic plans and share the adapter with the
		// background compiles). A failed specialization is the model's to
		// report; tuning goes on.
		_ = m.GPU.WaitSpecialized(ctx)
		if ctx.Err() != nil {
			return
		}
		if _, err := m.tune(ctx, TuneOptions{}, side); err != nil && ctx.Err() == nil {
			warn(opt, fmt.Sprintf("lowformer: background tuning stopped: %v", err))
		}
	}()
	m.stopTuning = func() {
		cancel()
		<-done
	}
}

// openGPU opens the WebGPU device that opt asks for, chooses the kernel set
// kc asks for (from the adapter when auto), and returns finish, which
// prepares on it g, the graph Build made for the checkpoint (whose native
// side is side), with the open's opt for its callbacks, and abort, which
// closes the device when no graph comes. A progressive start first starts
// compiling the generic pipelines of cfg's likeliest first plan (one image
// of guess×guess; model.PrecompileGeneric), so that the driver compiles
// them while the caller builds the graph and uploads the weights; cfg may
// be a guess (Prestart), the model takes what matches.
func openGPU(cfg model.Config, opt Options, kc kernelChoice, explicit explicitTable, guess int) (finish finishGPU, abort func(), err error) {
	devOpt := opt.device
	if opt.DumpWGSL != nil {
		devOpt.DumpWGSL = opt.DumpWGSL
	}
	dev, err := gpu.Open(devOpt)
	if err != nil {
		return nil, nil, err
	}
	t, reason := selectTarget(kernels.ProfileOf(dev), kc)
	mode, _ := parseTuneMode(string(opt.Tune))
	store := storeOf(opt)
	src := resolveTuning(mode, explicit, adapterOf(dev.Info), string(t.Set), store)
	t.Tuned = src.table
	start, _ := parseStart(string(opt.Start))
	var pre *model.Precompiled
	if start == StartProgressive {
		// A failure here leaves the pipelines to the first run, which
		// reports it.
		pre, _ = model.PrecompileGeneric(dev, cfg, t, 1, guess, guess)
	}
	abort = func() {
		if pre != nil {
			pre.Release()
		}
		dev.Close()
	}
	finish = func(g *model.Graph, side int, opt Options) (gpuModel, openedDevice, error) {
		dm := &deviceModel{dev: dev, store: store}
		if start == StartProgressive {
			var onPhase func(model.Phase)
			if opt.OnPhase != nil {
				onPhase = func(p model.Phase) { opt.OnPhase(Phase(p)) }
			}
			var m *model.GPU
			if pre != nil {
				// The precompile only saves time: without it the model
				// builds its pipelines itself.
				m, _ = model.NewProgressiveGPUFrom(pre, g, onPhase)
			}
			if m == nil {
				m = model.NewProgressiveGPU(dev, g, t, onPhase)
			}
			dm.GPU = m
		} else {
			dm.GPU = model.NewGPU(dev, g, t)
		}
		if mode == TuneBackground {
			if err := backgroundTuning(dm, side, opt); err != nil {
				src.notes = append(src.notes, "background tuning not started: "+err.Error())
			}
		}
		return dm, openedDevice{adapter: dev.Info.Description, kernels: Kernels(t.Set), reason: reason, tuning: src}, nil
	}
	return finish, abort, nil
}

// selectTarget is kernels.SelectTarget for the choice kc, with the reason
// saying where a forced set came from ("forced by Options.Kernels") or
// that auto chose it ("auto: CPU adapter").
func selectTarget(p kernels.Profile, kc kernelChoice) (kernels.Target, string) {
	want := kernels.Set(kc.set) // the same names
	t, why := kernels.SelectTarget(p, want)
	if want == kernels.SetAuto {
		why = "auto: " + why
	} else {
		why = "forced by " + kc.from
	}
	if len(p.Features) > 0 {
		why += " (features: " + strings.Join(p.Features, ", ") + ")"
	}
	return t, why
}

// adapterOf is the tuning identity of an adapter.
func adapterOf(info gpu.AdapterInfo) tuning.Adapter {
	return tuning.Adapter{Vendor: info.Vendor, Architecture: info.Architecture, Device: info.Name,
		Description: info.Description, Backend: info.Backend}
}

// tuningTable is the table the model's plans use (Model.TuningTable).
func (m *deviceModel) tuningTable() *tuning.Table { return m.Target().Tuned }
