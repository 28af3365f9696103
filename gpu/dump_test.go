package gpu_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

func TestDumpFileName(t *testing.T) {
	for label, want := range map[string]string{
		"gemm_m196_n512_k128_r14x16_wg32_hswish_res": "gemm_m196_n512_k128_r14x16_wg32_hswish_res.wgsl",
		"double":   "double.wgsl",
		"a/b c":    "a_b_c.wgsl",
		"../up":    "_._up.wgsl",
		"":         "_.wgsl",
		"x.y-Z":    "x.y-Z.wgsl",
		"bad\x00é": "bad___.wgsl",
	} {
		if got := gpu.DumpFileName(label); got != want {
			t.Errorf("DumpFileName(%q) = %q, want %q", label, got, want)
		}
	}
}

// The WGSL is dumped before it is compiled: a shader the driver rejects is
// in the dump too, and the compile error is reported as before.
func TestDumpBeforeCompile(t *testing.T) {
	gputest.Device(t) // skips without an adapter
	dir := filepath.Join(t.TempDir(), "dump")
	dump, err := gpu.DumpDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := gpu.Open(gpu.Options{DumpWGSL: dump})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	kinds := []gpu.BindingKind{gpu.ReadStorage, gpu.WriteStorage}
	p, err := d.CreatePipeline("double", doubleWGSL, kinds)
	if err != nil {
		t.Fatal(err)
	}
	p.Release()
	const bad = "fn main() { this is not WGSL }"
	if _, err := d.CreatePipeline("broken", bad, kinds); err == nil || errors.Is(err, gpu.ErrDumpWGSL) {
		t.Fatalf("a broken shader: error %v, want a compile error", err)
	}
	for name, want := range map[string]string{"double.wgsl": doubleWGSL, "broken.wgsl": bad} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want the source handed to CreatePipeline", name, got, err)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 2 {
		t.Errorf("%d entries in the dump folder, want 2 (no temporary files left)", len(es))
	}
}

func TestDumpDirErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", file, filepath.Join(file, "sub")} {
		if _, err := gpu.DumpDir(dir); !errors.Is(err, gpu.ErrDumpWGSL) {
			t.Errorf("DumpDir(%q): error %v, want one wrapping ErrDumpWGSL", dir, err)
		}
	}
	t.Setenv(gpu.EnvDumpWGSL, file)
	if d, err := gpu.Open(gpu.Options{}); err == nil {
		d.Close()
		t.Fatalf("Open with %s=%s (a file) succeeded", gpu.EnvDumpWGSL, file)
	} else if want := "^gpu: " + regexp.QuoteMeta(gpu.EnvDumpWGSL+"="+file) + ": "; !errors.Is(err, gpu.ErrDumpWGSL) || !regexp.MustCompile(want).MatchString(err.Error()) {
		t.Errorf("Open: error %q, want one wrapping ErrDumpWGSL matching %s", err, want)
	}
}
