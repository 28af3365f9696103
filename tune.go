package lowformer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/lowformer/lowformer-webgpu/tuning"
)

// TuneMode says whether a model uses and makes on-device tuning tables
// (see Options.Tune and the tuning package).
type TuneMode string

// Tune modes.
const (
	// TuneOff runs the kernel set's own choices and reads no table.
	TuneOff TuneMode = "off"
	// TuneCached (the default) uses Options.TuningTable or
	// Options.Tuning when set, else the table stored for the adapter under
	// os.UserCacheDir()/lowformer/ when there is one, and never tunes
	// unasked.
	TuneCached TuneMode = "cached"
	// TuneBackground is TuneCached, then after Open returns tunes the
	// adapter in the background (DefaultTuneBudget, batch 1 at the native
	// side; with StartProgressive once the specialized pipelines are in),
	// competing with inferences for the device, and stores the
	// table under os.UserCacheDir()/lowformer/ for the next Open; the
	// plans of this model are not swapped.
	TuneBackground TuneMode = "background"
)

// DefaultTuneBudget is the time a tuning run takes at most when
// TuneOptions.Budget is zero (it stops between rounds of measurements).
const DefaultTuneBudget = 60 * time.Second

// ParseTuneMode parses "off", "cached" (or "") or "background", in any
// case; another value is an ErrBadInput error listing the valid ones.
func ParseTuneMode(s string) (TuneMode, error) {
	m, ok := parseTuneMode(s)
	if !ok {
		return "", badInput("unknown tune mode %q (want off, cached or background)", s)
	}
	return m, nil
}

func parseTuneMode(s string) (TuneMode, bool) {
	switch m := TuneMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "", TuneCached:
		return TuneCached, true
	case TuneOff, TuneBackground:
		return m, true
	}
	return "", false
}

// TuneOptions configure Model.Tune.
type TuneOptions struct {
	// Batch and Side are the input shape whose plan is tuned (0: 1 image
	// at Info().NativeSide).
	Batch, Side int
	// Budget is the time the run may take (0: DefaultTuneBudget); what is
	// not measured stays pending in the table for a later run.
	Budget time.Duration
	// Table is the table to go on with; nil: the table at Path when it
	// exists for this adapter, else a new one.
	Table *tuning.Table
	// Path is where the table is saved after each round of measurements
	// (atomically); "" means the adapter's cache file
	// (tuning.CachePath).
	Path string
	// Progress, when set, receives each measurement.
	Progress func(TuneProgress)
}

// TuneProgress reports one measured candidate of a tuning run.
type TuneProgress struct {
	Key, Candidate string
	Ms             float64
	// Measured and Total count the candidates of the plan's kernel keys,
	// measured by this run or earlier ones, and in all.
	Measured, Total int
	Elapsed         time.Duration
	Err             error // a candidate that could not be built (skipped)
}

// String is one progress line, e.g. "[12/683 3.1s] pointwise m196 … : cpu
// r8x16_wg32 tex 0.412 ms".
func (p TuneProgress) String() string {
	s := fmt.Sprintf("[%d/%d %.1fs] %s: %s", p.Measured, p.Total, p.Elapsed.Seconds(), p.Key, p.Candidate)
	if p.Err != nil {
		return s + " failed: " + p.Err.Error()
	}
	return s + fmt.Sprintf(" %.3f ms", p.Ms)
}

// TuneResult is what Model.Tune did.
type TuneResult struct {
	Table           *tuning.Table
	Path            string // where it was saved
	Keys            int    // distinct dense kernel keys of the plan
	Measured, Total int    // candidates measured (all runs), in all
	ThisRun         int    // candidates measured by this run
	Elapsed         time.Duration
	Complete        bool // nothing left pending
	// Resumed says the run went on from a stored table.
	Resumed bool
	// Notes are tables found and ignored (another adapter, unreadable).
	Notes []string
}

// TuningStore keeps the tuning tables of adapters (Options.TuningStore).
// Its methods may be called from several goroutines, one at a time.
type TuningStore interface {
	// LoadTuning returns the table stored for adapter a and where it is
	// (for Info.Tuning and notes); an error wrapping fs.ErrNotExist when
	// there is none, another (wrapping tuning.ErrBadTable for one that
	// does not parse) when it cannot be read.
	LoadTuning(a tuning.Adapter) (*tuning.Table, string, error)
	// SaveTuning stores t as adapter a's table, replacing the previous
	// one whole, and returns where.
	SaveTuning(a tuning.Adapter, t *tuning.Table) (string, error)
}

// storeOf is the store opt names, else the default one (files natively,
// none in the browser).
func storeOf(opt Options) TuningStore {
	if opt.TuningStore != nil {
		return opt.TuningStore
	}
	return defaultStore
}

// tableSource is the table a model runs with and how Info describes it.
type tableSource struct {
	table *tuning.Table
	desc  string   // Info.Tuning
	notes []string // Info.TuningNotes
}

// describeTable is Info.Tuning for table tb found at where.
func describeTable(where string, tb *tuning.Table) string {
	return fmt.Sprintf("%s (%d kernel keys tuned, %d changed from the %s set)", where, tb.Len(), len(tb.Changed()), tb.Set)
}

// checkTable reports why tb cannot serve adapter a running set, "" when
// it can.
func checkTable(tb *tuning.Table, a tuning.Adapter, set string) string {
	switch {
	case tb.Adapter != a:
		return fmt.Sprintf("it was measured on adapter %s, this is %s", tb.Adapter, a)
	case tb.Set != set:
		return fmt.Sprintf("its defaults are the %s kernel set, this model runs the %s set", tb.Set, set)
	}
	return ""
}

// explicitTable is the table Options name (TuningTable, else the file
// Tuning), with where it came from.
type explicitTable struct {
	table *tuning.Table
	where string
}

// loadTuningOption reads the table Options name, if any: a file that
// cannot be read or parsed is an ErrBadInput error (the caller asked for
// it). With Tune off nothing is read.
func loadTuningOption(opt Options) (explicitTable, error) {
	mode, _ := parseTuneMode(string(opt.Tune))
	switch {
	case mode == TuneOff:
		return explicitTable{}, nil
	case opt.TuningTable != nil:
		return explicitTable{opt.TuningTable, "Options.TuningTable"}, nil
	case opt.Tuning != "":
		tb, err := loadTableFile(opt.Tuning)
		if err != nil {
			return explicitTable{}, badInput("Options.Tuning: %w", err)
		}
		return explicitTable{tb, opt.Tuning}, nil
	}
	return explicitTable{}, nil
}

// resolveTuning picks the table a model on adapter a running the kernel
// set set uses: with Tune off none; else the explicit one when it fits
// the adapter and set (ignored with a note otherwise), else the adapter's
// table in store when there is a readable one that fits (ignored with a
// note otherwise).
func resolveTuning(mode TuneMode, explicit explicitTable, a tuning.Adapter, set string, store TuningStore) tableSource {
	if mode == TuneOff {
		return tableSource{}
	}
	if explicit.table != nil {
		if why := checkTable(explicit.table, a, set); why != "" {
			return tableSource{notes: []string{fmt.Sprintf("tuning table %s ignored: %s", explicit.where, why)}}
		}
		return tableSource{table: explicit.table, desc: describeTable(explicit.where, explicit.table)}
	}
	tb, path, err := store.LoadTuning(a)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return tableSource{}
	case err != nil:
		return tableSource{notes: []string{fmt.Sprintf("cached tuning table ignored: %v", err)}}
	}
	if why := checkTable(tb, a, set); why != "" {
		return tableSource{notes: []string{fmt.Sprintf("cached tuning table %s ignored: %s", path, why)}}
	}
	return tableSource{table: tb, desc: describeTable("cached table "+path, tb)}
}

// Tune measures, on this model's adapter, the candidate specializations of
// the dense kernels of the plan for opt.Batch images of opt.Side pixels
// (both sets' tiles and workgroup sizes, split K, Winograd on or off) and
// records the fastest of each kernel key in a tuning table, saved after
// each round of measurements to opt.Path (default: the adapter's cache
// file, which later Opens with TuneCached use). It goes on from
// opt.Table, else from the table at the path when it fits this adapter,
// and stops when all is measured, the budget is spent or ctx is done (the
// table is kept either way). The plans this model serves do not change;
// a model opened afterwards uses the table. It needs the GPU backend.
// A model runs one Tune at a time (a second one meanwhile is an error);
// Close during a Tune cancels it, which then returns what it measured
// with an error wrapping context.Canceled.
func (m *Model) Tune(ctx context.Context, opt TuneOptions) (TuneResult, error) {
	if opt.Budget < 0 {
		return TuneResult{}, badInput("tuning budget %v: want 0 (the default) or more", opt.Budget)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return TuneResult{}, ErrClosed
	}
	if m.gpu == nil {
		return TuneResult{}, badInput("tuning needs the GPU backend; this model runs on the CPU")
	}
	ctx, done, err := m.startTune(ctx)
	if err != nil {
		return TuneResult{}, err
	}
	defer done()
	return m.gpu.tune(ctx, opt, m.info.NativeSide)
}

// startTune registers a Tune run: it returns ctx with the cancel that
// Close calls, and the function that ends the run. A model tunes one run
// at a time, and none once Close has begun.
func (m *Model) startTune(ctx context.Context) (context.Context, func(), error) {
	m.tuneMu.Lock()
	defer m.tuneMu.Unlock()
	switch {
	case m.closing:
		return nil, nil, ErrClosed
	case m.tuneStop != nil:
		return nil, nil, errors.New("lowformer: this model is already tuning")
	}
	ctx, cancel := context.WithCancel(ctx)
	m.tuneStop = cancel
	return ctx, func() {
		m.tuneMu.Lock()
		m.tuneStop = nil
		m.tuneMu.Unlock()
		cancel()
	}, nil
}

// TuningTable returns the tuning table this model's plans use (Info().Tuning
// says where it came from), nil when there is none: Tune off, no table
// found or fitting the adapter, or the CPU backend. A table that Tune or
// TuneBackground fill is not this one unless it was passed in; read theirs
// from TuneResult.Table or the store.
func (m *Model) TuningTable() *tuning.Table {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.gpu != nil && !m.closed {
		return m.gpu.tuningTable()
	}
	return nil
}
