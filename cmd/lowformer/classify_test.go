package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/labels"
	"github.com/lowformer/lowformer-webgpu/pretrained"
)

// classifyRef is testdata/classify_b0.json with its logits: the float64
// reference forward of b0 on torchvision-preprocessed fixture images
// (written by testdata/gen_classify_ref.py).
type classifyRef struct {
	Size   int `json:"size"`
	Images []struct {
		Image string `json:"image"`
		Top5  []struct {
			Index int     `json:"index"`
			Prob  float64 `json:"probability"`
		} `json:"top5"`
	} `json:"images"`
	probs [][]float64 // softmax of the reference logits, per image
}

func loadClassifyRef(t *testing.T) *classifyRef {
	t.Helper()
	raw, err := os.ReadFile("testdata/classify_b0.json")
	if err != nil {
		t.Fatal(err)
	}
	ref := &classifyRef{}
	if err := json.Unmarshal(raw, ref); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/classify_b0_logits.bin")
	if err != nil {
		t.Fatal(err)
	}
	logits := decodeFloats(t, b)
	classes := len(logits) / len(ref.Images)
	for i := range ref.Images {
		ref.probs = append(ref.probs, softmax(logits[i*classes:(i+1)*classes]))
	}
	return ref
}

func softmax(l []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, float64(v))
	}
	p, sum := make([]float64, len(l)), 0.0
	for i, v := range l {
		p[i] = math.Exp(float64(v) - m)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// probTol bounds |probability - reference|: logits within 2e-4 change
// probabilities near 1/1000 by about 1e-6 relative to each other.
const probTol = 2e-6

// checkTopK checks one image's predictions against the reference
// probabilities: each is the reference probability of its class, they are
// sorted, and they are a top-k of the reference up to probTol (near-ties
// may swap).
func checkTopK(t *testing.T, preds []lowformer.Prediction, ref []float64, k int) {
	t.Helper()
	if len(preds) != k {
		t.Fatalf("%d predictions, want %d", len(preds), k)
	}
	sorted := append([]float64(nil), ref...)
	sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
	for i, p := range preds {
		if d := math.Abs(float64(p.Prob) - ref[p.Index]); d > probTol {
			t.Errorf("rank %d: class %d has probability %.7f, reference %.7f", i, p.Index, p.Prob, ref[p.Index])
		}
		if ref[p.Index] < sorted[k-1]-probTol {
			t.Errorf("rank %d: class %d (reference probability %.7f) is not in the reference top %d (≥ %.7f)",
				i, p.Index, ref[p.Index], k, sorted[k-1])
		}
		if i > 0 && p.Prob > preds[i-1].Prob {
			t.Errorf("rank %d is more probable than rank %d", i, i-1)
		}
		if p.Label != labels.ImageNet[p.Index] {
			t.Errorf("class %d is labelled %q, want %q", p.Index, p.Label, labels.ImageNet[p.Index])
		}
	}
}

// TestClassifyReference classifies three fixture images (two batches with
// -batch 2) on the CPU and checks the JSON output against the float64
// reference of the same images preprocessed by torchvision.
func TestClassifyReference(t *testing.T) {
	ref := loadClassifyRef(t)
	args := []string{"classify", "-weights", b0Weights(t), "-backend", "cpu", "-json", "-batch", "2"}
	for _, im := range ref.Images {
		args = append(args, testImage(t, im.Image))
	}
	r := mustCLI(t, args...)
	var out classifyOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("-json output is not JSON: %v\n%s", err, r.stdout)
	}
	if out.Variant != "B0" || out.Backend != "cpu" || out.Size != ref.Size || len(out.Results) != len(ref.Images) {
		t.Fatalf("output %+v: want variant B0, backend cpu, size %d, %d results", out, ref.Size, len(ref.Images))
	}
	for i, res := range out.Results {
		t.Run(ref.Images[i].Image, func(t *testing.T) {
			if res.File != args[len(args)-len(ref.Images)+i] || res.Error != "" {
				t.Fatalf("result %+v for %s", res, ref.Images[i].Image)
			}
			checkTopK(t, res.Predictions, ref.probs[i], 5)
		})
	}
}

// TestClassifyText checks the text output and that one unreadable image
// among good ones is reported on stderr with exit status 1 while the
// others are still printed.
func TestClassifyText(t *testing.T) {
	ref := loadClassifyRef(t)
	const img = 1 // coffee: its top-3 are ≥ 0.009 apart in logits, so the order is stable
	good := testImage(t, ref.Images[img].Image)
	missing := filepath.Join(t.TempDir(), "missing.jpg")
	r := cli("classify", "-weights", b0Weights(t), "-backend", "cpu", "-top", "3", good, missing)
	if r.code != 1 || !strings.Contains(r.stderr, "missing.jpg: no such file") ||
		!strings.Contains(r.stderr, "1 of 2 images could not be classified") {
		t.Errorf("exit %d, stderr %q; want 1, the missing file and the count", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 4 || lines[0] != good {
		t.Fatalf("stdout %q: want the image path and 3 classes", r.stdout)
	}
	line := regexp.MustCompile(`^ +(\d+\.\d\d)%  (.+)  \((\d+)\)$`)
	for i, l := range lines[1:] {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q is not \"  PP.PP%%  LABEL  (INDEX)\"", l)
		}
		pct, _ := strconv.ParseFloat(m[1], 64)
		idx, _ := strconv.Atoi(m[3])
		want := ref.Images[img].Top5[i]
		if idx != want.Index || m[2] != labels.ImageNet[idx] || math.Abs(pct-100*want.Prob) > 0.006 {
			t.Errorf("line %q: want %.2f%%  %s  (%d)", l, 100*want.Prob, labels.ImageNet[want.Index], want.Index)
		}
	}
}

// TestCommandsAgree chains preprocess and logits (through stdout) and
// checks that classify gives the same top-5 at a small size.
func TestCommandsAgree(t *testing.T) {
	weights, img := tinyWeights(t), testImage(t, "chelsea_420.jpg")
	tensor := mustCLI(t, "preprocess", "-size", "32", "-o", "-", img).stdout
	in := tmpFile(t, "x.bin", []byte(tensor))
	logits := decodeFloats(t, []byte(mustCLI(t, "logits", "-weights", weights, "-backend", "cpu",
		"-input", in, "-shape", "1,3,32,32", "-o", "-").stdout))
	want := lowformer.TopK(logits, []string{"class 0", "class 1", "class 2"}, 5)
	var out classifyOutput
	if err := json.Unmarshal([]byte(mustCLI(t, "classify", "-weights", weights, "-backend", "cpu", "-size", "32", "-json", img).stdout), &out); err != nil {
		t.Fatal(err)
	}
	got := out.Results[0].Predictions
	if len(got) != len(want) {
		t.Fatalf("classify gave %d classes, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Index != want[i].Index || math.Abs(float64(got[i].Prob-want[i].Prob)) > 1e-7 {
			t.Errorf("rank %d: classify %+v, preprocess+logits %+v", i, got[i], want[i])
		}
	}
}

// TestClassifyDefaultWeights plugs in a built-in model: without -weights,
// classify uses it, and its failures are reported.
func TestClassifyDefaultWeights(t *testing.T) {
	weights, img := tinyWeights(t), testImage(t, "chelsea_420.jpg")
	data, err := os.ReadFile(weights)
	if err != nil {
		t.Fatal(err)
	}
	saved := defaultWeights
	t.Cleanup(func() { defaultWeights = saved })
	defaultWeights = func() ([]byte, string, error) { return data, "tiny", nil }
	withDefault := mustCLI(t, "classify", "-backend", "cpu", "-size", "32", "-json", img).stdout
	withFlag := mustCLI(t, "classify", "-weights", weights, "-backend", "cpu", "-size", "32", "-json", img).stdout
	if withDefault != withFlag {
		t.Errorf("the built-in model gives\n%s\n-weights gives\n%s", withDefault, withFlag)
	}
	defaultWeights = func() ([]byte, string, error) { return nil, "", errors.New("not embedded in this build") }
	checkErrors(t, []errCase{{"failing default", []string{"classify", img}, 1, "loading the built-in weights: not embedded in this build"}})
	defaultWeights = func() ([]byte, string, error) { return data[:1000], "tiny-truncated", nil }
	checkErrors(t, []errCase{{"broken default", []string{"classify", img}, 1, "checkpoint: file is truncated or corrupt"},
		{"broken default names it", []string{"classify", img}, 1, "(in the built-in weights tiny-truncated)"}})
}

// TestClassifyErrors checks refusals of bad command lines, weights and
// images. Bad images are reported per image and fail the run.
func TestClassifyErrors(t *testing.T) {
	withoutDefaultWeights(t)
	weights, cat := tinyWeights(t), testImage(t, "chelsea_420.jpg")
	dir := t.TempDir()
	catBytes, err := os.ReadFile(cat)
	if err != nil {
		t.Fatal(err)
	}
	truncated := tmpFile(t, "truncated.jpg", catBytes[:len(catBytes)/3])
	text := tmpFile(t, "notes.png", []byte("these are not pixels\n"))
	bomb := tmpFile(t, "bomb.png", bombPNG(20000, 20000))
	cl := func(extra ...string) []string {
		return append([]string{"classify", "-weights", weights, "-backend", "cpu"}, extra...)
	}
	checkErrors(t, []errCase{
		{"no weights", []string{"classify", cat}, 1, "-weights is required"},
		{"no image", cl(), 1, "missing IMAGE argument"},
		{"top zero", cl("-top", "0", cat), 1, "-top 0: want at least 1"},
		{"batch zero", cl("-batch", "0", cat), 1, "-batch 0: want at least 1"},
		{"size", cl("-size", "8", cat), 1, "-size 8: want 32..2048"},
		{"bad backend", cl("-backend", "tpu", cat), 1, `unknown backend "tpu"`},
		{"top not a number", cl("-top", "five", cat), 2, `invalid value "five" for flag -top`},
		{"missing weights", []string{"classify", "-weights", filepath.Join(dir, "none.pt"), cat}, 1, "opening weights: open " + filepath.Join(dir, "none.pt")},
		{"weights directory", []string{"classify", "-weights", dir, cat}, 1, "holds no checkpoint (no .pt, .pth or .safetensors file"},
		{"weights not a checkpoint", []string{"classify", "-weights", cat, cat}, 1, "not a checkpoint"},
		{"wrong variant", cl("-variant", "b3", cat), 1, "not the requested B3"},
		{"missing image", cl(filepath.Join(dir, "none.jpg")), 1, "none.jpg: no such file"},
		{"unreadable image", cl(truncated), 1, "truncated.jpg: preprocess: unreadable image"},
		{"unsupported image", cl(text), 1, "notes.png: preprocess: unsupported image format"},
		{"decompression bomb", cl(bomb), 1, "bomb.png: preprocess: image too large"},
		{"max pixels", cl("-max-pixels", "1000", cat), 1, "more than the limit of 1000"},
		{"several bad images", cl(bomb, text), 1, "2 of 2 images could not be classified"},
		{"threshold above 1", cl("-threshold", "1.5", cat), 1, "-threshold 1.5: want a probability in 0..1"},
		{"negative threshold", cl("-threshold", "-0.1", cat), 1, "-threshold -0.1: want a probability in 0..1"},
		{"allow and deny", cl("-allow", "class 0", "-deny", "class 1", cat), 1, "-allow and -deny are mutually exclusive"},
		{"unknown label", cl("-allow", "class 0", "-allow", "zebra", cat), 1, `"zebra" is not a class label of this model`},
		{"empty label", cl("-deny", " ", cat), 2, `invalid value " " for flag -deny: empty label`},
		{"roi of three numbers", cl("-roi", "0,0,1", cat), 1, `-roi "0,0,1": want four comma-separated fractions x,y,w,h`},
		{"roi not numbers", cl("-roi", "a,0,1,1", cat), 1, `-roi "a,0,1,1": "a" is not a number`},
		{"roi beyond the image", cl("-roi", "0.5,0.5,0.6,0.2", cat), 1, "want x, y ≥ 0, w, h > 0, x+w ≤ 1 and y+h ≤ 1"},
		{"roi of zero width", cl("-roi", "0.5,0.5,0,0.2", cat), 1, "want x, y ≥ 0, w, h > 0"},
	})
}

// TestClassifyFilterFlags checks -threshold, -allow, -deny and -roi with
// the built-in model against its full ranking of the same image (and, for
// -roi, against the cropped image saved as a file of its own).
func TestClassifyFilterFlags(t *testing.T) {
	imgs, _ := pretrained.Samples()
	dir := t.TempDir()
	save := func(name string, im image.Image) string {
		f := filepath.Join(dir, name)
		w, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := png.Encode(w, im); err != nil {
			t.Fatal(err)
		}
		return f
	}
	sample := save("sample.png", imgs[0])
	run := func(args ...string) []lowformer.Prediction {
		t.Helper()
		out := mustCLI(t, append(append([]string{"classify", "-backend", "cpu", "-json"}, args...), sample)...).stdout
		var res classifyOutput
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Results) != 1 {
			t.Fatalf("%v\n%s", err, out)
		}
		return res.Results[0].Predictions
	}
	all := run("-top", "10")
	if len(all) != 10 || all[1].Prob == all[2].Prob {
		t.Fatalf("ranking %v: want 10 classes, the second more probable than the third", all)
	}
	thr := strconv.FormatFloat(float64(all[1].Prob), 'g', -1, 32)
	for _, tc := range []struct {
		name string
		args []string
		want []lowformer.Prediction
	}{
		{"threshold", []string{"-top", "10", "-threshold", thr}, all[:2]},
		{"allow", []string{"-allow", all[6].Label, "-allow", all[3].Label}, []lowformer.Prediction{all[3], all[6]}},
		{"deny", []string{"-top", "2", "-deny", all[0].Label}, all[1:3]},
		{"deny and threshold", []string{"-top", "10", "-deny", all[0].Label, "-threshold", thr}, all[1:2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(tc.args...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v: %v, want %v", tc.args, got, tc.want)
			}
		})
	}
	t.Run("roi", func(t *testing.T) {
		left := imgs[0].(*image.Gray).SubImage(image.Rect(0, 7, 14, 28))
		out := mustCLI(t, "classify", "-backend", "cpu", "-json", "-top", "10", save("left.png", left)).stdout
		var res classifyOutput
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		want := res.Results[0].Predictions
		if got := run("-top", "10", "-roi", "0,0.25,0.5,0.75"); !reflect.DeepEqual(got, want) {
			t.Errorf("-roi 0,0.25,0.5,0.75: %v; the cropped file gives %v", got, want)
		}
		if reflect.DeepEqual(want, all) {
			t.Error("the crop classifies as the whole image: the check cannot tell")
		}
	})
	if out := mustCLI(t, "classify", "-backend", "cpu", "-threshold", "1", sample).stdout; !strings.Contains(out, "(no class passes -threshold, -allow or -deny)") {
		t.Errorf("-threshold 1 printed %q", out)
	}
}

// TestClassifyJSONErrors checks that with -json the images that fail are
// listed with their error (and no predictions) and the run exits 1.
func TestClassifyJSONErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.jpg")
	bomb := tmpFile(t, "bomb.png", bombPNG(20000, 20000))
	r := cli("classify", "-weights", tinyWeights(t), "-backend", "cpu", "-json", missing, bomb)
	if r.code != 1 || !strings.Contains(r.stderr, "2 of 2 images could not be classified") {
		t.Errorf("exit %d, stderr %q; want 1 and the count", r.code, r.stderr)
	}
	var out classifyOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	want := []struct{ file, err string }{{missing, "no such file"}, {bomb, "image too large"}}
	if len(out.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(out.Results), len(want))
	}
	for i, w := range want {
		if res := out.Results[i]; res.File != w.file || !strings.Contains(res.Error, w.err) || res.Predictions != nil {
			t.Errorf("result %d: %+v, want file %s with an error containing %q", i, res, w.file, w.err)
		}
	}
}

// withoutDefaultWeights removes the built-in model for the test, so that a
// missing -weights is an error.
func withoutDefaultWeights(t *testing.T) {
	saved := defaultWeights
	defaultWeights = nil
	t.Cleanup(func() { defaultWeights = saved })
}

// TestClassifyBuiltIn classifies Fashion-MNIST samples with no -weights:
// the built-in model must name the right class of clear examples.
func TestClassifyBuiltIn(t *testing.T) {
	imgs, labels := pretrained.Samples()
	dir := t.TempDir()
	var files []string
	for i := 0; i < 4; i++ {
		f := filepath.Join(dir, fmt.Sprintf("sample%d.png", i))
		w, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(w, imgs[i]); err != nil {
			t.Fatal(err)
		}
		w.Close()
		files = append(files, f)
	}
	out := mustCLI(t, append([]string{"classify", "-backend", "cpu", "-top", "1", "-json"}, files...)...).stdout
	var res classifyOutput
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Size != pretrained.FashionMNISTSize {
		t.Errorf("classified at %d px, want the model's %d", res.Size, pretrained.FashionMNISTSize)
	}
	names := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	right := 0
	for i, r := range res.Results {
		if len(r.Predictions) == 1 && r.Predictions[0].Label == names[labels[i]] {
			right++
		}
	}
	if right < 3 {
		t.Errorf("the built-in model got %d of 4 samples right: %s", right, out)
	}
}
