//go:build js || cgo

package gpu_test

import (
	"slices"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// TestFeatures checks the adapter's feature list (sorted WebGPU names) and
// that the device enables exactly the optional features the kernels can
// use that the adapter offers.
func TestFeatures(t *testing.T) {
	d := gputest.Device(t)
	in := d.Info
	t.Logf("adapter %q: type %q, vendor %q, architecture %q, features %v; device features %v",
		in.Description, in.Type, in.Vendor, in.Architecture, in.Features, d.Features)
	if !slices.IsSorted(in.Features) || !slices.IsSorted(d.Features) {
		t.Errorf("feature lists not sorted: adapter %v, device %v", in.Features, d.Features)
	}
	var want []string
	for _, f := range []string{gpu.FeatureShaderF16, gpu.FeatureSubgroups} {
		if in.HasFeature(f) {
			want = append(want, f)
		}
	}
	if in.Backend != "webgpu" {
		want = slices.DeleteFunc(want, func(f string) bool { return f == gpu.FeatureSubgroups }) // wgpu-native: not requestable
	}
	if !slices.Equal(d.Features, want) {
		t.Errorf("device features %v, want %v (the optional ones the adapter offers)", d.Features, want)
	}
	if in.Type == "" && in.Backend != "webgpu" {
		t.Errorf("native adapter without a type")
	}
}
