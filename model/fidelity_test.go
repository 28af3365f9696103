package model

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// The deep-variant fidelity check (issue 13, item 5). The rule:
// our logits within logitTol of PyTorch fp32's, or no further from the
// fp64 truth than fidelityRatio times PyTorch fp32's own distance from it.
// The synthetic weights give logits of max-abs ≈ 2–3 (trained checkpoints:
// ≈ 10–20), so every variant is ~100× inside logitTol and that half of the
// rule could not fail; the test checks the relative half alone, which
// implies the rule. Before blocked summation in the GEMMs, B3 was 2.1×
// (CPU) and 2.3× (GPU) PyTorch fp32's distance here and failed it.
//
// It runs at 224×224, the size the checkpoints are evaluated at: the
// rounding that adds up through a deep variant's stages depends on the
// image size (stage 1–2 Winograd convolutions see 56×56 and 28×28 images
// there, a few pixels at 64×64), so a small image would not check it.
// B3 is the variant by default (the deepest with every block kind:
// stem blocks, 3×3 stages, attention, MLP, MBConv); set
// LOWFORMER_FIDELITY_VARIANTS (e.g. "b0 b1 b15 b3 E1 E2 E3") for others.
const (
	fidelityRatio = 1.5
	fidelitySize  = 224
)

// fidelityCase is one variant's fixture of testdata/fidelity.py.
type fidelityCase struct {
	Variant    string
	Graph      *Graph
	Input      []float32
	FP64, FP32 []float32 // the fp64 truth, PyTorch fp32
	TorchDist  float32   // max-abs of FP32 against FP64
}

var (
	fidelityOnce  sync.Once
	fidelityData  []fidelityCase
	fidelityError error
	fidelitySkip  string
)

// fidelityPython is the interpreter of testdata/fidelity.py: LOWFORMER_PYTHON,
// else Debian's /usr/bin/python3 (where python3-torch installs), else
// python3 on the PATH.
func fidelityPython() string {
	if p := os.Getenv("LOWFORMER_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// fidelityCases makes the fixtures once per test binary: the synthetic
// official-format checkpoints, the input and the reference logits (through
// testdata/fidelity.py), and the graphs read back from the checkpoints. It
// skips the test where python3 with torch and numpy is missing.
func fidelityCases(t *testing.T) []fidelityCase {
	t.Helper()
	fidelityOnce.Do(func() {
		py := fidelityPython()
		if out, err := exec.Command(py, "-c", "import torch, numpy, PIL").CombinedOutput(); err != nil {
			fidelitySkip = fmt.Sprintf("skipping: the fidelity check needs python3 with torch, numpy and PIL (Debian: apt-get install python3-torch python3-numpy python3-pil; LOWFORMER_PYTHON to choose the interpreter): %s: %v %s",
				py, err, strings.TrimSpace(string(out)))
			return
		}
		variants := strings.Fields(os.Getenv("LOWFORMER_FIDELITY_VARIANTS"))
		if len(variants) == 0 {
			variants = []string{"b3"}
		}
		dir, err := os.MkdirTemp("", "lowformer-fidelity-")
		if err != nil {
			fidelityError = err
			return
		}
		defer os.RemoveAll(dir)
		start := time.Now()
		// -B: no __pycache__ left in the checkout.
		args := append([]string{"-B", filepath.Join("testdata", "fidelity.py"), dir, fmt.Sprint(fidelitySize), fmt.Sprint(fidelitySize), "1"}, variants...)
		out, err := exec.Command(py, args...).CombinedOutput()
		if err != nil {
			fidelityError = fmt.Errorf("testdata/fidelity.py: %v\n%s", err, out)
			return
		}
		t.Logf("testdata/fidelity.py (%v):\n%s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(string(out)))
		for _, v := range variants {
			c, err := readFidelityCase(filepath.Join(dir, v), v)
			if err != nil {
				fidelityError = fmt.Errorf("%s: %w", v, err)
				return
			}
			fidelityData = append(fidelityData, c)
		}
	})
	if fidelitySkip != "" {
		t.Skip(fidelitySkip)
	}
	if fidelityError != nil {
		t.Fatal(fidelityError)
	}
	return fidelityData
}

// readFidelityCase reads one variant's fixture folder.
func readFidelityCase(dir, v string) (fidelityCase, error) {
	c := fidelityCase{Variant: v}
	sd, err := checkpoint.ReadFile(filepath.Join(dir, "evalmodel.pt"))
	if err != nil {
		return c, err
	}
	cfg, err := ResolveConfig(v, sd)
	if err != nil {
		return c, err
	}
	if c.Graph, err = Build(cfg, sd); err != nil {
		return c, err
	}
	for _, f := range []struct {
		name string
		dst  *[]float32
		n    int
	}{{"input.bin", &c.Input, 3 * fidelitySize * fidelitySize}, {"fp64.bin", &c.FP64, 1000}, {"fp32.bin", &c.FP32, 1000}} {
		if *f.dst, err = refdata.ReadF32(filepath.Join(dir, f.name)); err != nil {
			return c, err
		}
		if len(*f.dst) != f.n {
			return c, fmt.Errorf("%s: %d floats, want %d", f.name, len(*f.dst), f.n)
		}
	}
	c.TorchDist = ref.MaxAbsDiff(c.FP32, c.FP64)
	return c, nil
}

// checkFidelity applies the rule to our logits of c on path (a name for
// the messages).
func checkFidelity(t *testing.T, c fidelityCase, path string, got []float32) {
	t.Helper()
	vs32, vs64 := ref.MaxAbsDiff(got, c.FP32), ref.MaxAbsDiff(got, c.FP64)
	t.Logf("%s %s at %d×%d: max-abs %.3e vs PyTorch fp32, %.3e vs fp64 (PyTorch fp32 is %.3e from fp64: ratio %.2f; max|logit| %.3f)",
		c.Variant, path, fidelitySize, fidelitySize, vs32, vs64, c.TorchDist, vs64/max(c.TorchDist, 1e-30), ref.MaxAbs(c.FP64))
	if vs64 > fidelityRatio*c.TorchDist {
		t.Errorf("%s on the %s path: %.3g from the fp64 truth, over %.1f × PyTorch fp32's %.3g (and %.3g from PyTorch fp32)",
			c.Variant, path, vs64, fidelityRatio, c.TorchDist, vs32)
	}
}

// TestFidelityDeepCPU checks the CPU path on the deep variant(s) at
// 224×224 against PyTorch fp32 and the fp64 truth.
func TestFidelityDeepCPU(t *testing.T) {
	for _, c := range fidelityCases(t) {
		t.Run(c.Variant, func(t *testing.T) {
			got, err := NewCPU(c.Graph).Logits(c.Input, 1, fidelitySize, fidelitySize)
			if err != nil {
				t.Fatal(err)
			}
			checkFidelity(t, c, "CPU", got)
		})
	}
}
