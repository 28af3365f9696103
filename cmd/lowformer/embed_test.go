package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
)

// TestEmbedReference runs the first image of the b0 reference input
// through "embed -input" on each backend and compares with PyTorch's
// head.fc1 activation (within 1e-4 of its max-abs), raw and normalized.
func TestEmbedReference(t *testing.T) {
	act, meta := refdata.ReadBin(t, filepath.Join(refdata.Dir(t, "b0"), "act", "head.fc1.bin"))
	d := meta.Shape[1]
	want := act[:d]
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for _, backend := range []string{"cpu", "gpu"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "gpu" {
				gputest.Require(t)
			}
			in, _ := b0Input1(t)
			out := filepath.Join(t.TempDir(), "emb.bin")
			mustCLI(t, "embed", "-weights", b0Weights(t), "-input", in, "-shape", "1,3,224,224", "-o", out, "-backend", backend)
			got := readOutput(t, out)
			if diff := maxAbsDiff(t, got, want); diff > 1e-4*scale {
				t.Errorf("max |embedding - reference| = %.3g on %s, want ≤ 1e-4 × %.3g", diff, backend, scale)
			} else {
				t.Logf("max |embedding - reference| = %.3g on %s (reference max-abs %.3g)", diff, backend, scale)
			}
			mustCLI(t, "embed", "-weights", b0Weights(t), "-input", in, "-shape", "1,3,224,224", "-o", out, "-backend", backend, "-normalize")
			var norm float64
			for _, v := range readOutput(t, out) {
				norm += float64(v) * float64(v)
			}
			if math.Abs(norm-1) > 1e-5 {
				t.Errorf("-normalize gave a squared norm of %.7f", norm)
			}
		})
	}
}

// TestEmbedImages embeds fixture images as text and JSON: one line (or
// result) per image with D values, the same values both ways, -pairs
// cosines of a picture with itself 1 and with another below 1, and a bad
// file reported by name while the others are still embedded.
func TestEmbedImages(t *testing.T) {
	weights := tinyWeights(t)
	a, b := testImage(t, "chelsea_420.jpg"), testImage(t, "coffee.bmp")
	r := mustCLI(t, "embed", "-weights", weights, "-backend", "cpu", "-size", "64", "-pairs", a, b, a)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 6 {
		t.Fatalf("got %d lines, want 3 embeddings and 3 cosines:\n%s", len(lines), r.stdout)
	}
	vecs := map[string][]string{}
	for _, l := range lines[:3] {
		f := strings.Split(l, "\t")
		if len(f) != 2 {
			t.Fatalf("line %q: want FILE<TAB>VALUES", l)
		}
		vecs[f[0]] = strings.Fields(f[1])
	}
	if len(vecs[a]) != 4 || len(vecs[b]) != 4 { // the tiny model's head width
		t.Fatalf("embeddings of %d and %d values, want 4", len(vecs[a]), len(vecs[b]))
	}
	cos := func(l string) float64 {
		f := strings.Split(l, "\t")
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil || f[0] != "cosine" {
			t.Fatalf("cosine line %q", l)
		}
		return v
	}
	if ab, aa := cos(lines[3]), cos(lines[4]); math.Abs(aa-1) > 1e-6 || ab >= aa {
		t.Errorf("cosine(a, a) = %v, cosine(a, b) = %v", aa, ab)
	}
	jr := mustCLI(t, "embed", "-weights", weights, "-backend", "cpu", "-size", "64", "-json", a)
	var doc embedOutput
	if err := json.Unmarshal([]byte(jr.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Dim != 4 || len(doc.Results) != 1 || len(doc.Results[0].Embedding) != 4 || doc.Size != 64 {
		t.Fatalf("JSON document %+v", doc)
	}
	for i, s := range vecs[a] {
		if s != strconv.FormatFloat(float64(doc.Results[0].Embedding[i]), 'g', -1, 32) {
			t.Errorf("value %d: text %s, JSON %v", i, s, doc.Results[0].Embedding[i])
		}
	}
	missing := filepath.Join(t.TempDir(), "none.jpg")
	br := cli("embed", "-weights", weights, "-backend", "cpu", "-size", "64", a, missing)
	if br.code != 1 || !strings.Contains(br.stderr, "none.jpg") || !strings.Contains(br.stderr, "1 of 2 images could not be embedded") ||
		!strings.HasPrefix(br.stdout, a+"\t"+strings.Join(vecs[a], " ")) {
		t.Errorf("a good and a missing image: exit %d, stdout %q, stderr %q", br.code, br.stdout, br.stderr)
	}
	checkErrors(t, []errCase{
		{"no images", []string{"embed", "-weights", weights}, 1, "missing IMAGE argument"},
		{"input and images", []string{"embed", "-weights", weights, "-input", a, a}, 1, "-input takes no images"},
		{"input without shape", []string{"embed", "-weights", weights, "-input", a, "-o", missing}, 1, "-shape is required"},
		{"bad shape", []string{"embed", "-weights", weights, "-input", a, "-shape", "1,4,64,64", "-o", missing}, 1, "the channel dimension must be 3"},
	})
}
