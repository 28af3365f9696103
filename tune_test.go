//go:build (js || cgo) && !lowformer_nogpu

package lowformer

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/tuning"
)

func TestParseTuneMode(t *testing.T) {
	for in, want := range map[string]TuneMode{"": TuneCached, "cached": TuneCached, " OFF ": TuneOff, "background": TuneBackground} {
		if got, err := ParseTuneMode(in); err != nil || got != want {
			t.Errorf("ParseTuneMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseTuneMode("always"); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), `unknown tune mode "always" (want off, cached or background)`) {
		t.Errorf("ParseTuneMode(always): %v", err)
	}
	file := safetensorsOf(t, synthStateDict(t, smallConfig), "F32", nil)
	if _, err := OpenBytes(context.Background(), file, Options{Tune: "sometimes"}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "Options.Tune") {
		t.Errorf("Open with a bad Tune: %v", err)
	}
	m := openOn(t, file, CPU)
	defer m.Close()
	if _, err := m.Tune(context.Background(), TuneOptions{}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "GPU backend") {
		t.Errorf("Tune on the CPU: %v", err)
	}
}

// TestTuningTables opens B0 on the test adapter with tuning tables from
// every source: a table in memory and in a file (used: Info says so, the
// plan runs its choices and the logits match the reference ≤ 2e-4), one
// for another adapter or kernel set (ignored with a note), a corrupt file
// (an error), and the adapter's cached table (used; a corrupt one ignored
// with a note; none with Tune off).
func TestTuningTables(t *testing.T) {
	requireGPU(t)
	t.Setenv(tuning.CacheDirEnv, t.TempDir())
	dir := refdata.Dir(t, "b0")
	weights := filepath.Join(dir, "evalmodel.pt")
	input, im := refdata.ReadBin(t, filepath.Join(dir, "input.bin"))
	want, _ := refdata.ReadBin(t, filepath.Join(dir, "logits.bin"))
	n, h, w := im.Shape[0], im.Shape[2], im.Shape[3]
	ctx := context.Background()
	open := func(t *testing.T, opt Options) *Model {
		t.Helper()
		opt.Backend, opt.Kernels = GPU, KernelsCPU
		m, err := Open(ctx, weights, opt)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	// A table forcing, for two keys, a candidate other than the default:
	// the second of a pointwise key, and Winograd toggled for a conv key.
	a := adapterOf(gputest.Device(t).Info)
	probe := open(t, Options{Tune: TuneOff})
	keys, err := probe.gpu.(*deviceModel).TuneKeys(n, h, w)
	probe.Close()
	if err != nil {
		t.Fatal(err)
	}
	tb := tuning.New(a, "cpu")
	forced := map[string]tuning.Choice{}
	for _, k := range keys {
		for _, c := range k.Choices[1:] {
			pw := strings.HasPrefix(k.Key, "pointwise") && len(forced) == 0
			wino := strings.HasPrefix(k.Key, "conv") && (c.Winograd > 0) != (k.Default.Winograd > 0) && len(forced) == 1
			if pw || wino {
				forced[k.Key] = c
				tb.Record(k.Key, k.Default, tuning.Measured{Choice: k.Default, Ms: 2}, 1)
				tb.Record(k.Key, k.Default, tuning.Measured{Choice: c, Ms: 1}, 0)
				break
			}
		}
	}
	if len(forced) != 2 {
		t.Fatalf("found no pointwise and Winograd-toggling conv candidates among %d keys", len(keys))
	}
	file := filepath.Join(t.TempDir(), "table.json")
	if err := tb.Save(file); err != nil {
		t.Fatal(err)
	}

	t.Run("in memory", func(t *testing.T) {
		m := open(t, Options{TuningTable: tb})
		defer m.Close()
		if in := m.Info(); !strings.HasPrefix(in.Tuning, "Options.TuningTable (2 kernel keys tuned, 2 changed from the cpu set)") || len(in.TuningNotes) != 0 {
			t.Errorf("Info.Tuning %q, notes %q", in.Tuning, in.TuningNotes)
		}
		got, err := m.Logits(ctx, input, n, h, w)
		if err != nil {
			t.Fatal(err)
		}
		if d := ref.MaxAbsDiff(got, want); d > 2e-4 {
			t.Errorf("tuned logits differ from the reference by %.3g", d)
		}
		// The first logits came from the progressive start's generic plan;
		// the tuned kernels arrive with the swap to the specialized plan.
		if err := m.WaitSpecialized(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := m.gpu.(*deviceModel).Plan(n, h, w)
		if err != nil {
			t.Fatal(err)
		}
		for key, c := range forced {
			found := false
			for _, s := range p.Steps {
				found = found || strings.Contains(s.Kernel.Label(), kernels.Tile{TM: c.TM, TN: c.TN, WG: c.WG}.String()) && stepHasKey(s.Kernel, key, c)
			}
			if !found {
				t.Errorf("%s: no step of the plan runs the tuned %v", key, c)
			}
		}
	})
	t.Run("file", func(t *testing.T) {
		m := open(t, Options{Tuning: file})
		defer m.Close()
		if in := m.Info(); !strings.HasPrefix(in.Tuning, file+" (2 kernel keys tuned") {
			t.Errorf("Info.Tuning %q", in.Tuning)
		}
	})
	t.Run("another adapter", func(t *testing.T) {
		other := tuning.New(tuning.Adapter{Vendor: "NVIDIA", Device: "RTX 4090", Description: "NVIDIA GeForce RTX 4090", Backend: "vulkan"}, "cpu")
		m := open(t, Options{TuningTable: other})
		defer m.Close()
		if in := m.Info(); in.Tuning != "" || len(in.TuningNotes) != 1 || !strings.Contains(in.TuningNotes[0], `measured on adapter "NVIDIA GeForce RTX 4090" (vulkan)`) {
			t.Errorf("Info.Tuning %q, notes %q", in.Tuning, in.TuningNotes)
		}
	})
	t.Run("another set", func(t *testing.T) {
		m, err := Open(ctx, weights, Options{Backend: GPU, Kernels: KernelsGPU, Tuning: file})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if in := m.Info(); in.Tuning != "" || len(in.TuningNotes) != 1 || !strings.Contains(in.TuningNotes[0], "this model runs the gpu set") {
			t.Errorf("Info.Tuning %q, notes %q", in.Tuning, in.TuningNotes)
		}
	})
	t.Run("corrupt file", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.json")
		os.WriteFile(bad, []byte(`{"version": 1, "adapter": `), 0o644)
		_, err := Open(ctx, weights, Options{Backend: GPU, Tuning: bad})
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "Options.Tuning") || !strings.Contains(err.Error(), "not a tuning table") {
			t.Errorf("Open with a corrupt table: %v", err)
		}
		_, err = Open(ctx, weights, Options{Backend: GPU, Tuning: filepath.Join(t.TempDir(), "missing.json")})
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "missing.json") {
			t.Errorf("Open with a missing table: %v", err)
		}
	})
	t.Run("cached", func(t *testing.T) {
		path, err := tuning.CachePath(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := tb.Save(path); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		m := open(t, Options{})
		if in := m.Info(); !strings.HasPrefix(in.Tuning, "cached table "+path+" (2 kernel keys tuned") {
			t.Errorf("Info.Tuning %q", in.Tuning)
		}
		m.Close()
		m = open(t, Options{Tune: TuneOff})
		if in := m.Info(); in.Tuning != "" || len(in.TuningNotes) != 0 {
			t.Errorf("Tune off: Info.Tuning %q, notes %q", in.Tuning, in.TuningNotes)
		}
		m.Close()
		os.WriteFile(path, []byte("garbage"), 0o644)
		m = open(t, Options{})
		defer m.Close()
		if in := m.Info(); in.Tuning != "" || len(in.TuningNotes) != 1 || !strings.Contains(in.TuningNotes[0], "cached tuning table ignored") {
			t.Errorf("corrupt cached table: Info.Tuning %q, notes %q", in.Tuning, in.TuningNotes)
		}
	})
}

// stepHasKey reports whether kernel k is c's specialization of key's
// family (a Winograd choice shows as the Winograd GEMM).
func stepHasKey(k kernels.Kernel, key string, c tuning.Choice) bool {
	switch {
	case c.Winograd > 0:
		_, ok := k.(kernels.WinogradGemm)
		return ok
	case strings.HasPrefix(key, "pointwise"):
		f := strings.Fields(key) // "pointwise m196 k128 n512 …" names "pointwise_m196_k128_n512_…"
		_, ok := k.(kernels.Pointwise)
		return ok && strings.HasPrefix(k.Label(), strings.Join(f[:4], "_")+"_")
	case strings.HasPrefix(key, "conv"):
		_, ok := k.(kernels.Conv)
		return ok
	}
	return false
}

// TestBackgroundTuning opens the tiny model with TuneBackground: the
// first logits come while it tunes, the table appears in the cache folder
// after its first round, Close stops it, and the next Open uses the table.
func TestBackgroundTuning(t *testing.T) {
	requireGPU(t)
	t.Setenv(tuning.CacheDirEnv, t.TempDir())
	root, err := refdata.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(root, "testdata", "tiny.pt")
	ctx := context.Background()
	m, err := Open(ctx, weights, Options{Backend: GPU, Tune: TuneBackground})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Logits(ctx, synthInput(1, 64, 64, 1), 1, 64, 64); err != nil {
		m.Close()
		t.Fatal(err)
	}
	path, err := tuning.CachePath(adapterOf(gputest.Device(t).Info))
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(path); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	start := time.Now()
	m.Close()
	t.Logf("Close took %v while tuning", time.Since(start))
	tb, err := tuning.Load(path)
	if err != nil {
		t.Fatalf("no table stored by the background tuning: %v", err)
	}
	if tb.Len() == 0 {
		t.Fatal("the stored table has no measured key")
	}
	m2, err := Open(ctx, weights, Options{Backend: GPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if in := m2.Info(); !strings.HasPrefix(in.Tuning, "cached table "+path) {
		t.Errorf("the next Open: Info.Tuning %q, notes %q", in.Tuning, in.TuningNotes)
	}
}

// memStore is a TuningStore in memory holding tables as their JSON, as
// the browser's IndexedDB store does.
type memStore struct {
	tables map[tuning.Adapter][]byte
	saves  int
}

func (s *memStore) LoadTuning(a tuning.Adapter) (*tuning.Table, string, error) {
	b, ok := s.tables[a]
	if !ok {
		return nil, "", fs.ErrNotExist
	}
	tb, err := tuning.Parse(b)
	return tb, "memory", err
}

func (s *memStore) SaveTuning(a tuning.Adapter, t *tuning.Table) (string, error) {
	b, err := t.Marshal()
	s.tables[a], s.saves = b, s.saves+1
	return "memory", err
}

// TestTuningStore tunes the tiny model into an Options.TuningStore (saved
// after each round), continues from it, and opens the next model from it
// (Info.Tuning, Model.TuningTable); a corrupt stored table is ignored with
// a note.
func TestTuningStore(t *testing.T) {
	requireGPU(t)
	t.Setenv(tuning.CacheDirEnv, t.TempDir()) // the store, not files
	root, err := refdata.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(root, "testdata", "tiny.pt")
	ctx := context.Background()
	store := &memStore{tables: map[tuning.Adapter][]byte{}}
	m, err := Open(ctx, weights, Options{Backend: GPU, TuningStore: store})
	if err != nil {
		t.Fatal(err)
	}
	if m.TuningTable() != nil || m.Info().Tuning != "" {
		t.Errorf("an empty store gave table %v (Info.Tuning %q)", m.TuningTable(), m.Info().Tuning)
	}
	res, err := m.Tune(ctx, TuneOptions{Side: 64, Budget: 2 * time.Second})
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	a := adapterOf(gputest.Device(t).Info)
	if store.saves == 0 || store.tables[a] == nil || res.Path != "memory" || res.Measured == 0 {
		t.Fatalf("Tune saved %d times to the store (path %q, %d measured)", store.saves, res.Path, res.Measured)
	}
	if ents, _ := os.ReadDir(os.Getenv(tuning.CacheDirEnv)); len(ents) != 0 {
		t.Errorf("Tune with a store wrote %d files to the cache folder", len(ents))
	}
	m, err = Open(ctx, weights, Options{Backend: GPU, TuningStore: store})
	if err != nil {
		t.Fatal(err)
	}
	if in := m.Info(); !strings.HasPrefix(in.Tuning, "cached table memory (") || m.TuningTable() == nil || m.TuningTable().Len() != res.Table.Len() {
		t.Errorf("Info.Tuning %q, notes %q, table %v", in.Tuning, in.TuningNotes, m.TuningTable())
	}
	r2, err := m.Tune(ctx, TuneOptions{Side: 64, Budget: time.Second})
	m.Close()
	if err != nil || !r2.Resumed || r2.Measured < res.Measured {
		t.Errorf("the second Tune: resumed %v, measured %d (first %d), %v", r2.Resumed, r2.Measured, res.Measured, err)
	}
	store.tables[a] = []byte(`{"version": 1, "adapter": `)
	m, err = Open(ctx, weights, Options{Backend: GPU, TuningStore: store})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if in := m.Info(); in.Tuning != "" || len(in.TuningNotes) != 1 || !strings.Contains(in.TuningNotes[0], "not a tuning table") || m.TuningTable() != nil {
		t.Errorf("corrupt stored table: Info.Tuning %q, notes %q", in.Tuning, in.TuningNotes)
	}
}

// TestCloseCancelsTune closes a model while its Tune runs (a budget of an
// hour, held at its first measurement until Close has begun): Close
// returns within a minute, Tune returns what it measured with
// context.Canceled, and neither a second Tune meanwhile nor one after
// Close runs.
func TestCloseCancelsTune(t *testing.T) {
	requireGPU(t)
	t.Setenv(tuning.CacheDirEnv, t.TempDir())
	root, err := refdata.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := Open(ctx, filepath.Join(root, "testdata", "tiny.pt"), Options{Backend: GPU, Tune: TuneOff})
	if err != nil {
		t.Fatal(err)
	}
	closing := func() bool {
		m.tuneMu.Lock()
		defer m.tuneMu.Unlock()
		return m.closing
	}
	measuring := make(chan struct{})
	var once sync.Once
	type result struct {
		r   TuneResult
		err error
	}
	tuned := make(chan result, 1)
	go func() {
		r, err := m.Tune(ctx, TuneOptions{Side: 64, Budget: time.Hour, Progress: func(TuneProgress) {
			once.Do(func() {
				close(measuring)
				for deadline := time.Now().Add(time.Minute); !closing() && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
			})
		}})
		tuned <- result{r, err}
	}()
	select {
	case <-measuring:
	case r := <-tuned:
		m.Close()
		t.Fatalf("Tune ended before its first measurement: %+v, %v", r.r, r.err)
	}
	if _, err := m.Tune(ctx, TuneOptions{Side: 64}); err == nil || !strings.Contains(err.Error(), "already tuning") {
		t.Errorf("a second Tune during the first: %v, want an already-tuning error", err)
	}
	closed := make(chan error, 1)
	start := time.Now()
	go func() { closed <- m.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
		t.Logf("Close took %v during a Tune", time.Since(start))
	case <-time.After(time.Minute):
		t.Fatal("Close did not return within a minute of a Tune's first measurement")
	}
	r := <-tuned
	if !errors.Is(r.err, context.Canceled) || r.r.Table == nil || r.r.Complete || r.r.Measured == 0 {
		t.Errorf("the cancelled Tune: complete %v, %d of %d measured, table %v, err %v; want its partial table and context.Canceled",
			r.r.Complete, r.r.Measured, r.r.Total, r.r.Table != nil, r.err)
	}
	if _, err := m.Tune(ctx, TuneOptions{Side: 64}); !errors.Is(err, ErrClosed) {
		t.Errorf("Tune after Close: %v, want ErrClosed", err)
	}
}
