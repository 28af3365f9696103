//go:build js || cgo

package model

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// ProfileMethod says how Profile and MeasureGEMMCeiling time a dispatch.
// Timestamp queries are not used: cogentcore/webgpu v0.23.0 has no
// compute-pass timestampWrites and the device is opened without the
// timestamp-query feature.
const ProfileMethod = "isolated dispatches: each dispatch repeated R times back to back in one compute pass and one submit " +
	"(more for short dispatches, so that a submit lasts at least 10 ms: a submit and its wait cost about 1 ms on lavapipe), " +
	"wall time of the submit (encode + run + wait) divided by R, best of 3 submits; launch and submit costs are included, nothing is subtracted"

// profileSubmitMs is the least duration Profile gives one submit of a
// repeated dispatch, and profileMaxReps the most repetitions it uses to
// reach it.
const (
	profileSubmitMs = 10.0
	profileMaxReps  = 400
)

// DispatchTime is the measured time of one dispatch of a plan, with its
// cost.
type DispatchTime struct {
	Index  int    // position in Plan.Steps
	Op     int    // index in Graph.Ops
	Layer  string // the op's label
	Family string // kernel family, see Family
	Kernel string // the kernel's label
	Ms     float64
	Cost
}

// GFLOPS is the achieved GFLOP/s.
func (d DispatchTime) GFLOPS() float64 { return rate(d.FLOPs, d.Ms) }

// GBPS is the achieved GB/s of compulsory traffic.
func (d DispatchTime) GBPS() float64 { return rate(d.Bytes, d.Ms) }

// rate is amount per second in units of 1e9, from milliseconds.
func rate(amount, ms float64) float64 {
	if ms <= 0 {
		return 0
	}
	return amount / ms / 1e6
}

// Profile times every dispatch of the plan for n images of h×w pixels in
// isolation (see ProfileMethod), repeating each reps times per submit (a
// short dispatch more, see profileSubmitMs), and returns the times in plan
// order. The plan runs once first on the inputs it holds, so every dispatch
// reads valid activations.
func (m *GPU) Profile(n, h, w, reps int) ([]DispatchTime, error) {
	if reps < 1 {
		return nil, fmt.Errorf("model: profile repetitions %d: need at least 1", reps)
	}
	p, err := m.Plan(n, h, w)
	if err != nil {
		return nil, err
	}
	p = p.acquire()
	defer p.mu.Unlock()
	costs, err := StepCosts(m.graph, p.Steps, n, h, w)
	if err != nil {
		return nil, err
	}
	if _, err := p.dev.Run(p.dispatches, nil, 0, 0); err != nil {
		return nil, err
	}
	out := make([]DispatchTime, len(p.Steps))
	for i, s := range p.Steps {
		ms, err := timeDispatch(p, i, reps)
		if err != nil {
			return nil, fmt.Errorf("model: profiling %s (%s): %w", s.Layer, s.Kernel.Label(), err)
		}
		out[i] = DispatchTime{Index: i, Op: s.Op, Layer: s.Layer, Family: Family(s.Kernel), Kernel: s.Kernel.Label(), Ms: ms, Cost: costs[i]}
	}
	return out, nil
}

// timeDispatch times dispatch j of p: the best of 3 submits of at least
// reps copies, more for a short dispatch (up to a profileSubmitMs submit,
// at most profileMaxReps copies), in milliseconds per dispatch.
func timeDispatch(p *Plan, j, reps int) (float64, error) {
	ms, err := timeRepeated(p.dev, p.dispatches[j], reps)
	if err == nil && ms > 0 && ms*float64(reps) < profileSubmitMs {
		r := int(math.Ceil(profileSubmitMs / ms))
		ms, err = timeRepeated(p.dev, p.dispatches[j], min(r, profileMaxReps))
	}
	return ms, err
}

// timeRepeated returns the best of 3 submits of reps copies of d, per
// dispatch, in milliseconds.
func timeRepeated(dev *gpu.Device, d gpu.Dispatch, reps int) (float64, error) {
	batch := make([]gpu.Dispatch, reps)
	for i := range batch {
		batch[i] = d
	}
	best := 0.0
	for range 3 {
		start := time.Now()
		if _, err := dev.Run(batch, nil, 0, 0); err != nil {
			return 0, err
		}
		ms := float64(time.Since(start).Nanoseconds()) / 1e6 / float64(reps)
		if best == 0 || ms < best {
			best = ms
		}
	}
	return best, nil
}

// Group is the sum of the dispatches sharing a key.
type Group struct {
	Key   string
	Count int
	Ms    float64
	Cost
}

// GFLOPS is the group's achieved GFLOP/s.
func (g Group) GFLOPS() float64 { return rate(g.FLOPs, g.Ms) }

// GBPS is the group's achieved GB/s of compulsory traffic.
func (g Group) GBPS() float64 { return rate(g.Bytes, g.Ms) }

// GroupTimes sums times by key (for example Family, or the Block of the
// layer), slowest group first.
func GroupTimes(times []DispatchTime, key func(DispatchTime) string) []Group {
	idx := map[string]int{}
	var out []Group
	for _, t := range times {
		k := key(t)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Group{Key: k})
		}
		g := &out[i]
		g.Count++
		g.Ms += t.Ms
		g.FLOPs += t.FLOPs
		g.Bytes += t.Bytes
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Ms > out[b].Ms })
	return out
}

// TopDispatches returns the k slowest dispatches, slowest first.
func TopDispatches(times []DispatchTime, k int) []DispatchTime {
	s := append([]DispatchTime(nil), times...)
	sort.SliceStable(s, func(a, b int) bool { return s[a].Ms > s[b].Ms })
	return s[:min(k, len(s))]
}

// Ceiling is the measured speed of the best Pointwise GEMM kernel on a
// large square problem: the reference a forward's GFLOP/s is compared to.
type Ceiling struct {
	Kernel    string
	M, K, N   int
	Ms        float64 // per dispatch
	GFLOPS    float64
	Pointwise kernels.Pointwise `json:"-"`
}

// GEMMBench times square GEMMs C[size×size] = A·B (K = size) on a device:
// it holds the operands and the pipelines it has built.
type GEMMBench struct {
	dev     *gpu.Device
	size    int
	res     []gpu.Resource
	release func()
	cache   *kernels.Cache
}

// NewGEMMBench creates the operands of a size³ GEMM (size a multiple of 4).
func NewGEMMBench(dev *gpu.Device, size int) (*GEMMBench, error) {
	if size < 4 || size%4 != 0 {
		return nil, fmt.Errorf("model: GEMM of size %d: need a positive multiple of 4", size)
	}
	res, release, err := gemmOperands(dev, size, kernels.ChoosePointwise(size, size, size, kernels.Epilogue{}).Tex)
	if err != nil {
		return nil, err
	}
	return &GEMMBench{dev: dev, size: size, res: res, release: release, cache: kernels.NewCache(dev)}, nil
}

// Candidates are the kernels whose best is the ceiling: the one
// kernels.ChoosePointwise picks and the other large register tiles.
func (b *GEMMBench) Candidates() []kernels.Pointwise {
	cands := []kernels.Pointwise{kernels.ChoosePointwise(b.size, b.size, b.size, kernels.Epilogue{})}
	for _, t := range []kernels.Tile{{TM: 14, TN: 16, WG: 16}, {TM: 14, TN: 16, WG: 32}, {TM: 8, TN: 16, WG: 32}} {
		if c := cands[0]; c.Tile != t {
			c.Tile = t
			cands = append(cands, c)
		}
	}
	return cands
}

// Time times kernel k (see ProfileMethod), repeated reps times per submit.
func (b *GEMMBench) Time(k kernels.Pointwise, reps int) (Ceiling, error) {
	if k.M != b.size || k.K != b.size || k.N != b.size || reps < 1 {
		return Ceiling{}, fmt.Errorf("model: timing %s on the %d³ GEMM with %d repetitions: wrong shape or repetitions", k.Label(), b.size, reps)
	}
	d, err := b.cache.Dispatch(k, b.res...)
	if err != nil {
		return Ceiling{}, fmt.Errorf("model: GEMM kernel %s: %w", k.Label(), err)
	}
	defer d.Group.Release()
	ms, err := timeRepeated(b.dev, d, reps)
	if err != nil {
		return Ceiling{}, err
	}
	n := float64(b.size)
	return Ceiling{Kernel: k.Label(), M: b.size, K: b.size, N: b.size, Ms: ms, GFLOPS: rate(2*n*n*n, ms), Pointwise: k}, nil
}

// Best times every candidate and returns the fastest.
func (b *GEMMBench) Best(reps int) (Ceiling, error) {
	best := Ceiling{}
	for _, k := range b.Candidates() {
		c, err := b.Time(k, reps)
		if err != nil {
			return Ceiling{}, err
		}
		if c.GFLOPS > best.GFLOPS {
			best = c
		}
	}
	if best.Kernel == "" {
		return best, errors.New("model: GEMM ceiling: no kernel ran")
	}
	return best, nil
}

// Release frees the operands and pipelines.
func (b *GEMMBench) Release() {
	b.cache.Release()
	b.release()
}

// MeasureGEMMCeiling returns the fastest of the candidate kernels on a
// size³ GEMM, each repeated reps times per submit (see ProfileMethod).
func MeasureGEMMCeiling(dev *gpu.Device, size, reps int) (Ceiling, error) {
	if reps < 1 {
		return Ceiling{}, fmt.Errorf("model: GEMM ceiling with %d repetitions: need at least 1", reps)
	}
	b, err := NewGEMMBench(dev, size)
	if err != nil {
		return Ceiling{}, err
	}
	defer b.Release()
	return b.Best(reps)
}

// gemmOperands creates A, B (a texture when tex), bias and C of a square
// GEMM filled with small deterministic values, in the binding order of
// kernels.Pointwise.
func gemmOperands(dev *gpu.Device, size int, tex bool) ([]gpu.Resource, func(), error) {
	var owned []interface{ Release() }
	release := func() {
		for i := len(owned) - 1; i >= 0; i-- {
			owned[i].Release()
		}
	}
	vals := make([]float32, size*size)
	for i := range vals {
		vals[i] = float32(i%13-6) / 16
	}
	buf := func(label string, data []float32) (gpu.Resource, error) {
		b, err := dev.NewBufferFloats(label, data)
		if err != nil {
			return gpu.Resource{}, err
		}
		owned = append(owned, b)
		return gpu.BufferRes(b), nil
	}
	a, err := buf("ceiling.A", vals)
	if err != nil {
		release()
		return nil, nil, err
	}
	var b gpu.Resource
	if tex {
		t, v, terr := dev.NewTextureFloats("ceiling.B", size/4, size, vals)
		err = terr
		if err == nil {
			owned = append(owned, t, v)
			b = gpu.Resource{View: v}
		}
	} else {
		b, err = buf("ceiling.B", vals)
	}
	if err != nil {
		release()
		return nil, nil, err
	}
	bias, err := buf("ceiling.bias", make([]float32, size))
	if err != nil {
		release()
		return nil, nil, err
	}
	c, err := buf("ceiling.C", make([]float32, size*size))
	if err != nil {
		release()
		return nil, nil, err
	}
	return []gpu.Resource{a, b, bias, c}, release, nil
}
