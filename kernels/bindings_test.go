//go:build js || cgo

package kernels

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/gpu"
)

// familySpecializations are specializations of every kernel type
// covering what changes the binding list: residual or not, weights in a
// texture or a buffer, Linear's scalar output, the batched Winograd GEMM.
func familySpecializations() []Kernel {
	var ks []Kernel
	for _, e := range []Epilogue{{}, {Act: act.HSwish, Residual: true}} {
		for _, tex := range []bool{false, true} {
			p := ChoosePointwise(49, 64, 32, e)
			c := ChooseConv(1, 9, 9, 8, 16, 3, 2, e)
			ct := ChooseConvTranspose(1, 7, 7, 16, 8, 13, 13, e)
			w := ChooseWinograd(1, 8, 8, 64, 16, e)
			scalar, vec4 := ChooseLinear(2, 40, 37, Epilogue{Act: e.Act}), ChooseLinear(2, 40, 32, Epilogue{Act: e.Act})
			p.Tex, c.Tex, ct.Tex, w.Gemm.Tex, scalar.Tex, vec4.Tex = tex, tex, tex, tex, tex, tex
			ks = append(ks, p, c, ct, scalar, vec4)
			ks = append(ks, w.Kernels()...)
		}
		d := ChooseDepthwise(1, 7, 7, 16, 3, 1, e)
		unrolled := d
		unrolled.TY = 2
		ks = append(ks, d, unrolled, ChooseLayerNorm(2, 64, Epilogue{Act: e.Act}))
	}
	s, a := ChooseGroupNorm(2, 7, 7, 16)
	return append(ks, s, a, ChooseMeanPool(2, 7, 7, 16), ChooseAttention(2, 49, 2, 16))
}

// bindingDecl matches one WGSL binding declaration: index, address space
// and access (none for a texture), name and type.
var bindingDecl = regexp.MustCompile(`@group\(\s*0\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var(?:<\s*([^>]*?)\s*>)?\s+(\w+)\s*:\s*([^;]+?)\s*;`)

// wgslKind is the binding kind of a declaration's address space and access.
func wgslKind(space, typ string) (gpu.BindingKind, bool) {
	switch strings.ReplaceAll(space, " ", "") {
	case "storage,read", "storage":
		return gpu.ReadStorage, true
	case "storage,read_write":
		return gpu.WriteStorage, true
	case "uniform":
		return gpu.Uniform, true
	case "":
		return gpu.Texture2D, strings.HasPrefix(typ, "texture_2d")
	}
	return 0, false
}

// TestBindingsMatchWGSL parses the binding declarations of every family's
// WGSL and checks them against its Bindings, entry by entry.
func TestBindingsMatchWGSL(t *testing.T) {
	for _, k := range familySpecializations() {
		src, err := k.Source()
		if err != nil {
			t.Fatalf("%s: %v", k.Label(), err)
		}
		want := k.Bindings()
		found := bindingDecl.FindAllStringSubmatch(src, -1)
		if n := strings.Count(src, "@binding"); n != len(found) || len(found) != len(want) {
			t.Errorf("%s: %d @binding in the WGSL, %d parsed, %d in Bindings", k.Label(), n, len(found), len(want))
			continue
		}
		for i, m := range found {
			idx, _ := strconv.Atoi(m[1])
			kind, ok := wgslKind(m[2], m[4])
			got := Binding{Name: m[3], Kind: kind, Type: m[4]}
			if idx != i || !ok || got != want[i] {
				t.Errorf("%s: declaration %q, want binding %d = %+v", k.Label(), m[0], i, want[i])
			}
		}
	}
}
