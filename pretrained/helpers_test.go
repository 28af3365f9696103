package pretrained

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"maps"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
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

// int8Model is the embedded model as lowformer convert -dtype int8 writes
// it (model.QuantizeInt8 with model.MinQuantElements, the scheme in the
// metadata), made once per test binary.
var int8Model = sync.OnceValues(func() ([]byte, error) {
	sd, err := checkpoint.ReadBytes(FashionMNIST())
	if err != nil {
		return nil, err
	}
	cfg, err := model.ResolveConfig("", sd)
	if err != nil {
		return nil, err
	}
	q, err := model.QuantizeInt8(cfg, sd, model.MinQuantElements)
	if err != nil {
		return nil, err
	}
	meta := maps.Clone(sd.Meta)
	meta[checkpoint.MetaQuantization] = checkpoint.QuantInt8
	var buf bytes.Buffer
	if err := checkpoint.WriteSafetensors(&buf, q, checkpoint.F32, meta); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
})

// openInt8Model opens int8Model on be, as openModel does.
func openInt8Model(t testing.TB, be lowformer.Backend) *lowformer.Model {
	t.Helper()
	if be == lowformer.GPU {
		gputest.Require(t)
	}
	b, err := int8Model()
	if err != nil {
		t.Fatalf("quantizing the embedded model: %v", err)
	}
	m, err := lowformer.OpenBytes(context.Background(), b, lowformer.Options{Backend: be})
	if err != nil {
		t.Fatalf("opening the int8 Fashion-MNIST model on %s: %v", be, err)
	}
	t.Cleanup(func() { m.Close() })
	if in := m.Info(); in.Backend != be || in.DType != "I8" {
		t.Fatalf("int8 model runs on %s with dtype %s, want %s and I8", in.Backend, in.DType, be)
	}
	return m
}

// checkInt8 applies the rule of the int8 tests: the int8 model's accuracy
// is within 0.5 percentage points of the float32 model's (f32), and it
// logs how many top-1 predictions differ.
func checkInt8(t testing.TB, what string, got, f32, truth []int) {
	t.Helper()
	d, acc, accF32 := agreement(got, f32, truth)
	t.Logf("%s: int8 accuracy %.2f %%, f32 %.2f %% (%+.2f pp); %d of %d top-1 predictions differ",
		what, 100*acc, 100*accF32, 100*(acc-accF32), d, len(got))
	if math.Abs(acc-accF32) > 0.005 {
		t.Errorf("%s: int8 accuracy %.2f %% differs from f32's %.2f %% by more than 0.5 pp", what, 100*acc, 100*accF32)
	}
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
