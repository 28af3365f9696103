package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// TestStartFlag checks -start: bad values are refused by the model
// commands and bench; bench reports a progressive start's runs until the
// swap and a specialized start without them; info -kernels shows the start
// and the phase.
func TestStartFlag(t *testing.T) {
	withoutDefaultWeights(t)
	weights := tinyWeights(t)
	in := tmpFile(t, "in.bin", make([]byte, 4*3*32*32))
	out := filepath.Join(t.TempDir(), "out.bin")
	checkErrors(t, []errCase{
		{"logits", []string{"logits", "-weights", weights, "-input", in, "-shape", "1,3,32,32", "-o", out, "-start", "eager"}, 1, `unknown start "eager"`},
		{"bench", []string{"bench", "-weights", weights, "-size", "32", "-start", "eager"}, 1, `-start "eager"`},
		{"info", []string{"info", "-kernels", "auto", "-start", "eager", weights}, 1, `unknown start "eager"`},
	})
	gputest.Require(t)
	prog := benchJSON(t, "-weights", weights, "-backend", "gpu", "-size", "32", "-runs", "2", "-warmup", "0")
	if prog.Start != "progressive" || prog.Phase != "specialized" || prog.SpecializedMs < prog.ColdStartMs {
		t.Errorf("bench: start %q, phase %q, specialized at %.0f ms, cold start %.0f ms: want progressive, specialized after the cold start",
			prog.Start, prog.Phase, prog.SpecializedMs, prog.ColdStartMs)
	}
	if prog.MaxAbsErr == nil && prog.Check == "" {
		t.Errorf("bench: no check of the logits")
	}
	spec := benchJSON(t, "-weights", weights, "-backend", "gpu", "-size", "32", "-runs", "1", "-warmup", "0", "-start", "specialized")
	if spec.Start != "specialized" || spec.Phase != "specialized" || spec.SpecializedMs != 0 || len(spec.GenericTimesMs) != 0 {
		t.Errorf("bench -start specialized: %+v", spec)
	}
	text := mustCLI(t, "bench", "-weights", weights, "-backend", "gpu", "-size", "32", "-runs", "1", "-warmup", "0").stdout
	if !strings.Contains(text, "start progressive, phase specialized: specialized ") {
		t.Errorf("bench does not report the swap:\n%s", text)
	}
	var rec infoRecord
	if err := json.Unmarshal([]byte(mustCLI(t, "info", "-json", "-kernels", "auto", weights).stdout), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Start != "progressive" || rec.Phase != "generic" {
		t.Errorf("info -kernels: start %q, phase %q; want progressive, generic", rec.Start, rec.Phase)
	}
	if !strings.Contains(mustCLI(t, "info", "-kernels", "auto", "-start", "specialized", weights).stdout, "start, phase:    specialized, specialized once open") {
		t.Errorf("info -start specialized does not say so")
	}
}
