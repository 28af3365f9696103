package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/tuning"
)

// TestTuneFlagErrors checks that tune refuses bad flags before any work,
// and that -tuning with a corrupt file is a clear error of every command
// that runs a model.
func TestTuneFlagErrors(t *testing.T) {
	withoutDefaultWeights(t)
	weights := tinyWeights(t)
	bad := tmpFile(t, "bad.json", []byte("{not json"))
	in := tmpFile(t, "in.bin", make([]byte, 4*3*32*32))
	out := filepath.Join(t.TempDir(), "out.bin")
	checkErrors(t, []errCase{
		{"no weights", []string{"tune"}, 1, "-weights is required"},
		{"budget", []string{"tune", "-weights", weights, "-budget", "0s"}, 1, "-budget 0s: want a positive duration"},
		{"size", []string{"tune", "-weights", weights, "-size", "3"}, 1, "-size 3: want"},
		{"batch", []string{"tune", "-weights", weights, "-batch", "0"}, 1, "-batch 0: want 1..1024"},
		{"kernels", []string{"tune", "-weights", weights, "-kernels", "fast"}, 1, `-kernels "fast"`},
	})
	gputest.Require(t)
	want := "bad.json: bad tuning table: not a tuning table"
	checkErrors(t, []errCase{
		{"logits", []string{"logits", "-weights", weights, "-input", in, "-shape", "1,3,32,32", "-o", out, "-backend", "gpu", "-tuning", bad}, 1, want},
		{"bench", []string{"bench", "-weights", weights, "-size", "32", "-runs", "1", "-tuning", bad}, 1, want},
	})
}

// TestTuneCommand tunes the tiny model under a short budget into a file
// (progress on stderr, summary on stdout), resumes it, and runs bench and
// logits with the table: bench names it, logits match the untuned ones.
func TestTuneCommand(t *testing.T) {
	gputest.Require(t)
	weights := tinyWeights(t)
	table := filepath.Join(t.TempDir(), "table.json")
	r := mustCLI(t, "tune", "-weights", weights, "-size", "32", "-budget", "1s", "-o", table)
	if !strings.Contains(r.stderr, "tuning custom") || !strings.Contains(r.stderr, "] conv ") && !strings.Contains(r.stderr, "] pointwise ") {
		t.Errorf("no progress on stderr:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "table: "+table) || !strings.Contains(r.stdout, "kernel keys") {
		t.Errorf("summary:\n%s", r.stdout)
	}
	tb, err := tuning.Load(table)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Len() == 0 {
		t.Fatalf("the table has no measured key:\n%s", r.stdout)
	}
	r2 := mustCLI(t, "tune", "-weights", weights, "-size", "32", "-budget", "1s", "-o", table)
	if !strings.Contains(r2.stdout, "continued from the stored table") {
		t.Errorf("the second run did not continue the table:\n%s", r2.stdout)
	}

	br := benchJSON(t, "-weights", weights, "-backend", "gpu", "-size", "32", "-runs", "1", "-warmup", "0", "-tuning", table)
	if !strings.HasPrefix(br.Tuning, table+" (") {
		t.Errorf("bench -tuning: tuning %q, want the table %s", br.Tuning, table)
	}
	text := mustCLI(t, "bench", "-weights", weights, "-backend", "gpu", "-size", "32", "-runs", "1", "-warmup", "0", "-tuning", "off").stdout
	if !strings.Contains(text, "tuning table: none") {
		t.Errorf("bench -tuning off does not say so:\n%s", text)
	}

	in := tmpFile(t, "in.bin", randomBytes(4*3*32*32))
	outs := map[string]string{}
	for _, tf := range []string{"off", table} {
		out := filepath.Join(t.TempDir(), "out.bin")
		mustCLI(t, "logits", "-weights", weights, "-input", in, "-shape", "1,3,32,32", "-o", out, "-backend", "gpu", "-tuning", tf)
		outs[tf] = out
	}
	if d := maxAbsDiff(t, readOutput(t, outs["off"]), readOutput(t, outs[table])); d > 2e-4 {
		t.Errorf("logits with the tuned table differ from untuned ones by %.3g", d)
	}
}

// randomBytes are n bytes of small float32 values.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	for i := 0; i+3 < n; i += 4 {
		b[i+2], b[i+3] = byte(i*7), 0x3e // about 0.125..0.25
	}
	return b
}
