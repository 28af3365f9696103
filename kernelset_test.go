package lowformer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// TestResolveKernels checks where the kernel set comes from (Options.Kernels
// over LOWFORMER_KERNELS over auto) and the errors for bad values.
func TestResolveKernels(t *testing.T) {
	for _, c := range []struct {
		name      string
		opt, env  string
		want      Kernels
		from, err string
	}{
		{"default", "", "", KernelsAuto, "", ""},
		{"option", "gpu", "", KernelsGPU, "Options.Kernels", ""},
		{"option in any case", " CPU ", "", KernelsCPU, "Options.Kernels", ""},
		{"option auto beats the environment", "auto", "gpu", KernelsAuto, "Options.Kernels", ""},
		{"option beats the environment", "cpu", "gpu", KernelsCPU, "Options.Kernels", ""},
		{"environment", "", "gpu", KernelsGPU, KernelsEnv, ""},
		{"environment auto", "", "auto", KernelsAuto, KernelsEnv, ""},
		{"bad option", "fast", "", "", "", `Options.Kernels: unknown kernel set "fast" (want auto, cpu or gpu)`},
		{"bad option, good environment", "webgpu", "gpu", "", "", `Options.Kernels: unknown kernel set "webgpu" (want auto, cpu or gpu)`},
		{"bad environment", "", "GPUs", "", "", `LOWFORMER_KERNELS=GPUs: unknown kernel set "GPUs" (want auto, cpu or gpu)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := func(k string) string {
				if k == KernelsEnv {
					return c.env
				}
				return ""
			}
			kc, err := resolveKernels(Options{Kernels: Kernels(c.opt)}, env)
			if c.err != "" {
				if err == nil || !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want an ErrBadInput error containing %q", err, c.err)
				}
				return
			}
			if err != nil || kc.set != c.want || kc.from != c.from {
				t.Fatalf("resolveKernels = %+v, %v; want %s from %q", kc, err, c.want, c.from)
			}
		})
	}
}

func TestParseKernels(t *testing.T) {
	for in, want := range map[string]Kernels{"": KernelsAuto, "auto": KernelsAuto, "cpu": KernelsCPU, "GPU": KernelsGPU} {
		if got, err := ParseKernels(in); err != nil || got != want {
			t.Errorf("ParseKernels(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseKernels("tpu")
	if err == nil || !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), `"tpu" (want auto, cpu or gpu)`) {
		t.Errorf("ParseKernels(tpu): %v", err)
	}
}

// TestOpenRefusesBadKernels checks that a bad kernel set fails Open on any
// backend, before the checkpoint is read (the path does not exist).
func TestOpenRefusesBadKernels(t *testing.T) {
	for _, be := range []Backend{CPU, Auto} {
		_, err := Open(context.Background(), "no/such/file.pt", Options{Backend: be, Kernels: "big"})
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "unknown kernel set") {
			t.Errorf("%s: Open with Kernels big: %v", be, err)
		}
	}
	t.Setenv(KernelsEnv, "huge")
	_, err := Open(context.Background(), "no/such/file.pt", Options{Backend: CPU})
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "LOWFORMER_KERNELS=huge") {
		t.Errorf("Open with LOWFORMER_KERNELS=huge: %v", err)
	}
}

// TestKernelsInfo opens a small model on the GPU through each override
// path and checks which set Info reports, and why; both sets must give the
// same logits within f32 rounding. On the CPU backend Info names no set.
func TestKernelsInfo(t *testing.T) {
	file := safetensorsOf(t, synthStateDict(t, smallConfig), "F32", nil)
	cpu := openOn(t, file, CPU)
	defer cpu.Close()
	if in := cpu.Info(); in.Kernels != "" || in.KernelsReason != "" {
		t.Errorf("CPU backend: Info.Kernels %q (%s), want none", in.Kernels, in.KernelsReason)
	}
	requireGPU(t)
	input := synthInput(2, 64, 64, 5)
	want, err := cpu.Logits(context.Background(), input, 2, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		opt     Kernels
		env     string
		set     Kernels // "" : the adapter's choice, any
		because string
	}{
		{"auto", "", "", "", "auto: "},
		{"option gpu", KernelsGPU, "", KernelsGPU, "forced by Options.Kernels"},
		{"option cpu", KernelsCPU, "gpu", KernelsCPU, "forced by Options.Kernels"},
		{"environment gpu", "", "gpu", KernelsGPU, "forced by LOWFORMER_KERNELS"},
		{"environment auto", "", "auto", "", "auto: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(KernelsEnv, c.env)
			m, err := OpenBytes(context.Background(), file, Options{Backend: GPU, Kernels: c.opt})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			in := m.Info()
			if !slices.Contains([]Kernels{KernelsCPU, KernelsGPU}, in.Kernels) || (c.set != "" && in.Kernels != c.set) ||
				!strings.HasPrefix(in.KernelsReason, c.because) {
				t.Fatalf("Info.Kernels %q (%s), want %q because %q", in.Kernels, in.KernelsReason, c.set, c.because)
			}
			t.Logf("%s on %s: kernels %s (%s)", c.name, in.Adapter, in.Kernels, in.KernelsReason)
			got, err := m.Logits(context.Background(), input, 2, 64, 64)
			if err != nil {
				t.Fatal(err)
			}
			if d := ref.MaxAbsDiff(got, want); d > 2e-4 {
				t.Errorf("kernels %s: logits differ from the CPU backend's by %.3g", in.Kernels, d)
			}
		})
	}
}
