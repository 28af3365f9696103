// Package lowformer runs LowFormer image classifiers (arXiv 2409.03460:
// B0, B1, B1.5, B3, E1, E2, E3 and custom widths/depths) with WGSL compute
// shaders on WebGPU: natively through wgpu-native, and in the browser when
// compiled to GOOS=js GOARCH=wasm. A pure-Go CPU path runs the same model
// without a GPU.
//
// The GPU backend needs cgo natively (wgpu-native); a native build without
// cgo (CGO_ENABLED=0) runs on the CPU only: GPUSupported is false there,
// Auto means the CPU and GPU fails with ErrNoGPUSupport. The browser build
// (GOOS=js GOARCH=wasm) has it.
//
// Two build tags leave one backend out, so that the browser downloads only
// the code it runs (web/build.sh): lowformer_nogpu drops the WebGPU
// backend (GPUSupported false, as without cgo; lowformer-cpu.wasm and
// lowformer-scalar.wasm) and lowformer_nocpu the CPU backend (CPUSupported
// false: Backend CPU, and Auto without a WebGPU device, fail with
// ErrNoCPUSupport; lowformer.wasm). Both together do not compile.
//
//	m, err := lowformer.Open(ctx, "evalmodel.pt", lowformer.Options{})
//	defer m.Close()
//	preds, err := m.Classify(ctx, img, lowformer.ClassifyOptions{}) // top-5 classes
//	logits, err := m.Logits(ctx, batch, n, 224, 224) // NCHW float32, normalized
//
// Weights are read directly from the official evalmodel.pt (a safe subset of
// pickle: loading never runs code) or from safetensors.
package lowformer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"strconv"
	"sync"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
	"github.com/lowformer/lowformer-webgpu/tuning"
)

// Backend selects where a model runs.
type Backend int

// Backends. Auto uses the GPU when a WebGPU adapter exists and falls back to
// the CPU with a warning otherwise; in a build without GPU support it is the
// CPU, without a warning, and GPU fails with ErrNoGPUSupport.
const (
	Auto Backend = iota
	GPU
	CPU
)

// String names the backend as the CLI spells it.
func (b Backend) String() string {
	switch b {
	case GPU:
		return "gpu"
	case CPU:
		return "cpu"
	}
	return "auto"
}

// ParseBackend parses "auto", "gpu" or "cpu".
func ParseBackend(s string) (Backend, error) {
	switch s {
	case "", "auto":
		return Auto, nil
	case "gpu", "webgpu":
		return GPU, nil
	case "cpu":
		return CPU, nil
	}
	return Auto, badInput("unknown backend %q (want auto, gpu or cpu)", s)
}

// Options configure Open. The zero value detects the variant and uses the
// GPU when there is one.
type Options struct {
	Backend Backend
	// Variant, when set, is the variant the caller expects ("b0", "B1.5",
	// "E3", ...); a checkpoint of another variant is an error.
	Variant string
	// Warn receives warnings (such as falling back to the CPU); nil prints
	// them to stderr.
	Warn func(msg string)
	// DumpWGSL, when set, receives the label and the exact WGSL of every
	// GPU pipeline as it is created, by Warmup or the first call with a new
	// input shape (see gpu.Options.DumpWGSL); an error it returns fails
	// that call. Natively, when nil, LOWFORMER_DUMP_WGSL=DIR writes each to
	// DIR/<label>.wgsl (gpu.DumpDir); a DIR that cannot be created fails
	// Open even with Backend Auto.
	DumpWGSL func(label, wgsl string) error

	// Kernels chooses the GPU kernel set: KernelsAuto (from the adapter),
	// KernelsCPU or KernelsGPU. Empty means the value of LOWFORMER_KERNELS
	// when set (natively), else auto. Any set computes the same logits
	// within f32 rounding; Info().Kernels and KernelsReason say which ran and
	// why. It does not matter on the CPU backend, but a bad value (here or
	// in LOWFORMER_KERNELS) is an ErrBadInput error on any backend.
	Kernels Kernels

	// Tune says whether the model uses and makes on-device tuning tables:
	// TuneCached (the default, also for ""), TuneOff or TuneBackground.
	// A table tuned on the adapter replaces, for each dense kernel key it
	// holds (1×1 and k×k convolutions with the Winograd choice, fully
	// connected layers), the kernel set's choice with the fastest measured
	// candidate; the logits are the same within f32 rounding.
	// Info().Tuning says which table is in use, Info().TuningNotes which
	// were ignored and why.
	Tune TuneMode
	// Tuning is a tuning table file to use instead of the adapter's
	// stored one (see Model.Tune and "lowformer tune"); one that cannot be
	// read or parsed fails Open, one measured on another adapter or for
	// another kernel set is ignored with a note in Info().TuningNotes.
	Tuning string
	// TuningTable is a table held in memory, used as Tuning is (it wins
	// over Tuning).
	TuningTable *tuning.Table
	// TuningStore, when set, is where TuneCached looks for the adapter's
	// table and Model.Tune (with TuneOptions.Path "") continues and saves
	// it, instead of the files under os.UserCacheDir()/lowformer/ (the
	// browser build passes one backed by IndexedDB).
	TuningStore TuningStore

	// Start says how a GPU model starts: StartProgressive (the default,
	// also for "") or StartSpecialized; Info().Phase says where it is. It
	// does not matter on the CPU backend, but a bad value is an ErrBadInput
	// error on any backend.
	Start Start
	// OnPhase, when set, receives each new phase of a progressive GPU
	// model (PhaseSpecializing, then PhaseSpecialized, or PhaseGeneric
	// after a failed attempt), from the goroutine that specializes.
	OnPhase func(Phase)

	// Prestarted, when set, is the early part of this open on the GPU,
	// begun before the checkpoint was at hand (Prestart): the open takes
	// its device and its compiling pipelines, or closes it when the
	// options that decide them differ. It is used up either way.
	Prestarted *Prestarted

	// device selects the WebGPU adapter; tests ask for a backend this
	// machine lacks to make device creation fail for real.
	device deviceOptions
}

// Info describes an open model.
type Info struct {
	Variant    string       // "B0", ..., or "custom"
	Config     model.Config // the full architecture
	Params     int          // number of parameters
	Classes    int
	Labels     []string // class names, Classes long
	NativeSide int      // the side it was trained at: Classify's default (metadata "input_size", else DefaultNativeSide)
	Format     string   // "pytorch" or "safetensors"
	DType      string   // dominant dtype of the file: "F32", "F16", "BF16", or "I8" for int8 weights
	// Quantization is the scheme of an int8 file's weights
	// ("int8_symmetric_per_channel", checkpoint.QuantInt8), dequantized to
	// float32 when the file is read; "" for a float file.
	Quantization string
	Backend      Backend // GPU or CPU, as resolved
	Adapter      string  // the WebGPU adapter, empty on the CPU
	// Kernels is the GPU kernel set in use (KernelsCPU or KernelsGPU),
	// empty on the CPU backend; KernelsReason says why, e.g. "auto: CPU
	// renderer llvmpipe" or "forced by LOWFORMER_KERNELS".
	Kernels       Kernels
	KernelsReason string
	// Tuning describes the tuning table in use (where it came from, how
	// many kernel keys it tunes and changes), "" when none is;
	// TuningNotes lists tables found and ignored, with why.
	Tuning      string
	TuningNotes []string
	HasOptState bool // the .pt file carries optimizer state
	// Training is what the checkpoint records about its training (epoch,
	// accuracy, dataset); Training.Known is false for weights that record
	// none, such as test checkpoints (TestWeightsNote).
	Training Training

	// EmbeddingSize is the length of an embedding (Embed): the width of
	// the head's hidden layer, which the classifier's last linear layer
	// reads (1600 for B0, B1, B3, E2, E3; 2560 for B1.5 and E1).
	EmbeddingSize int

	// Start is the GPU model's start mode and Phase where its pipelines
	// are now (generic, specializing, specialized); both are empty on the
	// CPU backend.
	Start Start
	Phase Phase
	// Prestarted reports that the open took a GPU device and pipelines
	// started before the checkpoint was read (Options.Prestarted).
	Prestarted bool
}

// Model is an open LowFormer network. It is safe for concurrent use.
type Model struct {
	info  Info
	graph *model.Graph
	gpu   gpuModel // nil on the CPU
	cpu   cpuModel // runs the model when gpu is nil (nil otherwise)

	mu     sync.RWMutex
	closed bool

	// tuneMu guards tuneStop and closing. Tune holds the read lock for its
	// whole run, so Close cancels the run in progress (tuneStop) before it
	// waits for the write lock, and a Tune starting after that sees
	// closing.
	tuneMu   sync.Mutex
	tuneStop context.CancelFunc // the Tune in progress, nil when none
	closing  bool
}

// Open reads a checkpoint file (.pt or .safetensors) and prepares the model.
// path may also be a zip archive of checkpoints (see OpenReader) or a folder
// such as the official download (.exp/cls/imagenet/<variant>/checkpoint/
// evalmodel.pt, or <variant>/checkpoint/evalmodel.pt): Options.Variant picks
// one when it holds several, and an error lists them when it is not set.
func Open(ctx context.Context, path string, opt Options) (*Model, error) {
	defer opt.Prestarted.Close() // unless the open took it
	if err := checkOptions(opt); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lowformer: opening weights: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("lowformer: opening weights: %w", err)
	}
	if st.IsDir() {
		f.Close()
		file, err := findCheckpoint(path, opt.Variant)
		if err != nil {
			return nil, err
		}
		return Open(ctx, file, opt)
	}
	return OpenReader(ctx, f, st.Size(), opt)
}

// OpenBytes prepares the model from a checkpoint held in memory (or a zip
// archive of checkpoints, as OpenReader).
func OpenBytes(ctx context.Context, b []byte, opt Options) (*Model, error) {
	return OpenReader(ctx, bytes.NewReader(b), int64(len(b)), opt)
}

// OpenReader prepares the model from a checkpoint of size bytes read from r:
// a .pt or .safetensors file, or a zip archive holding them (such as a zip
// of the official download folder, .exp/cls/imagenet/<variant>/checkpoint/
// evalmodel.pt), from which Options.Variant picks one when there are several.
func OpenReader(ctx context.Context, r io.ReaderAt, size int64, opt Options) (*Model, error) {
	defer opt.Prestarted.Close() // unless the open took it
	if err := checkOptions(opt); err != nil {
		return nil, err
	}
	r, size, entry, err := checkpoint.Unbundle(r, size, opt.Variant)
	if err != nil {
		return nil, badCheckpoint("checkpoint: %w", err)
	}
	sd, err := checkpoint.Read(r, size)
	if err != nil {
		if entry != "" {
			return nil, badCheckpoint("%s in the zip archive: %w", entry, err)
		}
		return nil, badCheckpoint("%w", err)
	}
	return openStateDict(ctx, sd, opt)
}

// checkOptions refuses options that cannot work before any checkpoint is
// read: the GPU backend in a build without it, an unknown variant name.
func checkOptions(opt Options) error {
	if opt.Backend == GPU && !GPUSupported {
		return ErrNoGPUSupport
	}
	if opt.Backend == CPU && !CPUSupported {
		return ErrNoCPUSupport
	}
	if opt.Variant != "" {
		if _, err := model.ConfigByName(opt.Variant); err != nil {
			return badInput("Options.Variant: %w", err)
		}
	}
	if _, ok := parseStart(string(opt.Start)); !ok {
		return badInput("Options.Start: unknown start %q (want progressive or specialized)", opt.Start)
	}
	if _, ok := parseTuneMode(string(opt.Tune)); !ok {
		return badInput("Options.Tune: unknown tune mode %q (want off, cached or background)", opt.Tune)
	}
	_, err := resolveKernels(opt, os.Getenv)
	return err
}

func openStateDict(ctx context.Context, sd *checkpoint.StateDict, opt Options) (*Model, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := model.ResolveConfig(opt.Variant, sd)
	if err != nil {
		return nil, badCheckpoint("%w", err)
	}
	labels, err := labelsFor(sd.Meta, cfg.Classes)
	if err != nil {
		return nil, err
	}
	side := nativeSideFor(sd.Meta)
	// The GPU device opens before the graph is built, so that a
	// progressive start's generic pipelines compile meanwhile (openGPU);
	// the errors keep their order: the checkpoint's, the options', the
	// device's.
	wantGPU := opt.Backend != CPU && GPUSupported
	var o gpuOpening
	prestarted := false
	if wantGPU {
		if early := opt.Prestarted.take(opt); early != nil {
			o, prestarted = *early, true
		} else {
			o = startGPU(cfg, opt, side)
		}
	}
	abort, optErr, devErr := o.abort, o.optErr, o.devErr
	g, err := model.Build(cfg, sd)
	if err != nil {
		abort()
		return nil, badCheckpoint("%w", err)
	}
	params, _ := cfg.ParamCount()
	m := &Model{graph: g, info: Info{
		Variant: cfg.Name, Config: cfg, Params: params, Classes: cfg.Classes, Labels: labels, NativeSide: side,
		Format: sd.Format, DType: string(sd.FileDType), Quantization: sd.Quantization, HasOptState: sd.HasOptimizerState, Backend: CPU,
		Training: trainingFor(sd), EmbeddingSize: embeddingSize(cfg),
	}}
	if !wantGPU {
		return m.onCPU()
	}
	if optErr != nil {
		return nil, optErr
	}
	if devErr != nil {
		if opt.Backend == GPU || errors.Is(devErr, gpu.ErrDumpWGSL) {
			return nil, fmt.Errorf("lowformer: %w", devErr)
		}
		if !CPUSupported {
			return nil, &kindError{ErrNoCPUSupport, fmt.Errorf("lowformer: no WebGPU device (%w), and this build has no CPU backend to fall back to "+
				"(it was built with -tags lowformer_nocpu; in the browser lowformer-cpu.wasm or lowformer-scalar.wasm has one)", devErr)}
		}
		warn(opt, fmt.Sprintf("lowformer: no WebGPU device (%v); running on the CPU", devErr))
		return m.onCPU()
	}
	gm, dev, err := o.finish(g, side, opt)
	if err != nil {
		return nil, fmt.Errorf("lowformer: %w", err)
	}
	m.gpu = gm
	m.info.Backend, m.info.Adapter = GPU, dev.adapter
	m.info.Kernels, m.info.KernelsReason = dev.kernels, dev.reason
	m.info.Tuning, m.info.TuningNotes = dev.tuning.desc, dev.tuning.notes
	m.info.Start, _ = parseStart(string(opt.Start))
	m.info.Prestarted = prestarted
	return m, nil
}

// onCPU gives m its CPU model (Info().Backend is already CPU).
func (m *Model) onCPU() (*Model, error) {
	c, err := newCPU(m.graph)
	if err != nil {
		return nil, err
	}
	m.cpu = c
	return m, nil
}

// cpuModel is a model on the CPU backend (model.CPU's methods), an
// interface so that a build without the CPU backend (nocpu.go) refers to
// none of its code.
type cpuModel interface {
	Logits(input []float32, n, h, w int) ([]float32, error)
	Outputs(input []float32, n, h, w int, outs []model.Value) ([][]float32, error)
	Plan(n, h, w int) (*model.CPUPlan, error)
	MemoryBytes() int64
}

// gpuModel is a model on a WebGPU device of its own (openGPU's): Close
// releases its GPU objects, then the device.
type gpuModel interface {
	Logits(input []float32, n, h, w int) ([]float32, error)
	Outputs(input []float32, n, h, w int, outs []model.Value) ([][]float32, error)
	tune(ctx context.Context, opt TuneOptions, side int) (TuneResult, error)
	// phase and waitSpecialized are Info().Phase and
	// Model.WaitSpecialized.
	phase() Phase
	waitSpecialized(ctx context.Context) error
	// tuningTable is Model.TuningTable.
	tuningTable() *tuning.Table
	MemoryBytes() int64
	Close()
}

func warn(opt Options, msg string) {
	if opt.Warn != nil {
		opt.Warn(msg)
		return
	}
	fmt.Fprintln(os.Stderr, msg)
}

// Info describes the model; Phase is the phase at the time of the call.
func (m *Model) Info() Info {
	i := m.info
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.gpu != nil && !m.closed {
		i.Phase = m.gpu.phase()
	}
	return i
}

// Logits runs a batch of n images of h×w pixels given as NCHW float32 RGB,
// already normalized with the ImageNet mean and std, and returns the
// n×Classes logits. Any h, w in MinSide..MaxLogitsSide works. Every input value
// must be finite: a NaN or ±Inf is refused with an error naming the first
// one (its flat index and its image, channel, row and column), before any
// work is done.
func (m *Model) Logits(ctx context.Context, input []float32, n, h, w int) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkInput(input, n, h, w); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	if m.gpu != nil {
		return m.gpu.Logits(input, n, h, w)
	}
	return m.cpu.Logits(input, n, h, w)
}

// Warmup readies the model for batches of n images of side×side pixels
// (side 0: Info().NativeSide, MinSide..MaxLogitsSide otherwise), so that the first real call runs as fast as
// the later ones. On the GPU it builds the execution plan for that shape
// and runs it once on blank images: that makes the driver compile every
// shader, which on a CPU adapter with an empty shader cache takes seconds.
// On the CPU backend it builds the plan for that shape (packs the weights
// for the SIMD kernels and allocates the activation arena) without running it.
func (m *Model) Warmup(ctx context.Context, n, side int) error {
	if side == 0 {
		side = m.info.NativeSide
	}
	if n < 1 || side < MinSide || side > MaxLogitsSide || n > maxWarmupFloats/(3*side*side) {
		return badInput("warm-up for %d images of %d×%d: need n ≥ 1, a side of %d..%d and at most %d input values",
			n, side, side, MinSide, MaxLogitsSide, maxWarmupFloats)
	}
	if m.info.Backend == CPU {
		if err := ctx.Err(); err != nil {
			return err
		}
		m.mu.RLock()
		defer m.mu.RUnlock()
		if m.closed {
			return ErrClosed
		}
		_, err := m.cpu.Plan(n, side, side) // packs the weights, allocates the arena
		return err
	}
	_, err := m.Logits(ctx, make([]float32, n*3*side*side), n, side, side)
	return err
}

// maxWarmupFloats bounds the blank batch Warmup allocates (512 MiB).
const maxWarmupFloats = 1 << 27

// checkInput validates the shape and values of a Logits batch. The sizes
// are compared without overflow: n·3·h·w is only formed once n is known to
// be at most len(input)/(3·h·w).
func checkInput(input []float32, n, h, w int) error {
	if n < 1 || h < MinSide || w < MinSide || h > MaxLogitsSide || w > MaxLogitsSide {
		return badInput("input shape [%d,3,%d,%d]: need n ≥ 1 and h, w ≥ %d and ≤ %d", n, h, w, MinSide, MaxLogitsSide)
	}
	per := 3 * h * w
	if n > len(input)/per || n*per != len(input) {
		return badInput("input has %d values, shape [%d,3,%d,%d] needs %s", len(input), n, h, w, product(n, per))
	}
	for i, v := range input {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return badInput("input value %d (image %d, channel %d, row %d, column %d) is %v; inputs must be finite",
				i, i/per, i%per/(h*w), i%(h*w)/w, i%w, v)
		}
	}
	return nil
}

// product formats n·per (both ≥ 0), which may not fit an int: the 128-bit
// product in decimal. (Not math/big, which would add 150 KB to the wasm.)
func product(n, per int) string {
	hi, lo := bits.Mul64(uint64(n), uint64(per))
	if hi == 0 {
		return strconv.FormatUint(lo, 10)
	}
	// hi < 2^62 < 10^19, so the quotient fits 64 bits.
	const e19 = 10_000_000_000_000_000_000
	q, r := bits.Div64(hi, lo, e19)
	s := strconv.FormatUint(r, 10)
	return strconv.FormatUint(q, 10) + "0000000000000000000"[len(s):] + s
}

// GPUMemoryBytes is the GPU memory the model holds (weights, scratch
// buffers and the activation arenas of the input shapes used so far); 0 on
// the CPU.
func (m *Model) GPUMemoryBytes() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.gpu == nil || m.closed {
		return 0
	}
	return m.gpu.MemoryBytes()
}

// CPUMemoryBytes is the memory the model holds on the CPU backend: its
// weights packed for the CPU kernels and the activation arenas and scratch
// of the input shapes used so far (the parsed checkpoint not included); 0
// on the GPU.
func (m *Model) CPUMemoryBytes() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.cpu == nil || m.closed {
		return 0
	}
	return m.cpu.MemoryBytes()
}

// Close releases every GPU object of the model and its device, after
// cancelling a Tune in progress and waiting for the calls in flight. It is
// safe to call more than once.
func (m *Model) Close() error {
	m.tuneMu.Lock()
	m.closing = true
	if m.tuneStop != nil {
		m.tuneStop() // the Tune returns its partial result with context.Canceled
	}
	m.tuneMu.Unlock()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	g := m.gpu
	// Calls in flight hold the read lock, so they are done; later ones see
	// closed. The GPU model closes unlocked: it waits for a progressive
	// model's background goroutine, whose OnPhase may call Info.
	m.mu.Unlock()
	if g != nil {
		g.Close()
	}
	return nil
}
