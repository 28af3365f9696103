package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWeightsBundle: -weights takes the official download as a folder or a
// zip of it; -variant picks among several, and the errors list them.
func TestWeightsBundle(t *testing.T) {
	tiny, err := os.ReadFile(tinyWeights(t))
	if err != nil {
		t.Fatal(err)
	}
	img := testImage(t, "chelsea_420.jpg")
	dir := t.TempDir()
	one := filepath.Join(dir, "one", ".exp", "cls", "imagenet", "b0", "checkpoint")
	if err := os.MkdirAll(one, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(one, "evalmodel.pt"), tiny, 0o644); err != nil {
		t.Fatal(err)
	}
	two := filepath.Join(dir, "two.zip")
	f, err := os.Create(two)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, v := range []string{"b0", "e1"} {
		w, err := zw.Create(".exp/cls/imagenet/" + v + "/checkpoint/evalmodel.pt")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(tiny)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	out := mustCLI(t, "classify", "-weights", filepath.Join(dir, "one"), "-backend", "cpu", "-size", "32", "-top", "1", img).stdout
	if !strings.Contains(out, "class ") {
		t.Errorf("classify with a weights folder printed %q", out)
	}
	checkErrors(t, []errCase{
		{"several", []string{"classify", "-weights", two, "-backend", "cpu", img}, 1,
			"holds 2 checkpoints; name the variant to load: b0 (.exp/cls/imagenet/b0/checkpoint/evalmodel.pt), e1 ("},
		{"absent variant", []string{"classify", "-weights", two, "-variant", "b3", "-backend", "cpu", img}, 1, "no checkpoint of variant b3"},
		{"picked, of another variant", []string{"classify", "-weights", two, "-variant", "E1", "-backend", "cpu", img}, 1, "E1"},
		{"empty folder", []string{"classify", "-weights", t.TempDir(), "-backend", "cpu", img}, 1, "holds no checkpoint"},
	})
}
