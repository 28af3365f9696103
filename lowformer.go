// Package lowformer runs LowFormer image classifiers (arXiv 2409.03460:
// B0, B1, B1.5, B3, E1, E2, E3 and custom widths/depths) with WGSL compute
// shaders on WebGPU: natively through wgpu-native, and in the browser when
// compiled to GOOS=js GOARCH=wasm. A pure-Go CPU path runs the same model
// without a GPU.
//
//	m, err := lowformer.Open(ctx, "evalmodel.pt", lowformer.Options{})
//	defer m.Close()
//	logits, err := m.Logits(ctx, batch, n, 224, 224) // NCHW float32, normalized
//
// Weights are read directly from the official evalmodel.pt (a safe subset of
// pickle: loading never runs code) or from safetensors.
package lowformer

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"sync"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// Backend selects where a model runs.
type Backend int

// Backends. Auto uses the GPU when a WebGPU adapter exists and falls back to
// the CPU with a warning otherwise.
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

	// device selects the WebGPU adapter; tests ask for a backend this
	// machine lacks to make device creation fail for real.
	device gpu.Options
}

// Info describes an open model.
type Info struct {
	Variant     string       // "B0", ..., or "custom"
	Config      model.Config // the full architecture
	Params      int          // number of parameters
	Classes     int
	Labels      []string // class names, Classes long
	InputSize   int      // the resolution the model expects (metadata "input_size", else 224)
	Format      string   // "pytorch" or "safetensors"
	DType       string   // dominant float dtype of the file
	Backend     Backend  // GPU or CPU, as resolved
	Adapter     string   // the WebGPU adapter, empty on the CPU
	HasOptState bool     // the .pt file carries optimizer state
}

// Model is an open LowFormer network. It is safe for concurrent use.
type Model struct {
	info  Info
	graph *model.Graph
	gpu   *model.GPU
	cpu   *model.CPU
	dev   *gpu.Device

	mu     sync.RWMutex
	closed bool
}

// Open reads a checkpoint file (.pt or .safetensors) and prepares the model.
func Open(ctx context.Context, path string, opt Options) (*Model, error) {
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
		return nil, badCheckpoint("weights %s is a directory, not a checkpoint file", path)
	}
	return OpenReader(ctx, f, st.Size(), opt)
}

// OpenBytes prepares the model from a checkpoint held in memory.
func OpenBytes(ctx context.Context, b []byte, opt Options) (*Model, error) {
	sd, err := checkpoint.ReadBytes(b)
	if err != nil {
		return nil, badCheckpoint("%w", err)
	}
	return openStateDict(ctx, sd, opt)
}

// OpenReader prepares the model from a checkpoint of size bytes read from r.
func OpenReader(ctx context.Context, r io.ReaderAt, size int64, opt Options) (*Model, error) {
	sd, err := checkpoint.Read(r, size)
	if err != nil {
		return nil, badCheckpoint("%w", err)
	}
	return openStateDict(ctx, sd, opt)
}

func openStateDict(ctx context.Context, sd *checkpoint.StateDict, opt Options) (*Model, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opt.Variant != "" {
		if _, err := model.ConfigByName(opt.Variant); err != nil {
			return nil, badInput("Options.Variant: %w", err)
		}
	}
	cfg, err := model.ResolveConfig(opt.Variant, sd)
	if err != nil {
		return nil, badCheckpoint("%w", err)
	}
	labels, err := labelsFor(sd.Meta, cfg.Classes)
	if err != nil {
		return nil, err
	}
	g, err := model.Build(cfg, sd)
	if err != nil {
		return nil, badCheckpoint("%w", err)
	}
	params, _ := cfg.ParamCount()
	m := &Model{graph: g, cpu: model.NewCPU(g), info: Info{
		Variant: cfg.Name, Config: cfg, Params: params, Classes: cfg.Classes, Labels: labels, InputSize: inputSizeFor(sd.Meta),
		Format: sd.Format, DType: string(sd.FileDType), HasOptState: sd.HasOptimizerState, Backend: CPU,
	}}
	if opt.Backend == CPU {
		return m, nil
	}
	dev, err := gpu.Open(opt.device)
	if err != nil {
		if opt.Backend == GPU {
			return nil, fmt.Errorf("lowformer: %w", err)
		}
		warn(opt, fmt.Sprintf("lowformer: no WebGPU device (%v); running on the CPU", err))
		return m, nil
	}
	m.dev = dev
	m.gpu = model.NewGPU(dev, g)
	m.info.Backend, m.info.Adapter = GPU, dev.Info.Description
	return m, nil
}

func warn(opt Options, msg string) {
	if opt.Warn != nil {
		opt.Warn(msg)
		return
	}
	fmt.Fprintln(os.Stderr, msg)
}

// Info describes the model.
func (m *Model) Info() Info { return m.info }

// MaxInputSide is the largest input height or width Logits accepts.
const MaxInputSide = 16384

// Logits runs a batch of n images of h×w pixels given as NCHW float32 RGB,
// already normalized with the ImageNet mean and std, and returns the
// n×Classes logits. Any h, w in 32..MaxInputSide works. Every input value
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

// Warmup readies the model for batches of n images of size×size pixels
// (size 0: Info().InputSize), so that the first real call runs as fast as
// the later ones. On the GPU it builds the execution plan for that shape
// and runs it once on blank images: that makes the driver compile every
// shader, which on a CPU adapter with an empty shader cache takes seconds.
// On the CPU backend there is nothing to prepare and it returns at once.
func (m *Model) Warmup(ctx context.Context, n, size int) error {
	if size == 0 {
		size = m.info.InputSize
	}
	if n < 1 || size < model.MinInputSize || size > MaxInputSide || n > maxWarmupFloats/(3*size*size) {
		return badInput("warm-up for %d images of %d×%d: need n ≥ 1, a side of %d..%d and at most %d input values",
			n, size, size, model.MinInputSize, MaxInputSide, maxWarmupFloats)
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
		return nil
	}
	_, err := m.Logits(ctx, make([]float32, n*3*size*size), n, size, size)
	return err
}

// maxWarmupFloats bounds the blank batch Warmup allocates (512 MiB).
const maxWarmupFloats = 1 << 27

// checkInput validates the shape and values of a Logits batch. The sizes
// are compared without overflow: n·3·h·w is only formed once n is known to
// be at most len(input)/(3·h·w).
func checkInput(input []float32, n, h, w int) error {
	if n < 1 || h < model.MinInputSize || w < model.MinInputSize || h > MaxInputSide || w > MaxInputSide {
		return badInput("input shape [%d,3,%d,%d]: need n ≥ 1 and h, w ≥ %d and ≤ %d", n, h, w, model.MinInputSize, MaxInputSide)
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

// product formats n·per, which may not fit an int.
func product(n, per int) string {
	return new(big.Int).Mul(big.NewInt(int64(n)), big.NewInt(int64(per))).String()
}

// GPUMemoryBytes is the GPU memory the model holds (weights and the
// activation arenas of the input shapes used so far); 0 on the CPU.
func (m *Model) GPUMemoryBytes() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.gpu == nil || m.closed {
		return 0
	}
	return m.gpu.MemoryBytes()
}

// Close releases every GPU object of the model and its device. It is safe
// to call more than once.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	if m.gpu != nil {
		m.gpu.Close()
		m.dev.Close()
	}
	return nil
}
