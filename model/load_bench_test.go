//go:build js || cgo

package model

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/refdata"
	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// BenchmarkLoadB0 times the page-side steps of a first visit on the
// reference B0 checkpoint of ../shared (skipped when absent): parsing the
// checkpoint held in memory, building the graph (folding, layout changes,
// subnormal flush) and rendering the WGSL of the generic kernels of the
// first plan (batch 1, 224×224: what PrecompileGeneric compiles). A
// rendering does not cache: each iteration renders again. Run it natively
// or, for the browser's numbers, under Node with the flags web/build.sh
// uses (README.md, "How fast"); with wasm, also read the first iteration
// (-benchtime 1x -count N), which runs the code before V8 has optimized it.
func BenchmarkLoadB0(b *testing.B) {
	dir := refdata.Dir(b, "b0")
	data, err := os.ReadFile(filepath.Join(dir, "evalmodel.pt"))
	if err != nil {
		b.Fatal(err)
	}
	cfg := mustConfig(b, "b0")
	var sd *checkpoint.StateDict
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			if sd, err = checkpoint.Read(bytes.NewReader(data), int64(len(data))); err != nil {
				b.Fatal(err)
			}
		}
	})
	if sd == nil {
		b.Skip("parse did not run")
	}
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			if _, err := Build(cfg, sd); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("render-generic", func(b *testing.B) {
		g, err := Structure(cfg)
		if err != nil {
			b.Fatal(err)
		}
		ks, err := missingKernels(g, kernels.NewCache(nil), kernels.Target{Generic: true}, 1, 224, 224, []Value{g.Logits()})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			for _, k := range ks {
				if _, err := k.Source(); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(ks)), "kernels")
	})
}
