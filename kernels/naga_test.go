//go:build cgo && !js

package kernels

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/prereq"
)

// gpuSetSpecializations are GPU-set kernels of the families with GPU
// specializations of their own, with and without the optional features
// (which no adapter here offers), at LowFormer's shapes and edge cases.
func gpuSetSpecializations() []Kernel {
	var ks []Kernel
	for _, t := range []Target{{Set: SetGPU}, {Set: SetGPU, F16: true, Subgroups: true}} {
		for _, s := range depthwiseCases {
			ks = append(ks, t.Depthwise(s.n, s.h, s.w, s.c, s.k, s.stride, s.e))
		}
		for _, s := range attentionCases {
			ks = append(ks, t.Attention(s.n, s.h*s.w, s.heads, s.hd))
		}
		for _, s := range groupNormCases {
			st, ap := t.GroupNorm(s.n, s.h, s.w, s.c)
			ks = append(ks, st, ap)
		}
		for _, s := range layerNormCases {
			ks = append(ks, t.LayerNorm(s.n, s.c, Epilogue{Act: s.act}))
		}
		for _, s := range convTransposeCases {
			ks = append(ks, t.ConvTranspose(s.n, s.h, s.w, s.cin, s.cout, s.cropH, s.cropW, s.e))
		}
		ks = append(ks, t.MeanPool(2, 7, 7, 1024), t.MeanPool(1, 1, 1, 8))
	}
	for _, k := range depthwiseHaloCases {
		ks = append(ks, k)
	}
	for _, k := range attentionTiledCases {
		ks = append(ks, k)
	}
	return ks
}

// TestWGSLValidatesWithNaga validates the WGSL of every family's
// specializations, the optional-feature ones included, with naga, wgpu's
// WGSL front end, as the npm package naga-wasm (web/package.json;
// `cd web && npm ci` installs it), offline and with every capability on:
// the subgroup kernels cannot compile on this machine's adapters, so this
// is what keeps their WGSL valid. Natively (wgpu-native) kernels carry no
// `enable subgroups;`; the browser build adds that one line.
func TestWGSLValidatesWithNaga(t *testing.T) {
	node, err := exec.LookPath("node")
	naga, _ := filepath.Abs(filepath.Join("..", "web", "node_modules", "naga-wasm"))
	if err == nil {
		_, err = os.Stat(filepath.Join(naga, "dist", "node.js"))
	}
	if err != nil {
		prereq.Missing(t, "no node or naga-wasm (cd web && npm ci): WGSL not validated with naga: %v", err)
	}
	dir := t.TempDir()
	seen := map[Kernel]bool{}
	files := map[string]string{}
	var args []string
	for _, k := range append(familySpecializations(), gpuSetSpecializations()...) {
		if seen[k] {
			continue
		}
		seen[k] = true
		src, err := k.Source()
		if err != nil {
			t.Fatalf("%s: %v", k.Label(), err)
		}
		f := filepath.Join(dir, fmt.Sprintf("%03d.wgsl", len(args)))
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		files[f] = k.Label()
		args = append(args, f)
	}
	out, err := exec.Command(node, append([]string{filepath.Join("testdata", "nagacheck.mjs"), naga}, args...)...).CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	ok := 0
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "ok "):
			ok++
		case strings.HasPrefix(l, "error "):
			f, msg, _ := strings.Cut(strings.TrimPrefix(l, "error "), ": ")
			t.Errorf("%s: naga: %s", files[f], msg)
		}
	}
	if ok+countErrors(lines) != len(args) || (err != nil && !t.Failed()) {
		t.Fatalf("naga checked %d of %d shaders (%v): %s", ok, len(args), err, out)
	}
	t.Logf("naga validated %d shaders", ok)
}

func countErrors(lines []string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "error ") {
			n++
		}
	}
	return n
}
