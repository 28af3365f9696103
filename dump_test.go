//go:build (js || cgo) && !lowformer_nogpu

package lowformer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// openTinyDumping opens testdata/tiny.safetensors on the GPU with
// LOWFORMER_DUMP_WGSL=dir, starting specialized: the dump tests count the
// pipelines, which a progressive start's background specialization would
// add to while they do.
func openTinyDumping(t *testing.T, dir string) *Model {
	t.Helper()
	requireGPU(t)
	file, err := os.ReadFile(tinySafetensors)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(gpu.EnvDumpWGSL, dir)
	m, err := OpenBytes(context.Background(), file, Options{Backend: GPU, Start: StartSpecialized})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// wgslFiles lists the names in dir (temporary files included), sorted.
func wgslFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.Name()
	}
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// LOWFORMER_DUMP_WGSL=DIR leaves one DIR/<label>.wgsl per pipeline the
// model built, holding exactly the kernel's Source().
func TestDumpWGSLEnv(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wgsl", "nested") // created by Open
	m := openTinyDumping(t, dir)
	if _, err := m.Logits(context.Background(), synthInput(2, 40, 48, 1), 2, 40, 48); err != nil {
		t.Fatal(err)
	}
	ks := builtKernels(m)
	if len(ks) == 0 || len(ks) != len(builtKernels(m)) {
		t.Fatalf("%d kernels listed, the cache holds %d pipelines", len(ks), len(builtKernels(m)))
	}
	files := wgslFiles(t, dir)
	if len(files) != len(ks) {
		t.Fatalf("%d files in the dump folder for %d pipelines: %v", len(files), len(ks), files)
	}
	for _, k := range ks {
		if gpu.DumpFileName(k.Label()) != k.Label()+".wgsl" {
			t.Errorf("label %q is not a plain file name", k.Label())
		}
		got, err := os.ReadFile(filepath.Join(dir, k.Label()+".wgsl"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := k.Source()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s.wgsl differs from the kernel's Source()", k.Label())
		}
	}
	// A new shape adds the pipelines it needs, as they are created.
	if _, err := m.Logits(context.Background(), synthInput(1, 64, 64, 2), 1, 64, 64); err != nil {
		t.Fatal(err)
	}
	if n, files := len(builtKernels(m)), wgslFiles(t, dir); len(files) != n || n <= len(ks) {
		t.Errorf("after a second shape: %d files for %d pipelines (%d before)", len(files), n, len(ks))
	}
}

// A dump folder that cannot be created fails Open, even with Backend Auto
// (no silent fall-back to the CPU), with an error naming the variable.
func TestDumpWGSLUnwritableFolder(t *testing.T) {
	file, err := os.ReadFile(tinySafetensors)
	if err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(gpu.EnvDumpWGSL, filepath.Join(notDir, "wgsl"))
	for _, be := range []Backend{Auto, GPU} {
		var warnings []string
		m, err := OpenBytes(context.Background(), file, Options{Backend: be, Warn: func(s string) { warnings = append(warnings, s) }})
		if err == nil {
			m.Close()
			t.Fatalf("backend %v: Open succeeded with an unusable dump folder (warnings %q)", be, warnings)
		}
		if !errors.Is(err, gpu.ErrDumpWGSL) || !strings.Contains(err.Error(), gpu.EnvDumpWGSL) {
			t.Errorf("backend %v: error %q, want one wrapping gpu.ErrDumpWGSL and naming %s", be, err, gpu.EnvDumpWGSL)
		}
	}
	// The CPU backend opens no device and dumps nothing.
	m, err := OpenBytes(context.Background(), file, Options{Backend: CPU})
	if err != nil {
		t.Fatalf("CPU backend: %v", err)
	}
	m.Close()
}

// A dump file that cannot be written fails the call that creates its
// pipeline with a clear error; once the folder is back, the same call works.
func TestDumpWGSLWriteFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wgsl")
	m := openTinyDumping(t, dir)
	if err := os.Remove(dir); err != nil { // nothing dumped yet: the plans are built on first use
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	x := synthInput(1, 32, 32, 3)
	_, err := m.Logits(context.Background(), x, 1, 32, 32)
	if !errors.Is(err, gpu.ErrDumpWGSL) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Logits with an unwritable dump: error %v, want one wrapping gpu.ErrDumpWGSL naming %s", err, dir)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Logits(context.Background(), x, 1, 32, 32); err != nil {
		t.Fatalf("Logits once the folder is back: %v", err)
	}
	if files := wgslFiles(t, dir); len(files) != len(builtKernels(m)) {
		t.Errorf("%d files for %d pipelines: %v", len(files), len(builtKernels(m)), files)
	}
}

// Options.DumpWGSL receives every pipeline's source (and takes precedence
// over the variable); its error fails the call, wrapped.
func TestDumpWGSLOption(t *testing.T) {
	requireGPU(t)
	file, err := os.ReadFile(tinySafetensors)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv(gpu.EnvDumpWGSL, dir)
	got := map[string]string{}
	boom := errors.New("boom")
	var fail bool
	// Started specialized, as openTinyDumping.
	m, err := OpenBytes(context.Background(), file, Options{Backend: GPU, Start: StartSpecialized, DumpWGSL: func(label, wgsl string) error {
		if fail {
			return boom
		}
		got[label] = wgsl
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Warmup(context.Background(), 1, 0); err != nil {
		t.Fatal(err)
	}
	ks := builtKernels(m)
	if len(got) != len(ks) {
		t.Fatalf("the callback got %d sources for %d pipelines", len(got), len(ks))
	}
	for _, k := range ks {
		if want, _ := k.Source(); got[k.Label()] != want {
			t.Errorf("the callback's source of %s differs from Source()", k.Label())
		}
	}
	if files := wgslFiles(t, dir); len(files) != 0 {
		t.Errorf("the option set, the variable's folder got files: %v", files)
	}
	fail = true
	_, err = m.Logits(context.Background(), synthInput(1, 48, 48, 4), 1, 48, 48)
	if !errors.Is(err, gpu.ErrDumpWGSL) || !errors.Is(err, boom) {
		t.Fatalf("a failing callback: error %v, want one wrapping gpu.ErrDumpWGSL and the callback's", err)
	}
}

// builtKernels lists the kernels whose pipelines m has built.
func builtKernels(m *Model) []kernels.Kernel { return m.gpu.(*deviceModel).Kernels() }
