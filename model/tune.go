//go:build js || cgo

package model

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/tuning"
)

// TuneMethod says how Tune times a candidate. Timestamp queries are not
// used: cogentcore/webgpu v0.23.0 has no compute-pass timestampWrites (see
// ProfileMethod), so each candidate is timed as Profile times a dispatch.
const TuneMethod = "candidates built into a full plan (the rest of the plan on its untuned kernels), run once, then each " +
	"candidate's dispatches timed in isolation (a candidate whose first run takes over 4× its default's time is recorded with that run): " + ProfileMethod

// DefaultTuneBudget is Tune's time budget when TuneOptions.Budget is zero.
const DefaultTuneBudget = 60 * time.Second

// tuneRoundKeys is how many keys one round of Tune forces at most: a round
// compiles that many pipelines in one go, so it bounds how far a round
// runs past the budget.
const tuneRoundKeys = 8

// TuneOptions configure Tune.
type TuneOptions struct {
	// Budget is the time Tune may take (zero: DefaultTuneBudget): it
	// starts no round after three quarters of it (at most 15 s before its
	// end), leaving the rest pending for a later run, and spends the rest
	// confirming the changed choices; a round or the confirmation can run
	// a few seconds past it.
	Budget time.Duration
	// Progress, when set, receives each measurement.
	Progress func(TuneProgress)
	// Save, when set, is called with the table after each round, so that
	// an interrupted run loses at most one round.
	Save func(*tuning.Table) error
}

// TuneProgress reports one measured candidate.
type TuneProgress struct {
	Key       string
	Candidate tuning.Choice
	Ms        float64
	// Measured and Total count the candidates of every key of the plan,
	// measured (by this run or earlier ones) and in all.
	Measured, Total int
	Elapsed         time.Duration
	// Err is set, with Ms zero, for a candidate whose plan could not be
	// built; it is skipped.
	Err error
}

// TuneResult summarizes a Tune run.
type TuneResult struct {
	Keys            int // distinct dense kernel keys of the plan
	Measured, Total int // candidates measured so far (all runs), in all
	ThisRun         int // candidates measured by this run
	Elapsed         time.Duration
	Complete        bool // every candidate is measured
}

// tuneKey is one distinct dense kernel key of a plan: its candidates and
// the first op that has it.
type tuneKey struct {
	kernels.Candidates
	op int
	// capMs, when positive, is the time past which a candidate is not
	// timed further: one run of it above capMs is its measurement.
	capMs float64
}

// slowFactor is how many times its default's time a candidate's first
// run may take before Tune records that run instead of timing it properly
// (such a candidate cannot win; the GPU set's tiles on lavapipe take
// 5–40× the default).
const slowFactor = 4

// denseCandidates are the tuning candidates of op for t, if it is of a
// dense family (the cases of lowerConv and lowerLinear).
func denseCandidates(t kernels.Target, op Op, shapes []Shape) (kernels.Candidates, bool) {
	switch o := op.(type) {
	case *Conv:
		if o.Depthwise {
			return kernels.Candidates{}, false
		}
		s := shapes[o.In]
		e := kernels.Epilogue{Act: o.Activation, Residual: o.Residual != NoValue}
		if o.K == 1 && o.Stride == 1 {
			return t.PointwiseCandidates(s.N*s.H*s.W, o.Cin, o.Cout, e), true
		}
		return t.ConvCandidates(s.N, s.H, s.W, o.Cin, o.Cout, o.K, o.Stride, e), true
	case *Linear:
		s := shapes[o.In]
		return t.LinearCandidates(s.N, o.K, o.N, kernels.Epilogue{Act: o.Activation}), true
	}
	return kernels.Candidates{}, false
}

// TuneKeys lists the distinct dense kernel keys of the plan for n images
// of h×w pixels with their candidates, in plan order.
func (m *GPU) TuneKeys(n, h, w int) ([]kernels.Candidates, error) {
	keys, err := m.tuneKeys(n, h, w)
	if err != nil {
		return nil, err
	}
	out := make([]kernels.Candidates, len(keys))
	for i, k := range keys {
		out[i] = k.Candidates
	}
	return out, nil
}

func (m *GPU) tuneKeys(n, h, w int) ([]tuneKey, error) {
	shapes, err := m.graph.Shapes(n, h, w)
	if err != nil {
		return nil, err
	}
	t := m.target
	t.Tuned = nil
	var keys []tuneKey
	seen := map[string]bool{}
	for i, op := range m.graph.Ops {
		c, ok := denseCandidates(t, op, shapes)
		if !ok || seen[c.Key] {
			continue
		}
		seen[c.Key] = true
		keys = append(keys, tuneKey{Candidates: c, op: i})
	}
	return keys, nil
}

// Tune measures, on this model's device, the candidate specializations of
// every dense kernel key of the plan for n images of h×w pixels that tb
// has not measured yet, and records them in tb (whose chosen choices then
// are the fastest; see tuning.Table.Record). Each round forces the next
// candidate of up to tuneRoundKeys keys (the costliest first) into a
// plan of untuned kernels and times the forced ops' dispatches (see
// TuneMethod). It stops when every candidate is measured, when the budget
// is spent (between rounds) or when ctx is done, and returns what it did;
// tb can be passed to a later Tune to go on. It does not change the plans
// this model serves: a model built with tb as its target's table does.
// Tune competes with inferences for the device but holds the model's lock
// only while building a plan.
func (m *GPU) Tune(ctx context.Context, tb *tuning.Table, n, h, w int, opt TuneOptions) (TuneResult, error) {
	start := time.Now()
	budget := opt.Budget
	if budget <= 0 {
		budget = DefaultTuneBudget
	}
	keys, err := m.tuneKeys(n, h, w)
	if err != nil {
		return TuneResult{}, err
	}
	base := m.target
	base.Tuned = nil
	res := TuneResult{Keys: len(keys)}
	failed := map[string]bool{} // key + candidate that failed to build
	pending := func(k tuneKey) []tuning.Choice {
		var out []tuning.Choice
		for _, c := range k.Choices {
			if !tb.Measured(k.Key, c) && !failed[k.Key+c.String()] {
				out = append(out, c)
			}
		}
		return out
	}
	count := func() {
		res.Measured, res.Total = 0, 0
		for _, k := range keys {
			res.Total += len(k.Choices)
			res.Measured += len(k.Choices) - len(pending(k))
		}
	}
	defMs := func(k tuneKey) float64 {
		if e, ok := tb.Entry(k.Key); ok {
			for _, c := range e.Candidates {
				if c.Choice == k.Default {
					return c.Ms
				}
			}
		}
		return 0
	}
	finish := func() (TuneResult, error) {
		if err := m.confirm(base, tb, keys, n, h, w); err != nil {
			return res, err
		}
		if opt.Save != nil {
			if err := opt.Save(tb); err != nil {
				return res, err
			}
		}
		res.Elapsed = time.Since(start)
		return res, nil
	}
	for {
		count()
		res.Elapsed = time.Since(start)
		if res.Measured == res.Total {
			res.Complete = true
			return finish()
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if res.Elapsed >= budget-confirmReserve(budget) {
			return finish()
		}
		// The round: the defaults first (one plan of untuned kernels
		// times them all), then the next candidate of the costliest keys.
		force := map[string]tuning.Choice{}
		var round []tuneKey
		for _, k := range keys {
			if p := pending(k); len(p) > 0 && p[0] == k.Default {
				round = append(round, k)
			}
		}
		if len(round) == 0 {
			var todo []tuneKey
			for _, k := range keys {
				if len(pending(k)) > 0 {
					todo = append(todo, k)
				}
			}
			sort.SliceStable(todo, func(i, j int) bool { return defMs(todo[i]) > defMs(todo[j]) })
			round = slices.Clone(todo[:min(len(todo), tuneRoundKeys)])
			for i, k := range round {
				force[k.Key] = pending(k)[0]
				round[i].capMs = slowFactor * defMs(k)
			}
		}
		if err := m.tuneRound(ctx, base, tb, round, force, n, h, w, opt, start, failed, func() (int, int) {
			count()
			return res.Measured, res.Total
		}); err != nil {
			return res, err
		}
		res.ThisRun += len(round)
		if opt.Save != nil {
			if err := opt.Save(tb); err != nil {
				return res, err
			}
		}
	}
}

// confirmReserve is the part of a budget Tune keeps for confirm: a
// quarter, at most 15 s.
func confirmReserve(budget time.Duration) time.Duration { return min(budget/4, 15*time.Second) }

// confirmRounds is how many times confirm times each changed key's
// default and chosen ops alternately.
const confirmRounds = 5

// confirm re-times, for every key whose chosen choice is not its
// default, the default and the chosen ops side by side (alternately, in
// an untuned plan and a plan of the chosen choices, confirmRounds times)
// and replaces their times by the medians, so that a choice does not rest
// on measurements taken under different loads; a key whose choice then
// moves to another non-default candidate is confirmed again (up to 3
// passes).
func (m *GPU) confirm(base kernels.Target, tb *tuning.Table, keys []tuneKey, n, h, w int) error {
	for range 3 {
		var changed []tuneKey
		chosen := map[string]tuning.Choice{}
		for _, k := range keys {
			if e, ok := tb.Entry(k.Key); ok && len(e.Candidates) > 0 && e.Chosen != e.Default {
				changed = append(changed, k)
				chosen[k.Key] = e.Chosen
			}
		}
		if len(changed) == 0 {
			return nil
		}
		def, tuned, err := m.timeSideBySide(base, base.Force(chosen), changed, n, h, w)
		if err != nil {
			return err
		}
		again := false
		for i, k := range changed {
			tb.Confirm(k.Key, map[tuning.Choice]float64{k.Default: median(def[i]), chosen[k.Key]: median(tuned[i])})
			if e, _ := tb.Entry(k.Key); e.Chosen != k.Default && e.Chosen != chosen[k.Key] {
				again = true
			}
		}
		if !again {
			return nil
		}
	}
	return nil
}

// timeSideBySide builds the plans of ta and tb and times the keys' ops in
// each alternately, confirmRounds times.
func (m *GPU) timeSideBySide(ta, tb kernels.Target, keys []tuneKey, n, h, w int) (a, b [][]float64, err error) {
	pa, ra, err := m.tunePlan(ta, n, h, w)
	if err != nil {
		return nil, nil, err
	}
	defer ra()
	pb, rb, err := m.tunePlan(tb, n, h, w)
	if err != nil {
		return nil, nil, err
	}
	defer rb()
	a, b = make([][]float64, len(keys)), make([][]float64, len(keys))
	for range confirmRounds {
		x, err := timeKeys(pa, keys)
		if err != nil {
			return nil, nil, err
		}
		y, err := timeKeys(pb, keys)
		if err != nil {
			return nil, nil, err
		}
		for i := range keys {
			a[i], b[i] = append(a[i], x[i]), append(b[i], y[i])
		}
	}
	return a, b, nil
}

// median is the middle of xs (the upper one of an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64Slice(s).Sort() // not slices.Sort: its float64 instantiation is 12 KB more wasm
	return s[len(s)/2]
}

// tuneRound builds the plan forcing force's choices, times the first op
// of each key of round and records the results. A plan that cannot be
// built is retried one key at a time, and a candidate that fails alone is
// marked failed and reported.
func (m *GPU) tuneRound(ctx context.Context, base kernels.Target, tb *tuning.Table, round []tuneKey, force map[string]tuning.Choice,
	n, h, w int, opt TuneOptions, start time.Time, failed map[string]bool, count func() (int, int)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := base
	if len(force) > 0 {
		t = base.Force(force)
	}
	times, err := m.timeOps(t, round, n, h, w)
	if err != nil {
		if len(force) == 0 {
			return err // the untuned plan itself fails
		}
		if len(round) == 1 {
			k := round[0]
			failed[k.Key+force[k.Key].String()] = true
			if opt.Progress != nil {
				meas, total := count()
				opt.Progress(TuneProgress{Key: k.Key, Candidate: force[k.Key], Measured: meas, Total: total, Elapsed: time.Since(start), Err: err})
			}
			return nil
		}
		for _, k := range round {
			one := map[string]tuning.Choice{k.Key: force[k.Key]}
			if err := m.tuneRound(ctx, base, tb, []tuneKey{k}, one, n, h, w, opt, start, failed, count); err != nil {
				return err
			}
		}
		return nil
	}
	for i, k := range round {
		c := k.Default
		if f, ok := force[k.Key]; ok {
			c = f
		}
		rest := 0
		for _, x := range k.Choices {
			if x != c && !tb.Measured(k.Key, x) {
				rest++
			}
		}
		tb.Record(k.Key, k.Default, tuning.Measured{Choice: c, Ms: times[i]}, rest)
		if opt.Progress != nil {
			meas, total := count()
			opt.Progress(TuneProgress{Key: k.Key, Candidate: c, Ms: times[i], Measured: meas, Total: total, Elapsed: time.Since(start)})
		}
	}
	return nil
}

// timeOps builds the plan of t, runs it once and returns the time of the
// dispatches of each key's op (summed over the op's dispatches).
func (m *GPU) timeOps(t kernels.Target, keys []tuneKey, n, h, w int) ([]float64, error) {
	p, release, err := m.tunePlan(t, n, h, w)
	if err != nil {
		return nil, err
	}
	defer release()
	return timeKeys(p, keys)
}

// tunePlan builds an uncached plan of t and runs it once (so every
// dispatch reads valid activations); release frees it.
func (m *GPU) tunePlan(t kernels.Target, n, h, w int) (*Plan, func(), error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, nil, errClosed
	}
	p, err := m.newPlanFor(t, n, h, w, nil, nil)
	m.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	release := func() {
		m.mu.Lock()
		p.release()
		m.mu.Unlock()
	}
	if _, err := p.dev.Run(p.dispatches, nil, 0, 0); err != nil {
		release()
		return nil, nil, err
	}
	return p, release, nil
}

// tuneReps is the least number of copies of a dispatch per timed submit
// while tuning (Profile takes its own from the caller).
const tuneReps = 4

// timeKeys returns the time of the dispatches of each key's op in p.
func timeKeys(p *Plan, keys []tuneKey) ([]float64, error) {
	out := make([]float64, len(keys))
	for i, k := range keys {
		var steps []int
		for j, s := range p.Steps {
			if s.Op == k.op {
				steps = append(steps, j)
			}
		}
		if k.capMs > 0 {
			start := time.Now()
			ds := make([]gpu.Dispatch, len(steps))
			for x, j := range steps {
				ds[x] = p.dispatches[j]
			}
			if _, err := p.dev.Run(ds, nil, 0, 0); err != nil {
				return nil, err
			}
			if ms := float64(time.Since(start).Nanoseconds()) / 1e6; ms > k.capMs {
				out[i] = ms
				continue
			}
		}
		for _, j := range steps {
			s := p.Steps[j]
			ms, err := timeDispatch(p, j, tuneReps)
			if err != nil {
				return nil, fmt.Errorf("model: timing %s (%s): %w", s.Layer, s.Kernel.Label(), err)
			}
			out[i] += ms
		}
	}
	return out, nil
}
