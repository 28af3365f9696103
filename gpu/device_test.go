//go:build js || cgo

package gpu_test

import (
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

const doubleWGSL = `
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
const N = 1000u;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x < N) { Y[gid.x] = 2.0 * X[gid.x] + 1.0; }
}`

func TestRunAndReadback(t *testing.T) {
	d := gputest.Device(t)
	p, err := d.CreatePipeline("double", doubleWGSL, []gpu.BindingKind{gpu.ReadStorage, gpu.WriteStorage})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	in := make([]float32, 1000)
	for i := range in {
		in[i] = float32(i) * 0.5
	}
	for i, v := range runOn(t, d, p, in) {
		if want := 2*in[i] + 1; v != want {
			t.Fatalf("out[%d] = %v, want %v", i, v, want)
		}
	}
}

// runOn runs p (a doubleWGSL-like pipeline: X in, Y out, 1000 floats) on
// in and returns Y.
func runOn(t *testing.T, d *gpu.Device, p *gpu.Pipeline, in []float32) []float32 {
	t.Helper()
	x, err := d.NewBufferFloats("x", in)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Release()
	y, err := d.NewBuffer("y", 4000)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Release()
	bg, err := d.BindGroup(p, gpu.BufferRes(x), gpu.BufferRes(y))
	if err != nil {
		t.Fatal(err)
	}
	defer bg.Release()
	out, err := d.Run([]gpu.Dispatch{{Pipeline: p, Group: bg, X: 16, Y: 1, Z: 1}}, y, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestShaderErrorIsGoError(t *testing.T) {
	d := gputest.Device(t)
	_, err := d.CreatePipeline("broken", "fn main( {", []gpu.BindingKind{gpu.ReadStorage})
	if err == nil {
		t.Fatal("invalid WGSL compiled without error")
	}
	if !strings.Contains(err.Error(), "broken") {
		t.Errorf("error %q does not name the pipeline", err)
	}
}

func TestBufferOverLimitIsRefused(t *testing.T) {
	d := gputest.Device(t)
	if _, err := d.NewBuffer("huge", d.Limits.MaxBufferSize+16); err == nil {
		t.Fatal("buffer over the device limit was created")
	}
}

func TestClosedDevice(t *testing.T) {
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		t.Skipf("no WebGPU adapter: %v", err)
	}
	d.Close()
	if _, err := d.NewBuffer("x", 16); err == nil {
		t.Fatal("NewBuffer on a closed device succeeded")
	}
	d.Close() // idempotent
}

// TestCreatePipelines builds several pipelines in one call and runs each:
// they come back in the order asked for, each compiled from its own source.
func TestCreatePipelines(t *testing.T) {
	d := gputest.Device(t)
	kinds := []gpu.BindingKind{gpu.ReadStorage, gpu.WriteStorage}
	factors := []string{"2.0", "3.0", "-1.0"}
	var specs []gpu.PipelineSpec
	for _, f := range factors {
		specs = append(specs, gpu.PipelineSpec{Label: "times" + f, WGSL: strings.Replace(doubleWGSL, "2.0 *", f+" *", 1), Kinds: kinds})
	}
	ps, err := d.CreatePipelines(specs)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != len(specs) {
		t.Fatalf("%d pipelines for %d specs", len(ps), len(specs))
	}
	in := make([]float32, 1000)
	copy(in, []float32{1, 2, 3, 4})
	for i, p := range ps {
		defer p.Release()
		if p.Label != specs[i].Label {
			t.Errorf("pipeline %d is %q, want %q", i, p.Label, specs[i].Label)
		}
		f := []float32{2, 3, -1}[i]
		for j, v := range runOn(t, d, p, in)[:4] {
			if want := f*float32(j+1) + 1; v != want {
				t.Errorf("%s: out[%d] = %v, want %v", p.Label, j, v, want)
			}
		}
	}
}
