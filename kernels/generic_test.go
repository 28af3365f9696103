//go:build js || cgo

package kernels

import (
	"fmt"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// generic is the target of the generic kernels.
var genericTarget = Target{Generic: true}

// TestGenericConv runs the generic Conv on every Conv and Pointwise
// conformance case (a 1×1 convolution is a generic Conv with K = 1)
// against the reference.
func TestGenericConv(t *testing.T) {
	type cc struct {
		n, h, w, cin, cout, k, stride int
		e                             Epilogue
	}
	var cases []cc
	for _, s := range convCases {
		cases = append(cases, cc{s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.e})
	}
	for _, s := range pointwiseCases {
		cases = append(cases, cc{s.n, s.h, s.w, s.k, s.cout, 1, 1, s.e})
	}
	for i, s := range cases {
		k := genericTarget.Conv(s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.e)
		t.Run(fmt.Sprintf("%d_%s_k%d_s%d_%dx%dx%dx%d_to%d_%s", i, k.Label(), s.k, s.stride, s.n, s.h, s.w, s.cin, s.cout, s.e), func(t *testing.T) {
			ho, wo := k.OutSize()
			c := newDenseCase(s.n, s.h, s.w, s.cin, s.k*s.k*s.cin*s.cout, s.cout, s.e.Residual, [4]int{s.n, ho, wo, s.cout}, 11)
			want := ref.Conv2D(c.x, c.w, c.bias, s.k, s.stride, s.cout, s.e.Act, c.res).Data
			c.run(t, k, false, s.k*s.k*s.cin, s.cout, want)
		})
	}
}

// TestGenericKernelsShareAPipeline checks that the generic kernels of a
// family with the same structural choices have one pipeline key and the
// same WGSL, whatever their sizes and activation, and that the sizes
// reach their Params.
func TestGenericKernelsShareAPipeline(t *testing.T) {
	a := genericTarget.Conv(1, 56, 56, 32, 128, 3, 2, Epilogue{Act: hs})
	b := genericTarget.Conv(2, 7, 9, 256, 1024, 1, 1, Epilogue{Act: ge})
	c := genericTarget.Conv(2, 7, 9, 256, 1024, 1, 1, Epilogue{Residual: true})
	for _, k := range []Kernel{a, b, c} {
		if !IsGeneric(k) {
			t.Fatalf("%s: not generic", k.Label())
		}
	}
	if PipelineKey(a) != PipelineKey(b) || PipelineKey(a) == PipelineKey(c) {
		t.Errorf("pipeline keys: %v, %v, %v: want the first two equal and the residual one apart", PipelineKey(a), PipelineKey(b), PipelineKey(c))
	}
	sa, err := a.Source()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Source()
	if err != nil {
		t.Fatal(err)
	}
	if sa != sb {
		t.Errorf("generic convs of different sizes render different WGSL")
	}
	if pa, pb := Params(a), Params(b); fmt.Sprint(pa) == fmt.Sprint(pb) || len(pa) != maxParams {
		t.Errorf("params %v and %v: want different sizes, %d words", pa, pb, maxParams)
	}
	if Params(ChooseConv(1, 7, 7, 4, 4, 3, 1, Epilogue{})) != nil {
		t.Errorf("a specialization has Params")
	}
}
