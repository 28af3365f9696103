// Package tuning holds on-device tuning tables: for one adapter, the
// measured time of each candidate specialization of each dense kernel key
// of a plan, and the chosen one. A table is JSON (see Table), versioned,
// stored natively under os.UserCacheDir()/lowformer/ (CachePath, written
// atomically by Save) and importable/exportable as a file. The package
// knows nothing of kernels or devices: kernels turns a Choice into a
// specialization (and refuses one that is not legal for the shape), model
// measures the candidates.
//
// The JSON side (Parse, Load, Marshal, Save) is not in GOOS=js builds:
// encoding/json would add about 75 KB of gzip to the browser's wasm, which
// has no files to read tables from (tables are measured and stored
// natively; a Go program in the browser passes one as a *Table).
package tuning

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Version is the table format written by this package; Parse refuses any
// other.
const Version = 1

// Adapter identifies the adapter a table was measured on. Two adapters are
// the same when every field matches.
type Adapter struct {
	Vendor       string `json:"vendor"`
	Architecture string `json:"architecture"`
	Device       string `json:"device"` // the adapter's name (GPUAdapterInfo.device in the browser)
	Description  string `json:"description"`
	Backend      string `json:"backend"` // "vulkan", "metal", ..., "webgpu" in the browser
}

// String is a short description for notes.
func (a Adapter) String() string {
	s := a.Description
	if s == "" {
		s = strings.TrimSpace(a.Vendor + " " + a.Device)
	}
	if s == "" {
		s = "unnamed adapter"
	}
	return fmt.Sprintf("%q (%s)", s, a.Backend)
}

// Choice is one specialization of a dense kernel key, in the terms of the
// kernels package: Set says which set's shape it has ("cpu": register
// tile; "gpu": workgroup-cooperative tile WM×WN, split K over KS groups,
// K chunk KC); Winograd > 0 runs a 3×3 convolution as Winograd with output
// tiles of that side, the tile then being that of its products; Tex puts
// the weights in a texture.
type Choice struct {
	Set      string `json:"set"`
	Winograd int    `json:"winograd,omitempty"`
	TM       int    `json:"tm"`
	TN       int    `json:"tn"`
	WG       int    `json:"wg"`
	WM       int    `json:"wm,omitempty"`
	WN       int    `json:"wn,omitempty"`
	KS       int    `json:"ks,omitempty"`
	KC       int    `json:"kc,omitempty"`
	Tex      bool   `json:"tex,omitempty"`
}

// String names the choice for reports, e.g. "cpu r14x16_wg32 tex" or
// "gpu winograd4 r4x4_wg64 co8x8_kc32".
func (c Choice) String() string {
	var b strings.Builder
	b.WriteString(c.Set)
	if c.Winograd > 0 {
		fmt.Fprintf(&b, " winograd%d", c.Winograd)
	}
	fmt.Fprintf(&b, " r%dx%d_wg%d", c.TM, c.TN, c.WG)
	if c.WM > 0 {
		fmt.Fprintf(&b, " co%dx%d_kc%d", c.WM, c.WN, c.KC)
		if c.KS > 1 {
			fmt.Fprintf(&b, "_ks%d", c.KS)
		}
	}
	if c.Tex {
		b.WriteString(" tex")
	}
	return b.String()
}

// Measured is a candidate with its time per run in milliseconds (for a
// Winograd candidate, its three dispatches together).
type Measured struct {
	Choice Choice  `json:"choice"`
	Ms     float64 `json:"ms"`
}

// Entry is what a table holds for one kernel key.
type Entry struct {
	// Default is the choice of the untuned kernel set for the key.
	Default Choice `json:"default"`
	// Candidates are the measured candidates, in the order measured.
	Candidates []Measured `json:"candidates"`
	// Pending counts the candidates not measured yet (a resumed run
	// measures them).
	Pending int `json:"pending"`
	// Chosen is the choice plans use: the fastest measured candidate,
	// unless it is within Margin of the default's time, when the default
	// stays.
	Chosen Choice `json:"chosen"`
}

// Margin is how much faster than the default (as a fraction of the
// default's time) a candidate must measure to replace it, so that noise
// does not swap kernels for nothing.
const Margin = 0.03

// Table is a tuning table for one adapter. Its methods are safe for
// concurrent use.
type Table struct {
	Version int     `json:"version"`
	Adapter Adapter `json:"adapter"`
	// Set is the kernel set the defaults come from ("cpu" or "gpu").
	Set string `json:"set"`
	// Entries are keyed by kernel key (e.g. "pointwise m196 k128 n512
	// hswish"), see the kernels package's key functions.
	Entries map[string]*Entry `json:"entries"`

	mu sync.RWMutex
}

// New returns an empty table for adapter a whose defaults come from set.
func New(a Adapter, set string) *Table {
	return &Table{Version: Version, Adapter: a, Set: set, Entries: map[string]*Entry{}}
}

// Lookup returns the chosen specialization of key, if the table has one.
// A nil table has none.
func (t *Table) Lookup(key string) (Choice, bool) {
	if t == nil {
		return Choice{}, false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	e, ok := t.Entries[key]
	if !ok || len(e.Candidates) == 0 {
		return Choice{}, false
	}
	return e.Chosen, true
}

// Entry returns a copy of key's entry.
func (t *Table) Entry(key string) (Entry, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	e, ok := t.Entries[key]
	if !ok {
		return Entry{}, false
	}
	c := *e
	c.Candidates = append([]Measured(nil), e.Candidates...)
	return c, true
}

// Keys lists the table's keys, sorted.
func (t *Table) Keys() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ks := make([]string, 0, len(t.Entries))
	for k := range t.Entries {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Len is the number of keys with at least one measurement.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 0
	for _, e := range t.Entries {
		if len(e.Candidates) > 0 {
			n++
		}
	}
	return n
}

// Measured reports whether key's candidate c has been measured.
func (t *Table) Measured(key string, c Choice) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if e, ok := t.Entries[key]; ok {
		for _, m := range e.Candidates {
			if m.Choice == c {
				return true
			}
		}
	}
	return false
}

// Record adds the measurement m of key (whose untuned choice is def and
// which has pending candidates left unmeasured) and updates its chosen
// choice. A candidate measured again keeps the faster time.
func (t *Table) Record(key string, def Choice, m Measured, pending int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.Entries[key]
	if !ok {
		e = &Entry{Default: def}
		t.Entries[key] = e
	}
	e.Default, e.Pending = def, pending
	found := false
	for i := range e.Candidates {
		if e.Candidates[i].Choice == m.Choice {
			e.Candidates[i].Ms = min(e.Candidates[i].Ms, m.Ms)
			found = true
		}
	}
	if !found {
		e.Candidates = append(e.Candidates, m)
	}
	e.Chosen = e.choose()
}

// Confirm replaces the times of key's candidates in ms (measured side by
// side, so fairer to compare than times from different rounds) and
// updates its chosen choice; candidates it does not name keep theirs.
func (t *Table) Confirm(key string, ms map[Choice]float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.Entries[key]
	if !ok {
		return
	}
	for i, m := range e.Candidates {
		if v, ok := ms[m.Choice]; ok && v > 0 {
			e.Candidates[i].Ms = v
		}
	}
	e.Chosen = e.choose()
}

// choose is the fastest candidate, or the default when that is measured
// and no candidate beats it by Margin.
func (e *Entry) choose() Choice {
	best := e.Candidates[0]
	defMs := -1.0
	for _, m := range e.Candidates {
		if m.Ms < best.Ms {
			best = m
		}
		if m.Choice == e.Default {
			defMs = m.Ms
		}
	}
	if defMs >= 0 && best.Ms > defMs*(1-Margin) {
		return e.Default
	}
	return best.Choice
}

// Changed lists the keys whose chosen choice differs from their default,
// sorted.
func (t *Table) Changed() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var ks []string
	for k, e := range t.Entries {
		if len(e.Candidates) > 0 && e.Chosen != e.Default {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks
}

// ErrBadTable wraps every error of Parse and Load about a table's
// contents (as opposed to reading the file).
var ErrBadTable = errors.New("bad tuning table")

// CacheDirEnv is the environment variable that, when set, names the
// folder of the stored tables instead of os.UserCacheDir()/lowformer (for
// tests and sandboxes; XDG_CACHE_HOME would also move Mesa's shader cache).
const CacheDirEnv = "LOWFORMER_CACHE_DIR"

// CacheDir is the folder of the stored tables: $LOWFORMER_CACHE_DIR when
// set, else os.UserCacheDir()/lowformer.
func CacheDir() (string, error) {
	if d := os.Getenv(CacheDirEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("tuning: no cache folder: %w", err)
	}
	return filepath.Join(d, "lowformer"), nil
}

// CachePath is where the table of adapter a is stored:
// CacheDir()/tuning-<hash of a>.json.
func CachePath(a Adapter) (string, error) {
	d, err := CacheDir()
	if err != nil {
		return "", err
	}
	// The fields joined by NULs (not JSON: the browser build keeps
	// encoding/json out).
	// FNV-1a, not SHA-256: crypto's initialization would add 60 KB of gzip
	// to the browser build.
	h := fnv.New64a()
	h.Write([]byte(strings.Join([]string{a.Vendor, a.Architecture, a.Device, a.Description, a.Backend}, "\x00")))
	return filepath.Join(d, fmt.Sprintf("tuning-%016x.json", h.Sum64())), nil
}
