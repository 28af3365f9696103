package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/internal/ziptest"
)

// trainedWeights is testdata/tiny.pt rewrapped as a trainer dict that
// records epoch 42 and a best validation accuracy of 61.25%.
func trainedWeights(t *testing.T) string {
	return tmpFile(t, "trained.pt", ziptest.TrainerDict(t, fileBytes(t, tinyWeights(t)), 42, 61.25))
}

// TestInfoTraining checks the training line, the test-weights note and
// their -json form.
func TestInfoTraining(t *testing.T) {
	trained := trainedWeights(t)
	for _, c := range []struct {
		name, path string
		line, note string
		want       trainingJSON
	}{
		{"test checkpoint", tinyWeights(t), "training:        none recorded\n", lowformer.TestWeightsNote, trainingJSON{Epoch: -1}},
		{"trained", trained, "training:        epoch 42, validation accuracy 61.25%\n", "",
			trainingJSON{Known: true, Epoch: 42, Accuracy: 0.6125, AccuracySplit: "validation"}},
		{"trained, converted", convertedFile(t, "trained", trained, "f32"), "training:        epoch 42, validation accuracy 61.25%\n", "",
			trainingJSON{Known: true, Epoch: 42, Accuracy: 0.6125, AccuracySplit: "validation"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := mustCLI(t, "info", c.path).stdout
			if !strings.Contains(out, c.line) {
				t.Errorf("info output lacks %q:\n%s", c.line, out)
			}
			if hasNote := strings.Contains(out, "note:            "+lowformer.TestWeightsNote+"\n"); hasNote != (c.note != "") {
				t.Errorf("info output has the test-weights note: %v, want %v:\n%s", hasNote, c.note != "", out)
			}
			var rec infoRecord
			if err := json.Unmarshal([]byte(mustCLI(t, "info", "-json", c.path).stdout), &rec); err != nil {
				t.Fatal(err)
			}
			if rec.Training != c.want || rec.Note != c.note {
				t.Errorf("info -json training %+v, note %q; want %+v, %q", rec.Training, rec.Note, c.want, c.note)
			}
		})
	}
}

// TestClassifyStderr checks what classify says on stderr: the model line
// (unless -q) and the test-weights note (always).
func TestClassifyStderr(t *testing.T) {
	img := testImage(t, "chelsea_420.jpg")
	tiny, trained := tinyWeights(t), trainedWeights(t)
	note := "lowformer classify: note: " + lowformer.TestWeightsNote + "\n"
	for _, c := range []struct {
		name string
		args []string
		want []string // lines of stderr, in order
	}{
		{"test weights", []string{"-weights", tiny}, []string{"lowformer classify: model custom, 3 classes, file " + tiny + ", on cpu\n", note}},
		{"test weights, quiet", []string{"-q", "-weights", tiny}, []string{note}},
		{"trained", []string{"-weights", trained}, []string{"lowformer classify: model custom, 3 classes, file " + trained + ", on cpu\n"}},
		{"trained, quiet", []string{"-q", "-weights", trained}, nil},
		{"built-in", nil, []string{"lowformer classify: model custom, 10 classes, built-in Fashion-MNIST LowFormer, on cpu\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"classify", "-backend", "cpu", "-size", "32", "-top", "1"}, c.args...), img)
			if got, want := mustCLI(t, args...).stderr, strings.Join(c.want, ""); got != want {
				t.Errorf("stderr %q, want %q", got, want)
			}
		})
	}
}

// TestShowProgress checks the progress line: drawn after the delay,
// updated, then erased; nothing at all for a step shorter than the delay.
func TestShowProgress(t *testing.T) {
	savedDelay, savedTick := progressDelay, progressTick
	t.Cleanup(func() { progressDelay, progressTick = savedDelay, savedTick })
	progressDelay, progressTick = 0, time.Millisecond
	var b bytes.Buffer
	stop := showProgress(&b, "compiling")
	time.Sleep(20 * time.Millisecond)
	stop()
	out := b.String()
	if !strings.HasPrefix(out, "\r\x1b[Kcompiling… 0s") || !strings.HasSuffix(out, "\r\x1b[K") || strings.Count(out, "compiling…") < 2 {
		t.Errorf("progress output %q: want the line drawn, redrawn and erased", out)
	}
	progressDelay = time.Hour
	b.Reset()
	showProgress(&b, "compiling")()
	if b.Len() != 0 {
		t.Errorf("a step shorter than the delay wrote %q", b.String())
	}
}

// TestIsTerminal: a buffer and a regular file are not terminals.
func TestIsTerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	f := tmpFile(t, "x", nil)
	if fh, err := os.Open(f); err == nil {
		defer fh.Close()
		if isTerminal(fh) {
			t.Error("a regular file is a terminal")
		}
	}
}
