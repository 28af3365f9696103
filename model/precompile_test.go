//go:build js || cgo

package model

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// TestStructureMatchesBuild: the graph Structure makes from a configuration
// alone lowers into the same kernels as the graph Build makes from a
// checkpoint, for every released variant and both kernel sets, generic and
// specialized (so the pipelines precompiled from it are the ones the plan
// wants); and it holds no weight.
func TestStructureMatchesBuild(t *testing.T) {
	for _, cfg := range Configs() {
		t.Run(cfg.Name, func(t *testing.T) {
			built, err := Build(cfg, synthStateDict(t, cfg))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Structure(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !sameStructure(s, built) {
				t.Fatal("Structure and Build disagree on the ops")
			}
			for _, op := range s.Ops {
				if c, ok := op.(*Conv); ok && c.Weight != nil {
					t.Fatalf("%s: Structure made a weight", c.Name)
				}
			}
			for _, set := range []kernels.Set{kernels.SetCPU, kernels.SetGPU} {
				for _, generic := range []bool{true, false} {
					tg := kernels.Target{Set: set, Generic: generic}
					want, got := lowerKeys(t, built, tg), lowerKeys(t, s, tg)
					if len(want) != len(got) {
						t.Fatalf("%s generic=%v: %d pipelines from Structure, %d from Build", set, generic, len(got), len(want))
					}
					for k := range want {
						if !got[k] {
							t.Errorf("%s generic=%v: pipeline %s missing from Structure's", set, generic, k.Label())
						}
					}
				}
			}
		})
	}
}

// lowerKeys lowers g's logits plan for one 224×224 image with kernels for t
// and returns its pipeline keys.
func lowerKeys(t *testing.T, g *Graph, tg kernels.Target) map[kernels.Kernel]bool {
	t.Helper()
	shapes, err := g.Shapes(1, 224, 224)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[kernels.Kernel]bool{}
	for i, op := range g.Ops {
		steps, err := lowerOp(tg, i, op, shapes)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			keys[kernels.PipelineKey(s.k)] = true
		}
	}
	return keys
}

// TestPrecompiledPipelinesAreUsed: PrecompileGeneric starts the generic
// pipelines of a progressive model's first plan from the configuration
// alone; the model NewProgressiveGPUFrom makes runs its first plan on
// exactly those pipelines (none compiled twice, none missing) with logits
// within the spec's tolerance of the reference.
func TestPrecompiledPipelinesAreUsed(t *testing.T) {
	dev := gputest.Device(t)
	g, cfg, dir := referenceGraph(t, "E1")
	input, im := readBin(t, filepath.Join(dir, "input.bin"))
	want, _ := readBin(t, filepath.Join(dir, "logits.bin"))
	n, h, w := im.Shape[0], im.Shape[2], im.Shape[3]
	pre, err := PrecompileGeneric(dev, cfg, kernels.Target{Set: kernels.SetCPU}, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if pre.Pipelines() == 0 {
		t.Fatal("no pipeline precompiled")
	}
	m, err := NewProgressiveGPUFrom(pre, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.cache.Len(); got != pre.Pipelines() {
		t.Fatalf("the model starts with %d pipelines, %d were precompiled", got, pre.Pipelines())
	}
	before := map[*gpu.Pipeline]bool{}
	for _, k := range m.cache.Kernels() {
		p, err := m.cache.Pipeline(k)
		if err != nil {
			t.Fatal(err)
		}
		before[p] = true
	}
	got, err := m.Logits(input, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if d := ref.MaxAbsDiff(got, want); d > logitTol {
		t.Errorf("logits on the precompiled pipelines differ by %.3g > %.0e", d, logitTol)
	}
	p, err := m.Plan(n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if !p.generic {
		t.Fatal("the first plan is not generic")
	}
	used := map[*gpu.Pipeline]bool{}
	for _, d := range p.dispatches {
		used[d.Pipeline] = true
	}
	for q := range used {
		if !before[q] {
			t.Errorf("the plan compiled pipeline %s again (or a new one)", q.Label)
		}
	}
	if len(used) != pre.Pipelines() {
		t.Errorf("the plan uses %d pipelines, %d were precompiled", len(used), pre.Pipelines())
	}
	// The rest of a progressive start is unchanged: the swap follows.
	if err := m.WaitSpecialized(t.Context()); err != nil {
		t.Fatal(err)
	}
	again, err := m.Logits(input, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if d := ref.MaxAbsDiff(again, want); d > logitTol {
		t.Errorf("specialized logits differ by %.3g > %.0e", d, logitTol)
	}
}

// TestPrecompiledForAnotherConfig: pipelines precompiled for a guessed
// configuration (E1) serve a model of another (B0): it starts with them,
// its first plan uses those that match and builds the rest, and its
// logits are right; a used Precompiled is refused.
func TestPrecompiledForAnotherConfig(t *testing.T) {
	dev := gputest.Device(t)
	g, _, dir := referenceGraph(t, "b0")
	input, im := readBin(t, filepath.Join(dir, "input.bin"))
	want, _ := readBin(t, filepath.Join(dir, "logits.bin"))
	n, h, w := im.Shape[0], im.Shape[2], im.Shape[3]
	pre, err := PrecompileGeneric(dev, mustConfig(t, "E1"), kernels.Target{Set: kernels.SetCPU}, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewProgressiveGPUFrom(pre, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pipes := map[*gpu.Pipeline]bool{}
	for _, k := range m.cache.Kernels() {
		p, err := m.cache.Pipeline(k)
		if err != nil {
			t.Fatal(err)
		}
		pipes[p] = true
	}
	if len(pipes) != pre.Pipelines() || len(pipes) == 0 {
		t.Fatalf("the model starts with %d pipelines, %d were precompiled", len(pipes), pre.Pipelines())
	}
	got, err := m.Logits(input, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if d := ref.MaxAbsDiff(got, want); d > logitTol {
		t.Errorf("logits differ by %.3g > %.0e", d, logitTol)
	}
	p, err := m.Plan(n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	reused, built := 0, 0
	seen := map[*gpu.Pipeline]bool{}
	for _, d := range p.dispatches {
		if seen[d.Pipeline] {
			continue
		}
		seen[d.Pipeline] = true
		if pipes[d.Pipeline] {
			reused++
		} else {
			built++
		}
	}
	// E1's generic pipelines are a subset of B0's: all reused, B0's own
	// (5×5 stride-2 depthwise, ConvTranspose, GroupNorm, attention) built.
	if reused != pre.Pipelines() || built == 0 {
		t.Errorf("B0's first plan reused %d of %d precompiled pipelines and built %d", reused, pre.Pipelines(), built)
	}
	if _, err := NewProgressiveGPUFrom(pre, g, nil); err == nil {
		t.Fatal("a used Precompiled was accepted")
	}
}

// TestPrecompiledReleased: Release frees the pipelines and is safe twice,
// a released Precompiled is refused, and a model closed before its first
// run frees the pipelines it was given.
func TestPrecompiledReleased(t *testing.T) {
	dev := gputest.Device(t)
	e1 := mustConfig(t, "E1")
	pre2, err := PrecompileGeneric(dev, e1, kernels.Target{Set: kernels.SetCPU}, 1, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	cache2 := pre2.cache
	pre2.Release()
	pre2.Release()
	if _, err := NewProgressiveGPUFrom(pre2, nil, nil); err == nil {
		t.Fatal("a released Precompiled was accepted")
	}
	if cache2.Len() != 0 {
		t.Errorf("%d pipelines kept after Release", cache2.Len())
	}
	// Closed before its first run, its precompiled pipelines still
	// unchecked: the model frees them.
	gE1, err := Build(e1, synthStateDict(t, e1))
	if err != nil {
		t.Fatal(err)
	}
	pre3, err := PrecompileGeneric(dev, e1, kernels.Target{Set: kernels.SetCPU}, 1, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	m3, err := NewProgressiveGPUFrom(pre3, gE1, nil)
	if err != nil {
		t.Fatal(err)
	}
	m3.Close()
	if m3.cache.Len() != 0 {
		t.Errorf("%d pipelines kept after closing the model", m3.cache.Len())
	}
	if _, err := m3.Logits(make([]float32, 3*64*64), 1, 64, 64); err == nil {
		t.Error("a closed model ran")
	}
	if _, err := PrecompileGeneric(dev, Config{Name: "broken"}, kernels.Target{Set: kernels.SetCPU}, 1, 64, 64); err == nil {
		t.Error("an invalid configuration was accepted")
	}
}

// sameStructure reports whether a and b have the same ops (type, layer,
// inputs and output, in order) and classes.
func sameStructure(a, b *Graph) bool {
	if len(a.Ops) != len(b.Ops) || a.Classes != b.Classes {
		return false
	}
	for i, x := range a.Ops {
		y := b.Ops[i]
		if reflect.TypeOf(x) != reflect.TypeOf(y) || x.Label() != y.Label() || x.Output() != y.Output() || !slices.Equal(x.Inputs(), y.Inputs()) {
			return false
		}
	}
	return true
}
