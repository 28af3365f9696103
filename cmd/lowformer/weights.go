package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// defaultWeights, when not nil, supplies the checkpoint that commands use
// when -weights is omitted: its bytes (.pt or .safetensors) and a name for
// messages. It is nil until a default model is embedded.
var defaultWeights func() (data []byte, name string, err error)

// errNoWeights is returned when -weights is omitted and there is no
// built-in default.
var errNoWeights = errors.New("-weights is required (no built-in model is compiled in)")

// modelFlags are the flags that choose and open a model.
type modelFlags struct {
	weights, backend, variant, kernels string
	tuning, start                      string
}

// startUsage documents -start.
const startUsage = "how a GPU model starts: progressive (first results on a few generic pipelines, the specialized ones compiled in the background and swapped in) or specialized (compile them all before the first result)"

// tuningUsage documents -tuning.
const tuningUsage = "tuning table `file` from \"lowformer tune -o\"; empty: the adapter's cached table when there is one; off: none"

// tuningOptions sets the Options of -tuning v.
func tuningOptions(opt *lowformer.Options, v string) {
	switch v {
	case "":
	case "off":
		opt.Tune = lowformer.TuneOff
	default:
		opt.Tuning = v
	}
}

// kernelsUsage documents -kernels.
const kernelsUsage = "GPU kernel `set`: auto (from the adapter: cpu on lavapipe/SwiftShader, gpu on a GPU), cpu or gpu; empty: $LOWFORMER_KERNELS, else auto"

// validKernels reports whether s is a -kernels value ("" included).
func validKernels(s string) bool {
	_, err := lowformer.ParseKernels(s)
	return err == nil
}

// addModelFlags registers -weights, -backend, -variant, -kernels,
// -tuning and -start on fs.
func addModelFlags(fs *flag.FlagSet) *modelFlags {
	f := &modelFlags{}
	f.addWeightFlags(fs)
	fs.StringVar(&f.backend, "backend", "auto", "where to run: auto (GPU if there is one, else CPU), gpu or cpu")
	fs.StringVar(&f.kernels, "kernels", "", kernelsUsage)
	fs.StringVar(&f.tuning, "tuning", "", tuningUsage)
	fs.StringVar(&f.start, "start", "progressive", startUsage)
	return f
}

// addWeightFlags registers -weights and -variant, the flags that name the
// checkpoint, on fs.
func (f *modelFlags) addWeightFlags(fs *flag.FlagSet) {
	fs.StringVar(&f.weights, "weights", "", "checkpoint `file` (.pt or .safetensors), or a folder or .zip of the official download (pick one with -variant)")
	fs.StringVar(&f.variant, "variant", "", "expected `variant` (b0, b1, b15, b3, E1, E2, E3); empty detects it")
}

// check validates the flags without reading anything, so that command-line
// mistakes are reported before slow work.
func (f *modelFlags) check() error {
	if f.weights == "" && defaultWeights == nil {
		return errNoWeights
	}
	if _, err := lowformer.ParseBackend(f.backend); err != nil {
		return err
	}
	if !validKernels(f.kernels) {
		return fmt.Errorf("-kernels %q: want auto, cpu or gpu", f.kernels)
	}
	if _, err := lowformer.ParseStart(f.start); err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	return nil
}

// open opens the model named by -weights, or the built-in default when
// -weights is empty. Warnings (such as a CPU fallback) go to stderr.
func (f *modelFlags) open(ctx context.Context, stderr io.Writer) (*lowformer.Model, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	be, _ := lowformer.ParseBackend(f.backend)
	start, _ := lowformer.ParseStart(f.start)
	opt := lowformer.Options{Backend: be, Variant: f.variant, Kernels: lowformer.Kernels(f.kernels), Start: start, Warn: func(msg string) { fmt.Fprintln(stderr, msg) }}
	tuningOptions(&opt, f.tuning)
	if f.weights != "" {
		return lowformer.Open(ctx, f.weights, opt)
	}
	data, name, err := defaultWeights()
	if err != nil {
		return nil, fmt.Errorf("loading the built-in weights: %w", err)
	}
	m, err := lowformer.OpenBytes(ctx, data, opt)
	if err != nil {
		return nil, fmt.Errorf("%w (in the built-in weights %s)", err, name)
	}
	return m, nil
}
