//go:build js || cgo

package kernels

import (
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/tuning"
)

// TestTunedChoiceFallsBack checks that a table's choice is taken when it
// is legal for the shape and limits, and that the set's rule chooses when
// it is not (a table from another model, adapter or version).
func TestTunedChoiceFallsBack(t *testing.T) {
	e := Epilogue{Act: act.HSwish}
	cpu := Target{}
	small := Target{MaxInvocations: 128, MaxWorkgroupStorage: 8192}
	reg := tuning.Choice{Set: "cpu", TM: 4, TN: 8, WG: 16, Tex: true}
	big := tuning.Choice{Set: "gpu", TM: 4, TN: 4, WG: 256, WM: 16, WN: 16, KS: 1, KC: 16}
	for _, tc := range []struct {
		name  string
		base  Target
		c     tuning.Choice
		taken bool
	}{
		{"register tile", cpu, reg, true},
		{"cooperative tile", cpu, big, true},
		{"cooperative tile over the device's invocations", small, big, false},
		{"tile rows out of range", cpu, tuning.Choice{Set: "cpu", TM: 40, TN: 16, WG: 32}, false},
		{"columns not a multiple of 4", cpu, tuning.Choice{Set: "cpu", TM: 4, TN: 6, WG: 32}, false},
		{"workgroup ≠ cooperative layout", cpu, tuning.Choice{Set: "gpu", TM: 4, TN: 4, WG: 32, WM: 8, WN: 8, KS: 1, KC: 16}, false},
		{"unknown set", cpu, tuning.Choice{Set: "npu", TM: 4, TN: 8, WG: 16}, false},
		{"register tile with a cooperative field", cpu, tuning.Choice{Set: "cpu", TM: 4, TN: 8, WG: 16, KC: 8}, false},
		{"Winograd on a 1×1 convolution", cpu, tuning.Choice{Set: "cpu", Winograd: 2, TM: 4, TN: 8, WG: 16}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, k, n := 196, 128, 512
			want := tc.base.Pointwise(m, k, n, e)
			got := tc.base.Force(map[string]tuning.Choice{PointwiseKey(m, k, n, e): tc.c}).Pointwise(m, k, n, e)
			if tc.taken {
				want = Pointwise{M: m, K: k, N: n, Tile: Tile{tc.c.TM, tc.c.TN, tc.c.WG}, Tex: tc.c.Tex, Epilogue: e}
				if tc.c.WM > 0 {
					want.Coop = Coop{tc.c.WM, tc.c.WN, tc.c.KS, tc.c.KC}
				}
			}
			if got != want {
				t.Errorf("Pointwise = %s, want %s", got.Label(), want.Label())
			}
		})
	}

	// The Winograd choice of a conv: taken for a 3×3 stride-1 one (on or
	// off), refused for a stride-2 one.
	n, h, w, cin, cout := 1, 14, 14, 128, 512
	key := ConvKey(n, h, w, cin, cout, 3, 1, e)
	if !cpu.UseWinograd(n, h, w, cin, cout, 3, 1) {
		t.Fatal("the CPU set's rule runs 14×14 128→512 directly; pick another shape")
	}
	off := cpu.Force(map[string]tuning.Choice{key: reg})
	if off.ConvWinograd(n, h, w, cin, cout, 3, 1, e) {
		t.Error("a direct choice did not turn Winograd off")
	}
	if c := off.Conv(n, h, w, cin, cout, 3, 1, e); c.Tile != (Tile{4, 8, 16}) {
		t.Errorf("the direct conv runs %s, want the tuned tile", c.Label())
	}
	w2 := cpu.Force(map[string]tuning.Choice{key: {Set: "cpu", Winograd: 2, TM: 8, TN: 16, WG: 8, Tex: true}})
	if k := w2.Winograd(n, h, w, cin, cout, e); !w2.ConvWinograd(n, h, w, cin, cout, 3, 1, e) || k.TileSide() != 2 || k.Gemm.Tile != (Tile{8, 16, 8}) {
		t.Errorf("Winograd with tile side 2 and the tuned tile: got side %d, %s", k.TileSide(), k.Gemm.Label())
	}
	s2 := ConvKey(n, 28, 28, 64, 256, 3, 2, e)
	bad := cpu.Force(map[string]tuning.Choice{s2: {Set: "cpu", Winograd: 4, TM: 8, TN: 16, WG: 8}})
	if bad.ConvWinograd(n, 28, 28, 64, 256, 3, 2, e) {
		t.Error("Winograd taken for a stride-2 convolution")
	}
	if got, want := bad.Conv(n, 28, 28, 64, 256, 3, 2, e), cpu.Conv(n, 28, 28, 64, 256, 3, 2, e); got != want {
		t.Errorf("an illegal choice gave %s, want the rule's %s", got.Label(), want.Label())
	}
}
