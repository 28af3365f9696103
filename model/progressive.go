//go:build js || cgo

package model

import (
	"context"
	"fmt"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// Progressive plans. A progressive GPU model (NewProgressiveGPU) builds
// each new plan on generic kernels (kernels.Target.Generic: a handful of
// pipelines whose sizes are run-time values, quick to compile) and serves
// inferences with it at once. After a generic plan's first run, a
// background goroutine compiles the specialized pipelines of every
// generic plan (outside the model's lock; kernels.Cache.Prepare), then,
// one plan at a time, builds the specialized plan and swaps it in: the
// generic plan is retired (Plan.retire) after any run in flight on it has
// finished, and calls holding it run on its successor, so a run never
// mixes the two. When no generic plan is left the phase is
// PhaseSpecialized and new plans are specialized from the start; the
// generic pipelines and the weights only generic plans read are released.

// Phase is where a GPU model's plans are.
type Phase string

const (
	// PhaseGeneric: plans run on generic pipelines; the specialized ones
	// are not being compiled (yet, or after a failure: SpecializeErr).
	PhaseGeneric Phase = "generic"
	// PhaseSpecializing: plans run on generic pipelines while the
	// specialized ones compile in the background.
	PhaseSpecializing Phase = "specializing"
	// PhaseSpecialized: every plan runs on specialized pipelines.
	PhaseSpecialized Phase = "specialized"
)

// NewProgressiveGPU is NewGPU for a model whose plans start on generic
// pipelines and are specialized for t in the background (see Phase).
// onPhase, when set, is called with each new phase, outside the model's
// lock.
func NewProgressiveGPU(dev *gpu.Device, g *Graph, t kernels.Target, onPhase func(Phase)) *GPU {
	m := NewGPU(dev, g, t.Specialized())
	m.phase = PhaseGeneric
	m.onPhase = onPhase
	m.specialized = make(chan struct{})
	m.specDone = make(chan struct{})
	return m
}

// Phase is the model's phase; a model made by NewGPU is always
// PhaseSpecialized.
func (m *GPU) Phase() Phase {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.phase
}

// planTarget is what a new plan's kernels are chosen for: generic until the
// model is specialized. Called with m.mu held.
func (m *GPU) planTarget() kernels.Target {
	if m.phase == PhaseSpecialized {
		return m.target
	}
	t := m.target
	t.Generic = true
	return t
}

// Specialize starts compiling the specialized pipelines in the background
// (a no-op when they are compiling or compiled, or on a model made by
// NewGPU), also after an earlier attempt failed. Generic plans start it
// themselves after their first run (specializeAfterRun).
func (m *GPU) Specialize() { m.startSpecializing(true) }

// specializeAfterRun is a generic plan's onRun: Specialize, unless an
// earlier attempt failed.
func (m *GPU) specializeAfterRun() { m.startSpecializing(false) }

// startSpecializing is Specialize; retry says whether to start again after
// a failed attempt.
func (m *GPU) startSpecializing(retry bool) {
	m.mu.Lock()
	if m.closed || m.phase != PhaseGeneric || m.specializing || (m.specErr != nil && !retry) || !m.hasGenericPlan() {
		m.mu.Unlock()
		return
	}
	m.specializing = true
	m.specErr = nil
	m.phase = PhaseSpecializing
	m.bg.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.bg.Done()
		m.notePhase(PhaseSpecializing)
		m.specialize()
	}()
}

// WaitSpecialized starts specializing if need be and waits until every
// plan runs on specialized pipelines, ctx is done, the model is closed, or
// specializing failed (its error; the generic plans keep serving). Before
// the model has any plan it waits for the first one (warm-up waits for
// the generic pipelines only; the specialized ones follow the first run).
func (m *GPU) WaitSpecialized(ctx context.Context) error {
	m.mu.Lock()
	ch := m.specialized
	m.mu.Unlock()
	if ch == nil {
		return nil // made by NewGPU
	}
	m.startSpecializing(true)
	for {
		m.mu.Lock()
		phase, err, closed, done := m.phase, m.specErr, m.closed, m.specDone
		m.mu.Unlock()
		switch {
		case closed:
			return errClosed
		case phase == PhaseSpecialized:
			return nil
		case err != nil:
			return err
		}
		select {
		case <-ch:
			return nil
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// hasGenericPlan reports whether a plan runs on generic kernels. Called
// with m.mu held.
func (m *GPU) hasGenericPlan() bool {
	for _, p := range m.plans {
		if p.generic {
			return true
		}
	}
	return false
}

// notePhase reports a new phase to onPhase.
func (m *GPU) notePhase(p Phase) {
	if m.onPhase != nil {
		m.onPhase(p)
	}
}

// specialize is the background goroutine: it specializes the generic
// plans one at a time until none is left.
func (m *GPU) specialize() {
	for {
		m.mu.Lock()
		if m.closed {
			m.endSpecializing(nil)
			m.mu.Unlock()
			return
		}
		var old *Plan
		var key planKey
		for k, p := range m.plans {
			if p.generic {
				key, old = k, p
				break
			}
		}
		if old == nil {
			m.finishSpecialized()
			m.mu.Unlock()
			m.notePhase(PhaseSpecialized)
			return
		}
		n, h, w, outs := old.N, old.H, old.W, old.outs
		m.mu.Unlock()
		// Compile the plan's specialized pipelines without holding the
		// model: generic plans keep serving meanwhile.
		err := m.preparePipelines(n, h, w, outs)
		var p *Plan
		m.mu.Lock()
		if err == nil && !m.closed {
			p, err = m.newPlanFor(m.target, n, h, w, nil, outs)
		}
		m.mu.Unlock()
		if err == nil && p != nil {
			err = m.warm(p)
		}
		m.mu.Lock()
		if p != nil && (err != nil || m.closed) {
			p.release()
		} else if p != nil {
			m.plans[key] = p
			old.retire(p)
		}
		if err != nil || m.closed {
			if err != nil {
				err = fmt.Errorf("model: specializing the plan for input %dx%dx%d: %w", n, h, w, err)
			}
			m.endSpecializing(err)
			m.mu.Unlock()
			m.notePhase(PhaseGeneric)
			return
		}
		m.mu.Unlock()
	}
}

// warm runs the first dispatch of each of p's pipelines alone, one submit
// each, before p is swapped in: many drivers (lavapipe among them)
// compile a pipeline's machine code at its first dispatch, not when it is
// created, and that compile would otherwise land on the first inference
// after the swap. One submit per pipeline keeps the queue free between
// them for the inferences on the generic plans (submits never overlap, so
// the scratch buffers they share stay consistent). It stops early when
// the model is closed.
func (m *GPU) warm(p *Plan) error {
	seen := map[*gpu.Pipeline]bool{}
	for _, d := range p.dispatches {
		if seen[d.Pipeline] {
			continue
		}
		seen[d.Pipeline] = true
		m.mu.Lock()
		closed := m.closed
		m.mu.Unlock()
		if closed {
			return errClosed
		}
		if warmHook != nil {
			warmHook(m)
		}
		if _, err := p.dev.Run([]gpu.Dispatch{d}, nil, 0, 0); err != nil {
			return err
		}
	}
	return nil
}

// warmHook, when set (by tests), runs in warm between its check that the
// model is open and the dispatch.
var warmHook func(*GPU)

// prepareChunk is how many pipelines preparePipelines compiles at a time,
// checking between two batches whether the model was closed.
const prepareChunk = 4

// preparePipelines compiles the specialized pipelines of the plan for
// input n×h×w reading back outs, a few at a time; it stops early when the
// model is closed.
func (m *GPU) preparePipelines(n, h, w int, outs []Value) error {
	ks, err := m.planKernels(m.target, n, h, w, outs)
	if err != nil {
		return err
	}
	for len(ks) > 0 {
		m.mu.Lock()
		closed := m.closed
		m.mu.Unlock()
		if closed {
			return errClosed
		}
		c := min(prepareChunk, len(ks))
		if err := m.cache.Prepare(ks[:c]...); err != nil {
			return err
		}
		ks = ks[c:]
	}
	return nil
}

// planKernels lists the kernels, one per pipeline, of the plan for input
// n×h×w reading back outs with kernels for t, leaving out those whose
// pipeline is built.
func (m *GPU) planKernels(t kernels.Target, n, h, w int, outs []Value) ([]kernels.Kernel, error) {
	return missingKernels(m.graph, m.cache, t, n, h, w, outs)
}

// missingKernels lists the kernels, one per pipeline, of g's plan for
// input n×h×w reading back outs with kernels for t, leaving out those
// whose pipeline cache holds.
func missingKernels(g *Graph, cache *kernels.Cache, t kernels.Target, n, h, w int, outs []Value) ([]kernels.Kernel, error) {
	shapes, err := g.Shapes(n, h, w)
	if err != nil {
		return nil, err
	}
	need, err := g.needed(outs)
	if err != nil {
		return nil, err
	}
	var ks []kernels.Kernel
	seen := map[kernels.Kernel]bool{}
	for i, op := range g.Ops {
		if !need[i] {
			continue
		}
		steps, err := lowerOp(t, i, op, shapes)
		if err != nil {
			return nil, err
		}
		for _, s := range steps {
			if key := kernels.PipelineKey(s.k); !seen[key] && !cache.Has(s.k) {
				seen[key] = true
				ks = append(ks, s.k)
			}
		}
	}
	return ks, nil
}

// endSpecializing stops the background work with err (nil when the model
// closed): the phase goes back to generic. Called with m.mu held.
func (m *GPU) endSpecializing(err error) {
	m.specializing = false
	m.specErr = err
	if !m.closed {
		m.phase = PhaseGeneric
	}
	close(m.specDone)
	m.specDone = make(chan struct{})
}

// finishSpecialized enters PhaseSpecialized: the generic pipelines and the
// weights no specialized plan reads are released. Called with m.mu held.
func (m *GPU) finishSpecialized() {
	m.specializing = false
	m.phase = PhaseSpecialized
	m.cache.ReleaseWhere(kernels.IsGeneric)
	used := map[weightKey]bool{}
	for _, p := range m.plans {
		for _, k := range p.weights {
			used[k] = true
		}
	}
	m.weights.releaseWhere(func(k weightKey) bool { return !used[k] })
	close(m.specialized)
	close(m.specDone)
	m.specDone = make(chan struct{})
}
