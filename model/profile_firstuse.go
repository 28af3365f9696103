//go:build js || cgo

package model

import (
	"errors"
	"sort"
	"time"

	"github.com/lowformer/lowformer-webgpu/gpu"
)

// FirstUse is what a model's first forward for one input shape costs
// beyond a warm one: building the plan (pipelines created, weights
// uploaded) and each pipeline's first dispatch, which is where lavapipe
// (and many drivers) compiles the shader to machine code. How much of it is
// compilation depends on the driver's shader cache: on an empty one it is
// nearly all of it.
type FirstUse struct {
	PlanMs    float64          // building the plan
	Pipelines int              // distinct pipelines of the plan
	Ms        float64          // the first dispatches of all pipelines, each run alone
	Kernels   []KernelFirstUse // slowest first
}

// KernelFirstUse is the first dispatch of one pipeline, run alone: its
// compilation (when the driver compiles on first use) plus one run.
type KernelFirstUse struct {
	Kernel string
	Family string
	Ms     float64
}

// ErrPlanExists is returned by MeasureFirstUse when the plan was already
// built: its shaders have been compiled.
var ErrPlanExists = errors.New("model: the plan for this input shape exists already; measure the first use on a fresh model")

// MeasureFirstUse builds the plan for n images of h×w pixels and runs its
// dispatches one at a time, in order, timing the first dispatch of every
// pipeline. Call it before anything else uses that input shape.
func (m *GPU) MeasureFirstUse(n, h, w int) (FirstUse, error) {
	m.mu.Lock()
	_, exists := m.plans[planKey{n: n, h: h, w: w}]
	m.mu.Unlock()
	if exists {
		return FirstUse{}, ErrPlanExists
	}
	t0 := time.Now()
	p, err := m.Plan(n, h, w)
	if err != nil {
		return FirstUse{}, err
	}
	r := FirstUse{PlanMs: msSince(t0)}
	p = p.acquire()
	defer p.mu.Unlock()
	seen := map[*gpu.Pipeline]bool{}
	for i, d := range p.dispatches {
		if seen[d.Pipeline] {
			continue
		}
		seen[d.Pipeline] = true
		t := time.Now()
		if _, err := p.dev.Run([]gpu.Dispatch{d}, nil, 0, 0); err != nil {
			return FirstUse{}, err
		}
		k := KernelFirstUse{Kernel: p.Steps[i].Kernel.Label(), Family: Family(p.Steps[i].Kernel), Ms: msSince(t)}
		r.Kernels = append(r.Kernels, k)
		r.Ms += k.Ms
	}
	r.Pipelines = len(r.Kernels)
	sort.SliceStable(r.Kernels, func(a, b int) bool { return r.Kernels[a].Ms > r.Kernels[b].Ms })
	return r, nil
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Nanoseconds()) / 1e6 }
