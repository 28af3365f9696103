//go:build js || cgo

package model

import (
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// TestGPUOutputsMatchReference checks the GPU plan's embeddings and stage
// outputs against PyTorch's activations, and that their plans skip the
// ops they do not need.
func TestGPUOutputsMatchReference(t *testing.T) {
	dev := gputest.Device(t)
	for _, v := range []string{"b0", "E1"} {
		t.Run(v, func(t *testing.T) {
			g, _, dir := referenceGraph(t, v)
			m := NewGPU(dev, g, kernels.Target{})
			defer m.Close()
			checkOutputsMatchReference(t, v, g, dir, m.Outputs, m.Logits)
			full, err := m.Plan(2, 224, 224)
			if err != nil {
				t.Fatal(err)
			}
			emb, _ := g.Embedding()
			p, err := m.plan(2, 224, 224, []Value{emb})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Steps) >= len(full.Steps) || p.Steps[len(p.Steps)-1].Op >= len(g.Ops)-1 {
				t.Errorf("embedding plan has %d steps (last of op %d), the logits plan %d (%d ops)", len(p.Steps), p.Steps[len(p.Steps)-1].Op, len(full.Steps), len(g.Ops))
			}
		})
	}
}
