//go:build js || cgo

package kernels

import "testing"

// TestGPUSetChoicesValidate: the GPU set's choices for this engineer's
// families are valid specializations over a spread of shapes, from one
// pixel to large images and batches, with and without subgroups; and the
// CPU set's choices ignore the optional features.
func TestGPUSetChoicesValidate(t *testing.T) {
	type validator interface {
		Kernel
		validate() error
	}
	for _, tg := range []Target{{Set: SetGPU}, {Set: SetGPU, Subgroups: true, F16: true}} {
		for _, n := range []int{1, 3, 32, 4096} {
			for _, hw := range []int{1, 7, 14, 15, 56, 112} {
				var ks []validator
				for _, c := range []int{4, 36, 128, 1024} {
					for _, kk := range []int{3, 5, 7} {
						for _, s := range []int{1, 2} {
							ks = append(ks, tg.Depthwise(n, hw, hw, c, kk, s, Epilogue{Act: hs, Residual: true}))
						}
					}
					st, ap := tg.GroupNorm(n, hw, hw, c)
					ks = append(ks, st, ap, tg.LayerNorm(n, c*hw, Epilogue{}), tg.MeanPool(n, hw, hw, c),
						tg.ConvTranspose(n, hw, hw, c, 2*c, 2*hw, 2*hw-1, Epilogue{Residual: true}))
				}
				for _, hd := range []int{4, 16, 32, 64, 128} {
					ks = append(ks, tg.Attention(n, hw*hw, 8, hd))
				}
				for _, k := range ks {
					if err := k.validate(); err != nil {
						t.Errorf("%+v: %s: %v", tg, k.Label(), err)
					}
					if _, sg := fallback(k); sg && !tg.Subgroups {
						t.Errorf("%s uses subgroups, its target does not offer them", k.Label())
					}
				}
			}
		}
	}
	cpu := Target{Set: SetCPU, Subgroups: true, F16: true}
	st, _ := cpu.GroupNorm(1, 14, 14, 128)
	for _, k := range []Kernel{st, cpu.LayerNorm(1, 1600, Epilogue{}), cpu.Attention(1, 49, 4, 32)} {
		if _, sg := fallback(k); sg {
			t.Errorf("the CPU set chose %s, using subgroups", k.Label())
		}
	}
	if d := cpu.Depthwise(1, 7, 7, 256, 3, 1, Epilogue{}); d != ChooseDepthwise(1, 7, 7, 256, 3, 1, Epilogue{}) {
		t.Errorf("the CPU set's depthwise %s differs from ChooseDepthwise's", d.Label())
	}
}
