package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/tuning"
)

func init() {
	register("tune", "measure the dense kernels' candidates on this adapter and store the fastest in a tuning table", runTune)
}

// tuneFlags are the flags of the tune command: the model's weights,
// variant and kernel set (its backend is the GPU, without a tuning table),
// and the tuned plan's shape, budget and output.
type tuneFlags struct {
	model       modelFlags
	out         string
	size, batch int
	budget      time.Duration
}

func addTuneFlags(fs *flag.FlagSet) *tuneFlags {
	f := &tuneFlags{model: modelFlags{backend: "gpu", tuning: "off", start: string(lowformer.StartProgressive)}}
	f.model.addWeightFlags(fs)
	fs.StringVar(&f.model.kernels, "kernels", "", kernelsUsage+" (the table's defaults)")
	fs.StringVar(&f.out, "o", "", "tuning table `file` to continue (when it exists for this adapter) and write after each round; empty: the adapter's cache file under the user cache folder, which every command then uses")
	fs.IntVar(&f.size, "size", 224, "input height and width of the tuned plan")
	fs.IntVar(&f.batch, "batch", 1, "images per run of the tuned plan")
	fs.DurationVar(&f.budget, "budget", lowformer.DefaultTuneBudget, "time to spend; what is left is measured by the next run")
	return f
}

func (f *tuneFlags) check() error {
	if err := f.model.check(); err != nil {
		return err
	}
	switch {
	case f.size < minSize || f.size > maxSize:
		return fmt.Errorf("-size %d: want %d..%d", f.size, minSize, maxSize)
	case f.batch < 1 || f.batch > 1<<10:
		return fmt.Errorf("-batch %d: want 1..1024", f.batch)
	case f.budget <= 0:
		return fmt.Errorf("-budget %v: want a positive duration such as 60s", f.budget)
	case !lowformer.GPUSupported:
		return lowformer.ErrNoGPUSupport
	}
	return nil
}

func runTune(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tune", "-weights FILE [-size 224] [-batch 1] [-budget 60s] [-o table.json]", stderr)
	f := addTuneFlags(fs)
	if err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	ctx := context.Background()
	m, err := f.model.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	info := m.Info()
	fmt.Fprintf(stderr, "tuning %s on %s, kernel set %s, batch %d at %dx%d, budget %v\n", info.Variant, info.Adapter, info.Kernels, f.batch, f.size, f.size, f.budget)
	r, err := m.Tune(ctx, lowformer.TuneOptions{Batch: f.batch, Side: f.size, Budget: f.budget, Path: f.out,
		Progress: func(p lowformer.TuneProgress) { fmt.Fprintln(stderr, p) }})
	for _, n := range r.Notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	if err != nil {
		if r.Table == nil {
			return err
		}
		fmt.Fprintf(stderr, "tuning stopped: %v (the table keeps what was measured)\n", err)
	}
	printTune(stdout, r)
	return err
}

// printTune writes the summary of a tuning run and the keys whose choice
// changed.
func printTune(w io.Writer, r lowformer.TuneResult) {
	state := "partial: run again to go on"
	if r.Complete {
		state = "complete"
	}
	resumed := ""
	if r.Resumed {
		resumed = ", continued from the stored table"
	}
	fmt.Fprintf(w, "%d kernel keys, %d of %d candidates measured (%d by this run in %.1f s%s), %s\n",
		r.Keys, r.Measured, r.Total, r.ThisRun, r.Elapsed.Seconds(), resumed, state)
	fmt.Fprintf(w, "table: %s\n", r.Path)
	changed := r.Table.Changed()
	fmt.Fprintf(w, "%d keys changed from the default:\n", len(changed))
	for _, k := range changed {
		e, _ := r.Table.Entry(k)
		def, chosen := msOf(e, e.Default), msOf(e, e.Chosen)
		fmt.Fprintf(w, "  %-44s %-34s %8.3f ms -> %-34s %8.3f ms (%.2fx)\n", k, e.Default, def, e.Chosen, chosen, chosen/def)
	}
}

// msOf is the measured time of c in e (NaN when not measured).
func msOf(e tuning.Entry, c tuning.Choice) float64 {
	for _, m := range e.Candidates {
		if m.Choice == c {
			return m.Ms
		}
	}
	return math.NaN()
}
