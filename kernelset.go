package lowformer

import (
	"fmt"
	"strings"
)

// Kernels names the GPU kernel set a model runs with: shapes of the same
// computations tuned for one kind of adapter (see Options.Kernels).
type Kernels string

// Kernel sets.
const (
	// KernelsAuto chooses from the adapter: KernelsCPU on a CPU adapter
	// (lavapipe/llvmpipe, SwiftShader, a software fallback), KernelsGPU on
	// anything else.
	KernelsAuto Kernels = "auto"
	// KernelsCPU is shaped for WebGPU on a CPU: large register tiles per
	// invocation, small workgroups, no workgroup memory.
	KernelsCPU Kernels = "cpu"
	// KernelsGPU is shaped for real GPUs: workgroup-cooperative tiles
	// staged in workgroup memory, many invocations in flight.
	KernelsGPU Kernels = "gpu"
)

// KernelsEnv is the environment variable that sets the kernel set when
// Options.Kernels is empty (natively; the browser has no environment).
const KernelsEnv = "LOWFORMER_KERNELS"

// ParseKernels parses "auto" (or ""), "cpu" or "gpu", in any case; another
// value is an ErrBadInput error listing the valid ones.
func ParseKernels(s string) (Kernels, error) {
	k, ok := parseKernels(s)
	if !ok {
		return "", badInput("%s", unknownKernels(s))
	}
	return k, nil
}

func parseKernels(s string) (Kernels, bool) {
	switch k := Kernels(strings.ToLower(strings.TrimSpace(s))); k {
	case "", KernelsAuto:
		return KernelsAuto, true
	case KernelsCPU, KernelsGPU:
		return k, true
	}
	return "", false
}

func unknownKernels(s string) string {
	return fmt.Sprintf("unknown kernel set %q (want auto, cpu or gpu)", s)
}

// kernelChoice is the kernel set that Options ask for and where the
// request comes from, for Info.KernelsReason.
type kernelChoice struct {
	set  Kernels
	from string // "Options.Kernels" or "LOWFORMER_KERNELS"; "" for auto by default
}

// resolveKernels reads the kernel set from Options.Kernels, else from
// LOWFORMER_KERNELS (getenv), else auto; a bad value is an ErrBadInput
// error naming where it came from and the valid values.
func resolveKernels(opt Options, getenv func(string) string) (kernelChoice, error) {
	if opt.Kernels != "" {
		k, ok := parseKernels(string(opt.Kernels))
		if !ok {
			return kernelChoice{}, badInput("Options.Kernels: %s", unknownKernels(string(opt.Kernels)))
		}
		return kernelChoice{k, "Options.Kernels"}, nil
	}
	if v := getenv(KernelsEnv); v != "" {
		k, ok := parseKernels(v)
		if !ok {
			return kernelChoice{}, badInput("%s=%s: %s", KernelsEnv, v, unknownKernels(v))
		}
		return kernelChoice{k, KernelsEnv}, nil
	}
	return kernelChoice{KernelsAuto, ""}, nil
}

// openedDevice describes the device openGPU opened: the adapter's
// description and the kernel set chosen for it, with why.
type openedDevice struct {
	adapter, reason string
	kernels         Kernels
}
