//go:build js || cgo

package kernels

import (
	"fmt"
	"slices"

	"github.com/lowformer/lowformer-webgpu/tuning"
)

// On-device tuning of the dense families (Pointwise, Conv with its
// Winograd alternative, Linear). Each distinct kernel key (family, shape,
// epilogue) has candidate specializations from both sets; a tuner measures
// them on the adapter (model.GPU.Tune) and records the fastest in a
// tuning.Table, which Target.Tuned hands back to the Choose methods. A
// tuned choice that is not legal for the shape or the device's limits is
// ignored and the set's rule chooses, so an old or foreign table can make
// a plan slower but never wrong. Another family joins by giving its key
// function, its candidates and the application of a tuning.Choice.

// PointwiseKey is the kernel key of a 1×1 convolution (Target.Pointwise).
func PointwiseKey(m, k, n int, e Epilogue) string {
	return fmt.Sprintf("pointwise m%d k%d n%d %s", m, k, n, e)
}

// ConvKey is the kernel key of a dense k×k convolution (Target.Conv, or
// Target.Winograd for a 3×3 one), which covers the Winograd choice.
func ConvKey(n, h, w, cin, cout, k, stride int, e Epilogue) string {
	return fmt.Sprintf("conv n%d h%d w%d %dto%d k%d s%d %s", n, h, w, cin, cout, k, stride, e)
}

// LinearKey is the kernel key of a fully connected layer (Target.Linear).
func LinearKey(batch, k, n int, e Epilogue) string {
	return fmt.Sprintf("linear b%d k%d n%d %s", batch, k, n, e)
}

// untuned is t without its table: the set's own rules.
func (t Target) untuned() Target {
	t.Tuned = nil
	return t
}

// tuned returns the table's choice of key, if any.
func (t Target) tuned(key string) (tuning.Choice, bool) {
	if t.Tuned == nil {
		return tuning.Choice{}, false
	}
	return t.Tuned.Lookup(key)
}

// choiceOf describes a tile, layout and weight source as a Choice.
func choiceOf(tile Tile, co Coop, tex bool, winograd int) tuning.Choice {
	c := tuning.Choice{Set: string(SetCPU), Winograd: winograd, TM: tile.TM, TN: tile.TN, WG: tile.WG, Tex: tex}
	if co.On() {
		c.Set, c.WM, c.WN, c.KS, c.KC = string(SetGPU), co.WM, co.WN, co.KS, co.KC
	}
	return c
}

// apply returns the tile, layout and weight source of c, and whether they
// are legal on t's device (the family's validate checks the rest).
func (t Target) apply(c tuning.Choice) (Tile, Coop, bool, bool) {
	tile := Tile{TM: c.TM, TN: c.TN, WG: c.WG}
	var co Coop
	switch c.Set {
	case string(SetCPU):
		if c.WM != 0 || c.WN != 0 || c.KS != 0 || c.KC != 0 {
			return tile, co, false, false
		}
	case string(SetGPU):
		co = Coop{WM: c.WM, WN: c.WN, KS: c.KS, KC: c.KC}
		if !co.On() || !t.fits(tile.WG, co.sharedBytes(tile)) {
			return tile, co, false, false
		}
	default:
		return tile, co, false, false
	}
	if c.WG > t.maxInvocations() {
		return tile, co, false, false
	}
	return tile, co, c.Tex, true
}

// maxInvocations is the device's workgroup size limit.
func (t Target) maxInvocations() int {
	if t.MaxInvocations == 0 {
		return 256
	}
	return t.MaxInvocations
}

// tunedPointwise is the table's Pointwise for the key, if legal.
func (t Target) tunedPointwise(m, k, n int, e Epilogue) (Pointwise, bool) {
	c, ok := t.tuned(PointwiseKey(m, k, n, e))
	if !ok || c.Winograd != 0 {
		return Pointwise{}, false
	}
	tile, co, tex, ok := t.apply(c)
	p := Pointwise{M: m, K: k, N: n, Tile: tile, Coop: co, Tex: tex, Epilogue: e}
	return p, ok && p.validate() == nil
}

// tunedConv is the table's choice for a dense convolution if legal:
// winograd > 0 for Winograd with that tile side (with w its kernels),
// else the direct convolution d.
func (t Target) tunedConv(n, h, w, cin, cout, k, stride int, e Epilogue) (d Conv, wg Winograd, winograd int, ok bool) {
	c, found := t.tuned(ConvKey(n, h, w, cin, cout, k, stride, e))
	if !found {
		return d, wg, 0, false
	}
	tile, co, tex, legal := t.apply(c)
	if !legal {
		return d, wg, 0, false
	}
	if c.Winograd > 0 {
		if k != 3 || stride != 1 || !slices.Contains(winogradTileSizes, c.Winograd) {
			return d, wg, 0, false
		}
		wg, _ = winogradFor(n, h, w, cin, cout, c.Winograd, e)
		wg.Gemm.Tile, wg.Gemm.Coop, wg.Gemm.Tex = tile, co, tex
		for _, kk := range wg.Kernels() {
			if err := kk.(interface{ validate() error }).validate(); err != nil {
				return d, wg, 0, false
			}
		}
		return d, wg, c.Winograd, true
	}
	d = Conv{N: n, H: h, W: w, Cin: cin, Cout: cout, K: k, Stride: stride, Epilogue: e, Tile: tile, Coop: co, Tex: tex}
	return d, wg, 0, d.validate() == nil
}

// tunedLinear is the table's Linear for the key, if legal.
func (t Target) tunedLinear(batch, k, n int, e Epilogue) (Linear, bool) {
	c, ok := t.tuned(LinearKey(batch, k, n, e))
	if !ok || c.Winograd != 0 {
		return Linear{}, false
	}
	tile, co, tex, ok := t.apply(c)
	l := Linear{Batch: batch, K: k, N: n, Tile: tile, Coop: co, Tex: tex, Epilogue: e}
	return l, ok && l.validate() == nil
}

// Candidates are the specializations a tuner measures for one kernel key,
// the untuned choice first.
type Candidates struct {
	Key     string
	Default tuning.Choice
	Choices []tuning.Choice // Choices[0] == Default
}

// cands collects distinct legal choices after the default.
type cands struct {
	Candidates
	legal func(tuning.Choice) bool
}

// newCands starts the candidates of key with def. A choice is legal when
// tunedOK, given u with a table forcing that choice, accepts it: the same
// path plans take.
func newCands(u Target, key string, def tuning.Choice, tunedOK func(Target) bool) cands {
	return cands{
		Candidates: Candidates{Key: key, Default: def, Choices: []tuning.Choice{def}},
		legal: func(ch tuning.Choice) bool {
			return tunedOK(u.Force(map[string]tuning.Choice{key: ch}))
		},
	}
}

func (c *cands) add(ch tuning.Choice) {
	for _, x := range c.Choices {
		if x == ch {
			return
		}
	}
	if c.legal(ch) {
		c.Choices = append(c.Choices, ch)
	}
}

// registerTiles are the CPU set's candidate tiles for an M×(4·n4) output
// of batch GEMMs, in the order of the set's own estimate (best first),
// each with the workgroup size the set would pick; then the estimate's best
// tile with the other workgroup sizes.
func registerTiles(m, n4, batch int, tiles []gemmTile) []Tile {
	var out []Tile
	rest := append([]gemmTile(nil), tiles...)
	for len(rest) > 0 {
		best, _ := scoreGemmTileBatch(m, n4, batch, rest)
		out = append(out, best)
		for i, c := range rest {
			if c.TM == best.TM && c.TN == best.TN {
				rest = append(rest[:i], rest[i+1:]...)
				break
			}
		}
	}
	if len(out) > 0 {
		for _, wg := range []int{8, 16, 32} {
			if wg != out[0].WG {
				out = append(out, Tile{TM: out[0].TM, TN: out[0].TN, WG: wg})
			}
		}
	}
	return out
}

// coopCandidates are the GPU set's tiles legal for K4 vec4s along K on t's
// device.
func (t Target) coopCandidates(k4 int) []coopTile {
	var out []coopTile
	for _, c := range coopTiles {
		if c.KS > 1 && k4 < c.KS*c.KC/4*2 {
			continue
		}
		if t.fits(c.WG, c.sharedBytes(c.Tile)) {
			out = append(out, c)
		}
	}
	return out
}

// PointwiseCandidates are the candidates of a 1×1 convolution: t's
// untuned choice, the CPU set's register tiles (texture weights where they
// fit), then the GPU set's cooperative tiles (storage-buffer weights).
func (t Target) PointwiseCandidates(m, k, n int, e Epilogue) Candidates {
	u := t.untuned()
	d := u.Pointwise(m, k, n, e)
	c := newCands(u, PointwiseKey(m, k, n, e), choiceOf(d.Tile, d.Coop, d.Tex, 0), func(t Target) bool {
		_, ok := t.tunedPointwise(m, k, n, e)
		return ok
	})
	for _, tile := range registerTiles(m, n/4, 1, gemmTiles) {
		c.add(choiceOf(tile, Coop{}, texFits(k, n), 0))
	}
	for _, ct := range u.coopCandidates(k / 4) {
		c.add(choiceOf(ct.Tile, ct.Coop, false, 0))
	}
	return c.Candidates
}

// ConvCandidates are the candidates of a dense k×k convolution: t's
// untuned choice, the direct convolution with the CPU set's register
// tiles, for a 3×3 stride-1 one with at least 16 input channels Winograd
// with each output tile side (the CPU set's tile of its products and the
// GPU set's), then the direct convolution with the GPU set's tiles.
func (t Target) ConvCandidates(n, h, w, cin, cout, k, stride int, e Epilogue) Candidates {
	u := t.untuned()
	key := ConvKey(n, h, w, cin, cout, k, stride, e)
	var def tuning.Choice
	if u.UseWinograd(n, h, w, cin, cout, k, stride) {
		wk := u.Winograd(n, h, w, cin, cout, e)
		def = choiceOf(wk.Gemm.Tile, wk.Gemm.Coop, wk.Gemm.Tex, wk.TileSide())
	} else {
		d := u.Conv(n, h, w, cin, cout, k, stride, e)
		def = choiceOf(d.Tile, d.Coop, d.Tex, 0)
	}
	c := newCands(u, key, def, func(t Target) bool {
		_, _, _, ok := t.tunedConv(n, h, w, cin, cout, k, stride, e)
		return ok
	})
	probe := Conv{N: n, H: h, W: w, Cin: cin, Cout: cout, K: k, Stride: stride}
	rows, tex := probe.Rows(), texFits(k*k*cin, cout)
	regs := registerTiles(rows, cout/4, 1, gemmTiles)
	if len(regs) > 0 {
		c.add(choiceOf(regs[0], Coop{}, tex, 0))
	}
	if k == 3 && stride == 1 && cin >= 16 {
		for _, m := range winogradTileSizes {
			wk, _ := winogradFor(n, h, w, cin, cout, m, e)
			c.add(choiceOf(wk.Gemm.Tile, Coop{}, wk.Gemm.Tex, m))
			g := wk.Gemm
			tile, co := u.chooseCoopTile(g.Tiles, g.Cout/4, g.Cin/4, g.Planes)
			c.add(choiceOf(tile, co, false, m))
		}
	}
	for _, tile := range regs {
		c.add(choiceOf(tile, Coop{}, tex, 0))
	}
	for _, ct := range u.coopCandidates(k * k * cin / 4) {
		c.add(choiceOf(ct.Tile, ct.Coop, false, 0))
	}
	return c.Candidates
}

// LinearCandidates are the candidates of a fully connected layer: t's
// untuned choice, the CPU set's tiles (the whole batch, up to 8 rows, per
// invocation), then the GPU set's cooperative tiles.
func (t Target) LinearCandidates(batch, k, n int, e Epilogue) Candidates {
	u := t.untuned()
	d := u.Linear(batch, k, n, e)
	c := newCands(u, LinearKey(batch, k, n, e), choiceOf(d.Tile, d.Coop, d.Tex, 0), func(t Target) bool {
		_, ok := t.tunedLinear(batch, k, n, e)
		return ok
	})
	tm := min(batch, 8)
	tiles := make([]gemmTile, len(linearTiles))
	for i, lt := range linearTiles {
		tiles[i] = gemmTile{TM: tm, TN: lt.TN, speed: lt.speed}
	}
	for _, tile := range registerTiles(batch, ceilDiv(n, 4), 1, tiles) {
		c.add(choiceOf(tile, Coop{}, texFits(k, n), 0))
	}
	for _, ct := range u.coopCandidates(k / 4) {
		c.add(choiceOf(ct.Tile, ct.Coop, false, 0))
	}
	return c.Candidates
}

// Force returns t with a table choosing c for each key of choices (to
// build a plan of forced candidates, and to check a candidate's legality
// through the same path plans take; the untuned rules choose the rest).
func (t Target) Force(choices map[string]tuning.Choice) Target {
	tb := tuning.New(tuning.Adapter{Description: "forced"}, string(t.Set))
	for k, c := range choices {
		tb.Record(k, c, tuning.Measured{Choice: c, Ms: 1}, 0)
	}
	t.Tuned = tb
	return t
}
