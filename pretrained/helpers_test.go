package pretrained

import (
	"context"
	"encoding/binary"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// Files written by tools/train_fashion_mnist.py next to the model.
var (
	torchPredsFile   = filepath.Join("testdata", "torch_preds.bin")  // uint8 argmax, 10000 test images
	torchLogitsFile  = filepath.Join("testdata", "torch_logits.f32") // float32 [300, 10], the samples
	preprocessedFile = filepath.Join("testdata", "preprocessed.f32") // float32 [3, 3, r, r]
)

// classNames are the Fashion-MNIST classes in label order.
var classNames = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// backends are the engines every agreement test runs on.
var backends = []lowformer.Backend{lowformer.CPU, lowformer.GPU}

// openModel opens the embedded model on be; a GPU test without an adapter
// is skipped by gputest.Require.
func openModel(t testing.TB, be lowformer.Backend) *lowformer.Model {
	t.Helper()
	if be == lowformer.GPU {
		gputest.Require(t)
	}
	m, err := lowformer.OpenBytes(context.Background(), FashionMNIST(), lowformer.Options{Backend: be})
	if err != nil {
		t.Fatalf("opening the embedded Fashion-MNIST model on %s: %v", be, err)
	}
	t.Cleanup(func() { m.Close() })
	if got := m.Info().Backend; got != be {
		t.Fatalf("model runs on %s, want %s", got, be)
	}
	return m
}

// classify returns the top-1 class of every image through the public
// ClassifyBatch, batch images at a time.
func classify(t testing.TB, m *lowformer.Model, imgs []image.Image, batch int) []int {
	t.Helper()
	out := make([]int, 0, len(imgs))
	for i := 0; i < len(imgs); i += batch {
		res, err := m.ClassifyBatch(context.Background(), imgs[i:min(i+batch, len(imgs))], lowformer.ClassifyOptions{TopK: 1, Side: FashionMNISTSize})
		if err != nil {
			t.Fatalf("ClassifyBatch of images %d..: %v", i, err)
		}
		for _, r := range res {
			out = append(out, r[0].Index)
		}
	}
	return out
}

// logits returns the logits of every image (preprocess.Tensor, then
// Logits), batch images at a time.
func logits(t testing.TB, m *lowformer.Model, imgs []image.Image, batch int) []float32 {
	t.Helper()
	var out []float32
	for i := 0; i < len(imgs); i += batch {
		part := imgs[i:min(i+batch, len(imgs))]
		input := make([]float32, 0, len(part)*3*FashionMNISTSize*FashionMNISTSize)
		for _, img := range part {
			input = append(input, preprocess.Tensor(img, FashionMNISTSize)...)
		}
		l, err := m.Logits(context.Background(), input, len(part), FashionMNISTSize, FashionMNISTSize)
		if err != nil {
			t.Fatalf("Logits of images %d..: %v", i, err)
		}
		out = append(out, l...)
	}
	return out
}

// readTorchPreds reads the PyTorch model's argmax for the first n test images.
func readTorchPreds(t testing.TB, n int) []int {
	t.Helper()
	b, err := os.ReadFile(torchPredsFile)
	if err != nil {
		t.Fatalf("reading the PyTorch predictions: %v", err)
	}
	if len(b) < n {
		t.Fatalf("%s holds %d predictions, need %d", torchPredsFile, len(b), n)
	}
	out := make([]int, n)
	for i := range out {
		out[i] = int(b[i])
	}
	return out
}

// readF32 reads little-endian float32 values.
func readF32(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if len(b)%4 != 0 {
		t.Fatalf("%s has %d bytes, not whole float32 values", path, len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// agreement compares two prediction lists with the ground truth: the
// number of disagreements and both accuracies.
func agreement(got, want, truth []int) (disagree int, accGot, accWant float64) {
	var okGot, okWant int
	for i := range got {
		if got[i] != want[i] {
			disagree++
		}
		if got[i] == truth[i] {
			okGot++
		}
		if want[i] == truth[i] {
			okWant++
		}
	}
	n := float64(len(got))
	return disagree, float64(okGot) / n, float64(okWant) / n
}

// checkAgreement applies the rule of every agreement test: per-image top-1
// agreement with PyTorch on at least 99.9 % of the images (at most
// ⌊n/1000⌋ disagreements: none on 300 images, 10 on 10 000), and the
// accuracy equal to PyTorch's within 0.1 percentage points.
func checkAgreement(t testing.TB, what string, got, want, truth []int) {
	t.Helper()
	d, acc, accTorch := agreement(got, want, truth)
	t.Logf("%s: accuracy %.2f %% (PyTorch %.2f %%), %d of %d top-1 predictions differ from PyTorch",
		what, 100*acc, 100*accTorch, d, len(got))
	if limit := len(got) / 1000; d > limit {
		t.Errorf("%s: %d of %d predictions differ from PyTorch, at most %d allowed", what, d, len(got), limit)
	}
	if math.Abs(acc-accTorch) > 0.001 {
		t.Errorf("%s: accuracy %.2f %% differs from PyTorch's %.2f %% by more than 0.1 pp", what, 100*acc, 100*accTorch)
	}
}
