//go:build cgo && !js

package kernels

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/prereq"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// chromiumKernel is one kernel of a chromiumrun.mjs spec.
type chromiumKernel struct {
	Label      string      `json:"label"`
	WGSL       string      `json:"wgsl"`
	Workgroups [3]uint32   `json:"workgroups"`
	Bindings   []chromBind `json:"bindings"`
	Out        int         `json:"out"`
	check      func(t *testing.T, got []float32)
	subgroups  bool // k uses subgroups
}

type chromBind struct {
	Data []float32 `json:"data"`
}

// browserSource is k's WGSL as the browser build renders it: the subgroup
// kernels start with the directives browsers need (enable_js.go).
func browserSource(t *testing.T, k Kernel) string {
	src, err := k.Source()
	if err != nil {
		t.Fatal(err)
	}
	if _, sg := fallback(k); sg {
		src = subgroupsDirectivesJS + "\n" + src
	}
	return src
}

// newChromiumKernel binds k to data (one slice per binding, the output's
// zeros included) with a check of the output binding's values.
func newChromiumKernel(t *testing.T, k Kernel, check func(*testing.T, []float32), data ...[]float32) chromiumKernel {
	x, y, z := k.Workgroups()
	_, sg := fallback(k)
	c := chromiumKernel{Label: k.Label(), WGSL: browserSource(t, k), Workgroups: [3]uint32{x, y, z}, Out: len(data) - 1,
		check: check, subgroups: sg}
	for _, d := range data {
		c.Bindings = append(c.Bindings, chromBind{d})
	}
	return c
}

// TestKernelsInChromium runs the GPU set's kernels of the families with
// GPU specializations of their own in headless Chromium, in the browser's
// WGSL dialect (Tint), against internal/ref: on SwiftShader, whose WebGPU
// offers the subgroups feature (subgroup size 4), so that the subgroup
// kernels run there for real beside their twins, and on lavapipe through
// ANGLE in compatibility mode (the browser tests' adapter), which does not
// offer subgroups: there the subgroup kernels must fail to compile (what
// makes a Cache build their twins) and the others must pass.
func TestKernelsInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("launches Chromium")
	}
	node, err := exec.LookPath("node")
	web, _ := filepath.Abs(filepath.Join("..", "web"))
	if err == nil {
		_, err = os.Stat(filepath.Join(web, "node_modules", "playwright-core"))
	}
	if err == nil {
		_, err = os.Stat(chromiumPath())
	}
	if err != nil {
		prereq.Missing(t, "no node, playwright-core (cd web && npm ci) or Chromium: %v", err)
	}
	var ks []chromiumKernel
	for _, sg := range []bool{true, false} {
		tg := Target{Set: SetGPU, Subgroups: sg}
		// GroupNorm statistics around a large mean.
		st, _ := tg.GroupNorm(2, 14, 14, 128)
		gx := normInput(2, 14*14*128, 128, 100)
		ks = append(ks, newChromiumKernel(t, st, func(t *testing.T, got []float32) { checkStats(t, statsOf(st, got), gx, 2) },
			gx, make([]float32, st.StatsFloats())))
		// LayerNorm of the head.
		ln := tg.LayerNorm(2, 1600, Epilogue{Act: hs})
		lx := &ref.Tensor{N: 2, H: 1, W: 1, C: 1600, Data: normInput(2, 1600, 1600, 10)}
		gamma, beta := randomFloats(1600, 2), randomFloats(1600, 3)
		lwant := ref.LayerNorm(lx, gamma, beta, hs).Data
		ks = append(ks, newChromiumKernel(t, ln, func(t *testing.T, got []float32) { checkClose(t, ln.Label(), got, lwant) },
			lx.Data, gamma, beta, make([]float32, len(lwant))))
		// Attention: B0's stage 4 at batch 2, and a partial query block and key chunk.
		for _, a := range []Attention{tg.Attention(2, 49, 4, 32), tg.Attention(1, 153, 2, 32)} {
			c := 3 * a.Heads * a.HeadDim
			ax := &ref.Tensor{N: a.N, H: 1, W: a.L, C: c, Data: randomFloats(a.N*a.L*c, 1)}
			for i := range ax.Data {
				ax.Data[i] *= 3
			}
			awant := ref.Attention(ax, a.Heads, a.HeadDim).Data
			ks = append(ks, newChromiumKernel(t, a, func(t *testing.T, got []float32) { checkClose(t, a.Label(), got, awant) },
				ax.Data, make([]float32, len(awant))))
		}
	}
	// The GPU set's other kernels (no optional feature).
	tg := Target{Set: SetGPU}
	s := depthwiseCase{n: 2, h: 14, w: 14, c: 128, k: 5, stride: 2, e: Epilogue{Act: hs, Residual: true}}
	dk := s.gpuKernel()
	ho, wo := dk.outSize()
	dc := newDenseCase(s.n, s.h, s.w, s.c, s.k*s.k*s.c, s.c, true, [4]int{s.n, ho, wo, s.c}, 1)
	dwant := ref.DepthwiseConv2D(dc.x, dc.w, dc.bias, s.k, s.stride, s.e.Act, dc.res).Data
	ks = append(ks, newChromiumKernel(t, dk, func(t *testing.T, got []float32) { checkClose(t, dk.Label(), got, dwant) },
		dc.x.Data, dc.w, dc.bias, dc.res.Data, make([]float32, len(dwant))))
	pk := tg.MeanPool(2, 7, 7, 1536)
	px := &ref.Tensor{N: 2, H: 7, W: 7, C: 1536, Data: randomFloats(2*49*1536, 4)}
	pwant := ref.MeanPool(px).Data
	ks = append(ks, newChromiumKernel(t, pk, func(t *testing.T, got []float32) { checkClose(t, pk.Label(), got, pwant) },
		px.Data, make([]float32, len(pwant))))
	ck := tg.ConvTranspose(2, 7, 7, 64, 128, 14, 14, Epilogue{Residual: true})
	cc := newDenseCase(2, 7, 7, 64, 16*64*128, 128, true, [4]int{2, 14, 14, 128}, 1)
	cwant := ref.ConvTranspose4x4S2(cc.x, cc.w, cc.bias, 128, 14, 14, cc.res).Data
	ks = append(ks, newChromiumKernel(t, ck, func(t *testing.T, got []float32) { checkClose(t, ck.Label(), got, cwant) },
		cc.x.Data, cc.w, cc.bias, cc.res.Data, make([]float32, len(cwant))))

	spec, err := json.Marshal(ks)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(path, spec, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, adapter := range []string{"swiftshader", "lavapipe"} {
		t.Run(adapter, func(t *testing.T) { runInChromium(t, node, web, adapter, path, ks) })
	}
}

// runInChromium runs the kernels ks, whose spec is at path, in Chromium on
// adapter and checks their outputs.
func runInChromium(t *testing.T, node, web, adapter, path string, ks []chromiumKernel) {
	out, err := exec.Command(node, filepath.Join("testdata", "chromiumrun.mjs"), web, adapter, path).Output()
	if err != nil {
		t.Fatalf("chromiumrun.mjs: %v: %s", err, out)
	}
	var res struct {
		Error    string   `json:"error"`
		Adapter  string   `json:"adapter"`
		Features []string `json:"features"`
		Results  []struct {
			Label string    `json:"label"`
			Out   []float32 `json:"out"`
			Error string    `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Error != "" || len(res.Results) != len(ks) {
		t.Fatalf("chromiumrun.mjs: %v %s: %.2000s", err, res.Error, out)
	}
	t.Logf("Chromium adapter %q, features %v", res.Adapter, res.Features)
	hasSubgroups := strings.Contains(" "+strings.Join(res.Features, " ")+" ", " subgroups ")
	for i, r := range res.Results {
		k := ks[i]
		t.Run(k.Label, func(t *testing.T) {
			switch {
			case k.subgroups && !hasSubgroups && r.Error == "":
				t.Fatalf("compiled and ran without the subgroups feature")
			case k.subgroups && !hasSubgroups:
				t.Logf("does not compile without subgroups, as it must not: %.200s", r.Error)
			case r.Error != "":
				t.Fatal(r.Error)
			default:
				k.check(t, r.Out)
			}
		})
	}
}

// chromiumPath is the Chromium the browser tests use (web/test/chromium.mjs).
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}
