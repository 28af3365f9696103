//go:build js

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/hack-pad/safejs"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/internal/jspromise"
	"github.com/lowformer/lowformer-webgpu/tuning"
)

// On-device tuning in the browser. web/lowformer.js keeps the tables
// (IndexedDB) and decides when to tune; this side parses and checks the
// tables, times the candidates on the page's adapter (Model.Tune) and
// reaches the JavaScript store through Options.TuningStore:
//
//	load(..., {tune, tuning, tuningStore})
//	    tune: "off" | "cached" | "background" (background loads as cached:
//	          lowformer.js calls tune after the first result)
//	    tuning: a table's JSON text (a bad one fails the load)
//	    tuningStore: {load(identity) → Promise<{table: string, where: string} | null>,
//	                  save(identity, table: string) → Promise<string (where)>}
//	          identity: {vendor, architecture, device, description, backend}
//	tune(id, {budgetMs, side, batch, onProgress}) → {keys, measured, total, thisRun,
//	    elapsedMs, complete, resumed, where, changed, notes, table (JSON text)}
//	    onProgress({key, candidate, ms, measured, total, elapsedMs, error})
//	tuningTable(id) → the JSON text of the table the model's plans use, or null

// tuneExports are the tuning functions published on __lowformer.
func (a *api) tuneExports() map[string]func([]safejs.Value) (work, error) {
	return map[string]func([]safejs.Value) (work, error){"tune": a.tune, "tuningTable": a.tuningTable}
}

// loadTuning reads load's tuning options into o.
func loadTuning(opt options, o *lowformer.Options) error {
	mode, err := opt.string("tune")
	if err != nil {
		return err
	}
	m, err := lowformer.ParseTuneMode(mode)
	if err != nil {
		return fmt.Errorf("lowformer: option tune: %w", err)
	}
	if m == lowformer.TuneBackground {
		m = lowformer.TuneCached // lowformer.js starts the tuning after the first result
	}
	o.Tune = m
	text, err := opt.string("tuning")
	if err != nil {
		return err
	}
	if text != "" {
		tb, err := tuning.Parse([]byte(text))
		if err != nil {
			return fmt.Errorf("lowformer: option tuning: %w", err)
		}
		o.TuningTable = tb
	}
	if s := opt.get("tuningStore"); !s.IsUndefined() && !s.IsNull() {
		load, lerr := s.Get("load")
		save, serr := s.Get("save")
		if lerr != nil || serr != nil || load.Type() != safejs.TypeFunction || save.Type() != safejs.TypeFunction {
			return errors.New("lowformer: option tuningStore must be an object with functions load and save")
		}
		o.TuningStore = jsStore{s}
	}
	return nil
}

// jsStore is a lowformer.TuningStore kept by JavaScript (lowformer.js:
// IndexedDB, else the Cache API, else memory).
type jsStore struct{ v safejs.Value }

func identityJS(a tuning.Adapter) map[string]any {
	return map[string]any{"vendor": a.Vendor, "architecture": a.Architecture, "device": a.Device, "description": a.Description, "backend": a.Backend}
}

// LoadTuning asks the store for adapter a's table and parses it.
func (s jsStore) LoadTuning(a tuning.Adapter) (*tuning.Table, string, error) {
	v, err := callAwait(s.v, "load", identityJS(a))
	if err != nil {
		return nil, "", fmt.Errorf("the tuning store: %w", err)
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, "", fs.ErrNotExist
	}
	where, table := stringProp(v, "where"), stringProp(v, "table")
	tb, err := tuning.Parse([]byte(table))
	if err != nil {
		return nil, where, fmt.Errorf("%s: %w", where, err)
	}
	return tb, where, nil
}

// SaveTuning hands t's JSON to the store.
func (s jsStore) SaveTuning(a tuning.Adapter, t *tuning.Table) (string, error) {
	b, err := t.Marshal()
	if err != nil {
		return "", err
	}
	v, err := callAwait(s.v, "save", identityJS(a), string(b))
	if err != nil {
		return "", fmt.Errorf("the tuning store: %w", err)
	}
	return stringOf(v), nil
}

// callAwait calls obj[name](args...) and waits for the Promise it returns.
func callAwait(obj safejs.Value, name string, args ...any) (safejs.Value, error) {
	p, err := obj.Call(name, args...)
	if err != nil {
		return safejs.Undefined(), err
	}
	v, err := jspromise.Await(safejs.Unsafe(p))
	return safejs.Safe(v), err
}

func stringOf(v safejs.Value) string {
	if v.Type() != safejs.TypeString {
		return ""
	}
	s, _ := v.String()
	return s
}

func stringProp(v safejs.Value, name string) string {
	p, err := v.Get(name)
	if err != nil {
		return ""
	}
	return stringOf(p)
}

// tune(id, {budgetMs, side, batch, onProgress}) runs Model.Tune.
func (a *api) tune(args []safejs.Value) (work, error) {
	if err := needArgs(args, 1, "tune(id, {budgetMs, side, batch, onProgress}?)"); err != nil {
		return nil, err
	}
	m, err := a.handle(args[0])
	if err != nil {
		return nil, err
	}
	opt, err := argOptions(args, 1)
	if err != nil {
		return nil, err
	}
	budget, err := opt.float("budgetMs")
	if err != nil {
		return nil, err
	}
	if budget < 0 || budget > 24*3600e3 {
		return nil, fmt.Errorf("lowformer: option budgetMs %v: want 0 (the default, %v) up to a day", budget, lowformer.DefaultTuneBudget)
	}
	side, err := opt.int("side")
	if err != nil {
		return nil, err
	}
	batch, err := opt.int("batch")
	if err != nil {
		return nil, err
	}
	var progress safejs.Value
	if p := opt.get("onProgress"); !p.IsUndefined() && !p.IsNull() {
		if p.Type() != safejs.TypeFunction {
			return nil, fmt.Errorf("lowformer: option onProgress must be a function, got %s", describe(p))
		}
		progress = p
	}
	return func() (any, error) {
		to := lowformer.TuneOptions{Batch: batch, Side: side, Budget: time.Duration(budget * float64(time.Millisecond))}
		if progress.Type() == safejs.TypeFunction {
			to.Progress = func(p lowformer.TuneProgress) {
				e := ""
				if p.Err != nil {
					e = p.Err.Error()
				}
				_, _ = progress.Invoke(map[string]any{"key": p.Key, "candidate": p.Candidate, "ms": p.Ms,
					"measured": p.Measured, "total": p.Total, "elapsedMs": ms(p.Elapsed), "error": e})
			}
		}
		r, err := m.Tune(context.Background(), to) // dispose's Close cancels it
		if err != nil && !(errors.Is(err, context.Canceled) && r.Table != nil) {
			return nil, err
		}
		cancelled := err != nil
		b, err := r.Table.Marshal()
		if err != nil {
			return nil, err
		}
		return map[string]any{"keys": r.Keys, "measured": r.Measured, "total": r.Total, "thisRun": r.ThisRun,
			"elapsedMs": ms(r.Elapsed), "complete": r.Complete, "resumed": r.Resumed, "where": r.Path,
			"changed": len(r.Table.Changed()), "notes": stringsJS(r.Notes), "table": string(b), "cancelled": cancelled}, nil
	}, nil
}

// tuningTable(id) → the JSON text of the table the model's plans use, or
// null.
func (a *api) tuningTable(args []safejs.Value) (work, error) {
	if err := needArgs(args, 1, "tuningTable(id)"); err != nil {
		return nil, err
	}
	m, err := a.handle(args[0])
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		tb := m.TuningTable()
		if tb == nil {
			return nil, nil
		}
		b, err := tb.Marshal()
		return string(b), err
	}, nil
}

// stringsJS is ss as a JavaScript array.
func stringsJS(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
