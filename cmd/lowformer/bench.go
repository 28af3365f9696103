package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

func init() {
	register("bench", "time the model natively: median of timed runs, cold start, error against reference logits, per-dispatch profile", runBench)
}

// benchStdin is where -interleave reads its run requests (a variable for
// the tests).
var benchStdin io.Reader = os.Stdin

// benchFlags are the flags of the bench command.
type benchFlags struct {
	weights, backend, refInput, refLogits string
	kernels, tuning, start                string
	batch, size, runs, warmup             int
	jsonOut, interleave                   bool
	profile                               profileFlags
}

func addBenchFlags(fs *flag.FlagSet) *benchFlags {
	f := &benchFlags{}
	fs.StringVar(&f.weights, "weights", "", "checkpoint `file` (.pt or .safetensors); default ../shared/testdata/lowformer/b0/evalmodel.pt when present")
	fs.StringVar(&f.backend, "backend", defaultBenchBackend(), "gpu or cpu (cpu only in a build without GPU support)")
	fs.StringVar(&f.refInput, "ref-input", "", "reference input `file`: raw float32 [k,3,size,size]; image i of the batch is image i mod k (default: input.bin beside the weights when it has this size)")
	fs.StringVar(&f.refLogits, "ref-logits", "", "reference logits `file`: raw float32 [k,classes] (default: logits.bin beside the weights)")
	fs.StringVar(&f.kernels, "kernels", "", kernelsUsage)
	fs.StringVar(&f.tuning, "tuning", "", tuningUsage)
	fs.StringVar(&f.start, "start", "progressive", startUsage+"; progressive: the runs until the swap are reported apart, the timed runs follow it")
	fs.IntVar(&f.batch, "batch", 1, "images per run")
	fs.IntVar(&f.size, "size", 224, "input height and width")
	fs.IntVar(&f.runs, "runs", 10, "timed runs")
	fs.IntVar(&f.warmup, "warmup", 2, "untimed runs after the first one")
	fs.BoolVar(&f.jsonOut, "json", false, "print the result as one JSON object")
	fs.BoolVar(&f.interleave, "interleave", false, "for bench/: after the warm-up, do one timed run per line read from stdin, answering each with a JSON line {\"ms\":…}; at end of input print the JSON result")
	addProfileFlags(fs, &f.profile)
	return f
}

// defaultBenchBackend is bench's default -backend: gpu, or cpu in a build
// without GPU support.
func defaultBenchBackend() string {
	if lowformer.GPUSupported {
		return "gpu"
	}
	return "cpu"
}

// check validates the flag values before anything slow happens and fills
// in the default weights.
func (f *benchFlags) check() error {
	switch {
	case f.batch < 1 || f.batch > 1<<10:
		return fmt.Errorf("-batch %d: want 1..1024", f.batch)
	case f.size < minSize || f.size > maxSize:
		return fmt.Errorf("-size %d: want %d..%d", f.size, minSize, maxSize)
	case f.runs < 1:
		return fmt.Errorf("-runs %d: want at least 1", f.runs)
	case f.warmup < 0:
		return fmt.Errorf("-warmup %d: want 0 or more", f.warmup)
	case f.backend != "gpu" && f.backend != "cpu":
		return fmt.Errorf("-backend %q: want gpu or cpu", f.backend)
	case !validKernels(f.kernels):
		return fmt.Errorf("-kernels %q: want auto, cpu or gpu", f.kernels)
	case !validStart(f.start):
		return fmt.Errorf("-start %q: want progressive or specialized", f.start)
	case (f.refInput == "") != (f.refLogits == ""):
		return errors.New("-ref-input and -ref-logits go together")
	case !lowformer.GPUSupported && (f.backend == "gpu" || f.profile.on):
		return lowformer.ErrNoGPUSupport
	case f.profile.on && f.backend != "gpu":
		return errors.New("-profile needs -backend gpu")
	}
	if err := f.profile.check(); err != nil {
		return err
	}
	if f.weights == "" {
		dir := sharedB0()
		if dir == "" {
			return errors.New("-weights is required (no ../shared/testdata/lowformer/b0/evalmodel.pt here)")
		}
		f.weights = filepath.Join(dir, "evalmodel.pt")
	}
	return nil
}

// benchResult is what bench reports; the JSON names are those of
// bench/out/results.json.
type benchResult struct {
	Engine        string    `json:"engine"`
	Adapter       string    `json:"adapter"`
	Model         string    `json:"model"`
	Weights       string    `json:"weights"`
	Backend       string    `json:"backend"`
	Kernels       string    `json:"kernels,omitempty"`        // the GPU kernel set, "" on the CPU
	KernelsReason string    `json:"kernels_reason,omitempty"` // why that set
	Tuning        string    `json:"tuning"`                   // the tuning table in use, "none" without one
	TuningNotes   []string  `json:"tuning_notes,omitempty"`   // tables found and ignored
	Batch         int       `json:"batch"`
	Size          int       `json:"size"`
	MedianMs      float64   `json:"median_ms"`
	MinMs         float64   `json:"min_ms"`
	MaxMs         float64   `json:"max_ms"`
	Runs          int       `json:"runs"`
	Warmup        int       `json:"warmup"`
	TimesMs       []float64 `json:"times_ms"`
	ColdStartMs   float64   `json:"cold_start_ms"`
	ColdStartFrom string    `json:"cold_start_from"`
	FirstRunMs    float64   `json:"first_run_ms"`
	MaxAbsErr     *float64  `json:"max_abs_err"` // null: no reference, or non-finite logits (see Check)
	ArgmaxOK      *bool     `json:"argmax_ok,omitempty"`
	Check         string    `json:"check"`
	PeakMemoryMB  float64   `json:"peak_memory_mb"`
	MemoryMethod  string    `json:"memory_method"`
	GPUMemoryMB   float64   `json:"gpu_memory_mb"`
	CPUMemoryMB   float64   `json:"cpu_memory_mb"`
	Load          string    `json:"load"`
	Profile       *profile  `json:"profile,omitempty"`
	// A GPU model's start (-start). With progressive, the first logits
	// come from the generic plan; GenericTimesMs are the runs after it
	// while the specialized pipelines compiled (they compete for the
	// CPU on lavapipe), SpecializedMs is the time from the cold start's
	// origin to the swap, and the timed runs (median_ms) follow the swap.
	Start          string    `json:"start,omitempty"`
	Phase          string    `json:"phase,omitempty"` // at the end
	GenericTimesMs []float64 `json:"generic_times_ms,omitempty"`
	GenericMedian  float64   `json:"generic_median_ms,omitempty"`
	SpecializedMs  float64   `json:"specialized_ms,omitempty"`
}

// validStart reports whether s is a -start value.
func validStart(s string) bool {
	_, err := lowformer.ParseStart(s)
	return err == nil
}

// maxGenericRuns bounds the runs bench does on a progressive model's
// generic plan while it waits for the swap.
const maxGenericRuns = 200

// untilSpecialized runs a progressive model until its plans are
// specialized (at most maxGenericRuns runs, then it waits), recording
// those runs and when the swap came.
func untilSpecialized(ctx context.Context, m *lowformer.Model, r *benchResult, start time.Time, run func() ([]float32, time.Duration, error)) error {
	for m.Info().Phase != lowformer.PhaseSpecialized && len(r.GenericTimesMs) < maxGenericRuns {
		_, d, err := run()
		if err != nil {
			return err
		}
		r.GenericTimesMs = append(r.GenericTimesMs, ms(d))
	}
	if err := m.WaitSpecialized(ctx); err != nil {
		return err
	}
	r.SpecializedMs = ms(time.Since(start))
	if len(r.GenericTimesMs) > 0 {
		r.GenericMedian, _, _ = summarize(r.GenericTimesMs)
	}
	return nil
}

func runBench(args []string, stdout, stderr io.Writer) error {
	start, startFrom := processStart()
	fs := newFlags("bench", "[-weights FILE] [-batch 1] [-size 224] [-runs 10] [-warmup 2] [-backend gpu|cpu] [-json] [-profile]", stderr)
	f := addBenchFlags(fs)
	if err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	ref, err := loadReference(f)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var prof *profile
	if f.profile.on {
		// First, so that its first-use section sees the driver's shader
		// cache as this process found it; the cold start below then counts
		// from opening the model.
		ks := f.kernels
		if ks == "" {
			ks = os.Getenv(lowformer.KernelsEnv)
		}
		if f.profile.kernels, err = lowformer.ParseKernels(ks); err != nil {
			return fmt.Errorf("%s: %w", lowformer.KernelsEnv, err)
		}
		f.profile.start, _ = lowformer.ParseStart(f.start)
		if prof, err = runProfile(f.weights, ref.batchInput(f.batch, f.size), f.batch, f.size, &f.profile); err != nil {
			return err
		}
		start, startFrom = time.Now(), "opening the model (after the profile)"
	}
	be, _ := lowformer.ParseBackend(f.backend)
	startMode, _ := lowformer.ParseStart(f.start)
	opt := lowformer.Options{Backend: be, Kernels: lowformer.Kernels(f.kernels), Start: startMode, Warn: func(msg string) { fmt.Fprintln(stderr, msg) }}
	tuningOptions(&opt, f.tuning)
	m, err := lowformer.Open(ctx, f.weights, opt)
	if err != nil {
		return err
	}
	defer m.Close()
	input := ref.batchInput(f.batch, f.size)
	run := func() ([]float32, time.Duration, error) {
		t0 := time.Now()
		y, err := m.Logits(ctx, input, f.batch, f.size, f.size)
		return y, time.Since(t0), err
	}
	first, firstRun, err := run()
	if err != nil {
		return err
	}
	info := m.Info()
	r := &benchResult{
		Engine: "lowformer-native", Adapter: info.Adapter, Model: info.Variant, Weights: f.weights, Backend: info.Backend.String(),
		Kernels: string(info.Kernels), KernelsReason: info.KernelsReason, Tuning: info.Tuning, TuningNotes: info.TuningNotes,
		Batch: f.batch, Size: f.size, Warmup: f.warmup, ColdStartMs: ms(time.Since(start)),
		ColdStartFrom: startFrom + " to the first logits", FirstRunMs: ms(firstRun),
	}
	if r.Adapter == "" {
		r.Adapter = "cpu (pure Go)"
	}
	if r.Tuning == "" {
		r.Tuning = "none"
	}
	if info.Backend == lowformer.GPU {
		r.Start = string(info.Start)
		if info.Start == lowformer.StartProgressive {
			if err := untilSpecialized(ctx, m, r, start, run); err != nil {
				return err
			}
		}
		r.Phase = string(m.Info().Phase)
	}
	for range f.warmup {
		if _, _, err := run(); err != nil {
			return err
		}
	}
	last, err := timedRuns(f, r, run, bufio.NewScanner(benchStdin), stdout)
	if err != nil {
		return err
	}
	ref.check(r, info.Classes, f.batch, first, last)
	r.PeakMemoryMB, r.MemoryMethod = peakRSSMB(), "process peak RSS (VmHWM), weights file parsed in memory included"
	r.GPUMemoryMB = float64(m.GPUMemoryBytes()) / 1e6
	r.CPUMemoryMB = float64(m.CPUMemoryBytes()) / 1e6
	if prof != nil {
		prof.finish(r)
	}
	r.Load = loadAverage()
	if f.jsonOut || f.interleave {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", " ")
		if f.interleave {
			enc.SetIndent("", "")
		}
		return enc.Encode(r)
	}
	printBench(stdout, r, f.profile.top)
	return nil
}

// timedRuns does the timed runs (-runs of them, or one per stdin line with
// -interleave), records them in r and returns the last run's logits.
func timedRuns(f *benchFlags, r *benchResult, run func() ([]float32, time.Duration, error), in *bufio.Scanner, stdout io.Writer) ([]float32, error) {
	var last []float32
	once := func() error {
		y, d, err := run()
		if err != nil {
			return err
		}
		last = y
		r.TimesMs = append(r.TimesMs, ms(d))
		return nil
	}
	if f.interleave {
		fmt.Fprintf(stdout, "{\"ready\":true,\"cold_start_ms\":%.1f}\n", r.ColdStartMs)
		for in.Scan() {
			if strings.TrimSpace(in.Text()) == "" {
				continue
			}
			if err := once(); err != nil {
				return nil, err
			}
			fmt.Fprintf(stdout, "{\"ms\":%.3f}\n", r.TimesMs[len(r.TimesMs)-1])
		}
		if len(r.TimesMs) == 0 {
			return nil, errors.New("-interleave: stdin closed before any timed run was asked for")
		}
	} else {
		for range f.runs {
			if err := once(); err != nil {
				return nil, err
			}
		}
	}
	r.Runs = len(r.TimesMs)
	r.MedianMs, r.MinMs, r.MaxMs = summarize(r.TimesMs)
	return last, nil
}

// summarize returns the median, minimum and maximum of v (not empty).
func summarize(v []float64) (median, lo, hi float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	median = s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[0], s[n-1]
}

// ms converts a duration to the milliseconds of the bench's JSON records.
func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// finite returns &v, or nil when v is NaN or infinite (JSON has no such
// numbers).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// profileFlags are bench's -profile flags.
type profileFlags struct {
	on                     bool
	reps, top, ceilingSize int
	kernels                lowformer.Kernels // bench's -kernels, parsed
	start                  lowformer.Start   // bench's -start, parsed: the first use is the generic plan's when progressive
}

func addProfileFlags(fs *flag.FlagSet, f *profileFlags) {
	fs.BoolVar(&f.on, "profile", false, "first time each pipeline's first use (shader compilation), then every dispatch in isolation, grouped by kernel family and block, with GFLOP/s, GB/s and the measured GEMM ceiling")
	fs.IntVar(&f.reps, "profile-reps", 10, "least repetitions of each dispatch per submit with -profile (short dispatches get more, up to a 10 ms submit)")
	fs.IntVar(&f.top, "top", 10, "slowest dispatches listed with -profile")
	fs.IntVar(&f.ceilingSize, "ceiling-size", 512, "M = N = K of the GEMM whose speed is the ceiling (a multiple of 4)")
}

func (f *profileFlags) check() error {
	switch {
	case f.reps < 1:
		return fmt.Errorf("-profile-reps %d: want at least 1", f.reps)
	case f.top < 0:
		return fmt.Errorf("-top %d: want 0 or more", f.top)
	case f.ceilingSize < 4 || f.ceilingSize%4 != 0 || f.ceilingSize > 4096:
		return fmt.Errorf("-ceiling-size %d: want a multiple of 4 in 4..4096", f.ceilingSize)
	}
	return nil
}

// printBench writes the human-readable report.
func printBench(w io.Writer, r *benchResult, top int) {
	fmt.Fprintf(w, "%s %s on %s, batch %d, %dx%d\n", r.Engine, r.Model, r.Adapter, r.Batch, r.Size, r.Size)
	if r.Kernels != "" {
		fmt.Fprintf(w, "  kernels %s (%s)\n", r.Kernels, r.KernelsReason)
		fmt.Fprintf(w, "  tuning table: %s\n", r.Tuning)
		for _, n := range r.TuningNotes {
			fmt.Fprintf(w, "  tuning note: %s\n", n)
		}
	}
	fmt.Fprintf(w, "  %d runs: median %.1f ms, min %.1f, max %.1f (first run %.1f ms, %d warm-up)\n", r.Runs, r.MedianMs, r.MinMs, r.MaxMs, r.FirstRunMs, r.Warmup)
	fmt.Fprintf(w, "  cold start %.0f ms (%s)\n", r.ColdStartMs, r.ColdStartFrom)
	if r.Start != "" {
		fmt.Fprintf(w, "  start %s, phase %s", r.Start, r.Phase)
		if r.SpecializedMs > 0 {
			fmt.Fprintf(w, ": specialized %.0f ms after the cold start's origin; %d runs on the generic plan meanwhile, median %.1f ms; the timed runs follow the swap", r.SpecializedMs, len(r.GenericTimesMs), r.GenericMedian)
		}
		fmt.Fprintln(w)
	}
	if r.MaxAbsErr != nil {
		fmt.Fprintf(w, "  max |logits - reference| %.3g, argmax ok %v (%s)\n", *r.MaxAbsErr, *r.ArgmaxOK, r.Check)
	} else {
		fmt.Fprintf(w, "  accuracy: %s\n", r.Check)
	}
	fmt.Fprintf(w, "  peak memory %.0f MB (%s), GPU memory %.1f MB, CPU model memory %.1f MB; load average %s\n", r.PeakMemoryMB, r.MemoryMethod, r.GPUMemoryMB, r.CPUMemoryMB, r.Load)
	if r.Profile != nil {
		printProfile(w, r.Profile, top)
	}
}
