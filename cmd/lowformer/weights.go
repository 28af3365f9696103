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
}

// kernelsUsage documents -kernels.
const kernelsUsage = "GPU kernel `set`: auto (from the adapter: cpu on lavapipe/SwiftShader, gpu on a GPU), cpu or gpu; empty: $LOWFORMER_KERNELS, else auto"

// validKernels reports whether s is a -kernels value ("" included).
func validKernels(s string) bool {
	_, err := lowformer.ParseKernels(s)
	return err == nil
}

// addModelFlags registers -weights, -backend, -variant and -kernels on fs.
func addModelFlags(fs *flag.FlagSet) *modelFlags {
	f := &modelFlags{}
	fs.StringVar(&f.weights, "weights", "", "checkpoint `file` (.pt or .safetensors), or a folder or .zip of the official download (pick one with -variant)")
	fs.StringVar(&f.backend, "backend", "auto", "where to run: auto (GPU if there is one, else CPU), gpu or cpu")
	fs.StringVar(&f.variant, "variant", "", "expected `variant` (b0, b1, b15, b3, E1, E2, E3); empty detects it")
	fs.StringVar(&f.kernels, "kernels", "", kernelsUsage)
	return f
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
	return nil
}

// open opens the model named by -weights, or the built-in default when
// -weights is empty. Warnings (such as a CPU fallback) go to stderr.
func (f *modelFlags) open(ctx context.Context, stderr io.Writer) (*lowformer.Model, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	be, _ := lowformer.ParseBackend(f.backend)
	opt := lowformer.Options{Backend: be, Variant: f.variant, Kernels: lowformer.Kernels(f.kernels), Warn: func(msg string) { fmt.Fprintln(stderr, msg) }}
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
