package lowformer

import (
	"context"
	"strings"
)

// Start says how a GPU model starts (see Options.Start).
type Start string

// Start modes.
const (
	// StartProgressive (the default, also for "") builds each input
	// shape's plan on a handful of generic pipelines, whose sizes are run-
	// time values, so that the first results come after compiling those
	// few; after the first run the specialized (and tuned) pipelines
	// compile in the background and replace the generic ones between two
	// inferences. The logits agree within f32 rounding before and after.
	// Open starts the generic pipelines of the first plan (one image of
	// the native side) before it builds the graph from the checkpoint, so
	// that the driver compiles them meanwhile.
	StartProgressive Start = "progressive"
	// StartSpecialized compiles each shape's specialized pipelines before
	// its first result, as before progressive plans: the slowest first
	// result on an empty shader cache, no background work.
	StartSpecialized Start = "specialized"
)

// ParseStart parses "progressive" (or "") or "specialized", in any case;
// another value is an ErrBadInput error listing the valid ones.
func ParseStart(s string) (Start, error) {
	st, ok := parseStart(s)
	if !ok {
		return "", badInput("unknown start %q (want progressive or specialized)", s)
	}
	return st, nil
}

func parseStart(s string) (Start, bool) {
	switch Start(strings.ToLower(s)) {
	case "", StartProgressive:
		return StartProgressive, true
	case StartSpecialized:
		return StartSpecialized, true
	}
	return "", false
}

// Phase is where a GPU model's pipelines are (Info().Phase); it is empty
// on the CPU backend.
type Phase string

// Phases of a GPU model. A StartSpecialized model is always
// PhaseSpecialized; a StartProgressive one goes PhaseGeneric →
// PhaseSpecializing (after the first run) → PhaseSpecialized.
const (
	// PhaseGeneric: the plans run on generic pipelines; the specialized
	// ones are not compiling (not yet, or an attempt failed: see
	// Model.WaitSpecialized).
	PhaseGeneric Phase = "generic"
	// PhaseSpecializing: the plans run on generic pipelines while the
	// specialized ones compile in the background.
	PhaseSpecializing Phase = "specializing"
	// PhaseSpecialized: every plan runs on specialized pipelines.
	PhaseSpecialized Phase = "specialized"
)

// WaitSpecialized starts compiling the specialized pipelines if a
// progressive model has not yet (it does after its first run; before any
// run it waits for one) and waits until every plan runs on them; it returns at once on the CPU backend
// and on a StartSpecialized model. It returns ctx's error when ctx is done
// first, ErrClosed when the model is closed, and the error of a failed
// specialization (the generic plans keep serving).
func (m *Model) WaitSpecialized(ctx context.Context) error {
	m.mu.RLock()
	g, closed := m.gpu, m.closed
	m.mu.RUnlock()
	switch {
	case closed:
		return ErrClosed
	case g == nil:
		return nil
	}
	err := g.waitSpecialized(ctx)
	if err != nil && ctx.Err() == nil && m.isClosed() {
		return ErrClosed
	}
	return err
}

// isClosed reports whether Close was called.
func (m *Model) isClosed() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.closed
}
