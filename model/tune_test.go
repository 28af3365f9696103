//go:build js || cgo

package model

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/tuning"
)

// TestTuneCandidatesLower checks, for every dense key of B0 at batch 1 and
// 2 and each set, that the candidates start with the untuned choice, are
// distinct, and that forcing each one makes the lowering emit exactly that
// specialization (its tile in the label; three kernels for Winograd).
func TestTuneCandidatesLower(t *testing.T) {
	g, _, _ := referenceGraph(t, "b0")
	for _, set := range []kernels.Set{kernels.SetCPU, kernels.SetGPU} {
		for _, n := range []int{1, 2} {
			base := kernels.Target{Set: set}
			shapes, err := g.Shapes(n, 224, 224)
			if err != nil {
				t.Fatal(err)
			}
			keys, total := map[string]bool{}, 0
			for i, op := range g.Ops {
				c, ok := denseCandidates(base, op, shapes)
				if !ok {
					continue
				}
				if !keys[c.Key] {
					keys[c.Key] = true
					total += len(c.Choices)
				}
				if len(c.Choices) < 2 || c.Choices[0] != c.Default {
					t.Fatalf("%s: candidates %v: want the default %v first and at least one other", c.Key, c.Choices, c.Default)
				}
				def, err := lowerOp(base, i, op, shapes)
				if err != nil {
					t.Fatal(err)
				}
				seen := map[tuning.Choice]bool{}
				for _, ch := range c.Choices {
					if seen[ch] {
						t.Fatalf("%s: candidate %v twice", c.Key, ch)
					}
					seen[ch] = true
					steps, err := lowerOp(base.Force(map[string]tuning.Choice{c.Key: ch}), i, op, shapes)
					if err != nil {
						t.Fatal(err)
					}
					want := 1
					if ch.Winograd > 0 {
						want = 3
					}
					main := steps[len(steps)/2].k.Label() // the GEMM of a Winograd lowering
					if len(steps) != want || !strings.Contains(main, choiceLabel(ch)) {
						t.Errorf("%s: forcing %v lowered to %d kernels, %s", c.Key, ch, len(steps), main)
					}
					if ch == c.Default && (len(steps) != len(def) || steps[len(steps)/2].k != def[len(def)/2].k) {
						t.Errorf("%s: the default candidate %v lowers to %s, the untuned lowering to %s", c.Key, ch, main, def[len(def)/2].k.Label())
					}
				}
			}
			t.Logf("%s set, batch %d: %d dense keys, %d candidates", set, n, len(keys), total)
			if len(keys) < 10 {
				t.Errorf("only %d dense keys in B0", len(keys))
			}
		}
	}
}

// choiceLabel is the part of a kernel label a choice determines.
func choiceLabel(c tuning.Choice) string {
	s := kernels.Tile{TM: c.TM, TN: c.TN, WG: c.WG}.String()
	if c.WM > 0 {
		s += fmt.Sprintf("_co%dx%d_kc%d", c.WM, c.WN, c.KC)
		if c.KS > 1 {
			s += fmt.Sprintf("_ks%d", c.KS)
		}
	}
	if c.Tex {
		return s + "_tex"
	}
	return s + "_buf"
}

// TestTuneB0 tunes B0 on the test adapter under a small budget twice (the
// second run resumes the first's table and measures more), then checks
// that plans forcing the second and the last candidate of every key still
// give the reference logits (≤ 2e-4), and that a model whose target holds
// the tuned table runs the table's choices.
func TestTuneB0(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles many pipelines")
	}
	dev := gputest.Device(t)
	g, _, dir := referenceGraph(t, "b0")
	input, im := readBin(t, filepath.Join(dir, "input.bin"))
	want, _ := readBin(t, filepath.Join(dir, "logits.bin"))
	n, h, w := im.Shape[0], im.Shape[2], im.Shape[3]
	m := NewGPU(dev, g, kernels.Target{Set: kernels.SetCPU})
	defer m.Close()

	tb := tuning.New(tuning.Adapter{Description: dev.Info.Description, Backend: dev.Info.Backend}, "cpu")
	saves, progress := 0, 0
	opt := TuneOptions{Budget: time.Second, Save: func(*tuning.Table) error { saves++; return nil },
		Progress: func(p TuneProgress) {
			progress++
			if p.Err == nil && !(p.Ms > 0) {
				t.Errorf("progress %+v without a time", p)
			}
		}}
	r1, err := m.Tune(context.Background(), tb, n, h, w, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first run: %+v", r1)
	if r1.Measured < r1.Keys || tb.Len() != r1.Keys || saves == 0 || progress < r1.Keys {
		t.Fatalf("first run measured %d of %d keys (table %d keys, %d saves, %d progress reports): want every default measured",
			r1.Measured, r1.Keys, tb.Len(), saves, progress)
	}
	r2, err := m.Tune(context.Background(), tb, n, h, w, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second run: %+v", r2)
	if r2.ThisRun == 0 || r2.Measured <= r1.Measured {
		t.Errorf("the resumed run measured %d more (%d → %d)", r2.ThisRun, r1.Measured, r2.Measured)
	}
	for _, k := range tb.Keys() {
		e, _ := tb.Entry(k)
		if e.Candidates[0].Choice != e.Default {
			t.Errorf("%s: first measured %v, want the default %v", k, e.Candidates[0].Choice, e.Default)
		}
	}

	keys, err := m.TuneKeys(n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, pick := range []string{"second", "last"} {
		force := map[string]tuning.Choice{}
		for _, k := range keys {
			i := 1
			if pick == "last" {
				i = len(k.Choices) - 1
			}
			force[k.Key] = k.Choices[i]
		}
		fm := NewGPU(dev, g, kernels.Target{Set: kernels.SetCPU}.Force(force))
		got, err := fm.Logits(input, n, h, w)
		if err != nil {
			fm.Close()
			t.Fatal(err)
		}
		p, _ := fm.Plan(n, h, w)
		changed := 0
		base, _ := m.Plan(n, h, w)
		for i := range min(len(p.Steps), len(base.Steps)) {
			if p.Steps[i].Kernel != base.Steps[i].Kernel {
				changed++
			}
		}
		fm.Close()
		if d := ref.MaxAbsDiff(got, want); d > logitTol {
			t.Errorf("the %s candidate of every key: logits differ by %.3g > %.0e", pick, d, logitTol)
		}
		if changed == 0 {
			t.Errorf("forcing the %s candidates changed no kernel of the plan", pick)
		}
	}

	// A model on the tuned table runs its choices.
	tm := NewGPU(dev, g, kernels.Target{Set: kernels.SetCPU, Tuned: tb})
	defer tm.Close()
	got, err := tm.Logits(input, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if d := ref.MaxAbsDiff(got, want); d > logitTol {
		t.Errorf("tuned logits differ by %.3g > %.0e", d, logitTol)
	}
	p, _ := tm.Plan(n, h, w)
	shapes, _ := g.Shapes(n, h, w)
	for _, k := range keys {
		e, _ := tb.Entry(k.Key)
		byOp := map[int][]string{}
		for _, s := range p.Steps {
			if c, ok := denseCandidates(kernels.Target{Set: kernels.SetCPU}, g.Ops[s.Op], shapes); ok && c.Key == k.Key {
				byOp[s.Op] = append(byOp[s.Op], s.Kernel.Label())
			}
		}
		if len(byOp) == 0 {
			t.Fatalf("%s: no step of the tuned plan", k.Key)
		}
		for _, labels := range byOp {
			if !strings.Contains(labels[len(labels)/2], choiceLabel(e.Chosen)) {
				t.Errorf("%s: chosen %v, the tuned plan runs %v", k.Key, e.Chosen, labels)
			}
		}
	}
}
