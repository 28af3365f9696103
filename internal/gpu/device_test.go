package gpu_test

import (
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gpu"
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
	for i, v := range out {
		if want := 2*in[i] + 1; v != want {
			t.Fatalf("out[%d] = %v, want %v", i, v, want)
		}
	}
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
