package pretrained

import (
	"image"
	"math"
	"slices"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

func TestSamples(t *testing.T) {
	imgs, labels := Samples()
	if len(imgs) != 300 || len(labels) != 300 {
		t.Fatalf("got %d images and %d labels, want 300", len(imgs), len(labels))
	}
	seen := map[int]bool{}
	for i, img := range imgs {
		if b := img.Bounds(); b != image.Rect(0, 0, SampleSide, SampleSide) {
			t.Fatalf("image %d has bounds %v", i, b)
		}
		if labels[i] < 0 || labels[i] >= len(classNames) {
			t.Fatalf("label %d of image %d is not a class index", labels[i], i)
		}
		seen[labels[i]] = true
	}
	if len(seen) != len(classNames) {
		t.Errorf("the samples cover %d classes, want all %d", len(seen), len(classNames))
	}
	// Test image 0 of Fashion-MNIST is an ankle boot (label 9), image 1 a pullover.
	if labels[0] != 9 || labels[1] != 2 {
		t.Errorf("labels of images 0, 1 are %d, %d; want 9 (Ankle boot), 2 (Pullover)", labels[0], labels[1])
	}
}

func TestDecodeSamplesErrors(t *testing.T) {
	px := SampleSide * SampleSide
	for _, tc := range []struct {
		name       string
		raw, label int
	}{
		{"partial image", px + 1, 1},
		{"more labels than images", 2 * px, 3},
		{"fewer labels than images", 2 * px, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := decodeSamples(make([]byte, tc.raw), make([]byte, tc.label)); err == nil {
				t.Fatalf("%d bytes with %d labels decoded without an error", tc.raw, tc.label)
			}
		})
	}
}

// TestPreprocessMatchesPIL checks that the Go preprocessing of a 28×28
// gray image gives the tensors the model was trained on (Pillow bicubic,
// center crop, ImageNet normalization, written by the training script).
func TestPreprocessMatchesPIL(t *testing.T) {
	imgs, _ := Samples()
	want := readF32(t, preprocessedFile)
	per := 3 * FashionMNISTSize * FashionMNISTSize
	if len(want)%per != 0 || len(want) == 0 {
		t.Fatalf("%s holds %d values, not a multiple of 3×%d×%d", preprocessedFile, len(want), FashionMNISTSize, FashionMNISTSize)
	}
	for i := 0; i < len(want)/per; i++ {
		got := preprocess.Tensor(imgs[i], FashionMNISTSize)
		d := ref.MaxAbsDiff(got, want[i*per:(i+1)*per])
		t.Logf("image %d: max |Go − PIL| = %.3g", i, d)
		if d > 1e-6 {
			t.Errorf("image %d: Go preprocessing differs from PIL's by %.3g", i, d)
		}
	}
}

func TestMetadata(t *testing.T) {
	m := openModel(t, lowformer.CPU)
	info := m.Info()
	if !slices.Equal(info.Labels, classNames) {
		t.Errorf("labels %q, want %q", info.Labels, classNames)
	}
	if info.Variant != "custom" || info.Classes != 10 || !info.Config.Attention || !info.Config.MLP {
		t.Errorf("model is %s, want a custom 10-class LowFormer with attention+MLP blocks", info.Config)
	}
	if info.Format != "safetensors" {
		t.Errorf("format %q, want safetensors", info.Format)
	}
	t.Logf("%s, %d parameters", info.Config, info.Params)
}

// batch is the batch size of every run: one input shape, so the GPU plan
// is built once.
const batch = 100

// TestSubsetAgreement runs the committed 300 test images through the public
// API on each backend and compares with PyTorch: top-1 per image, the
// accuracy, and the logits of every image.
func TestSubsetAgreement(t *testing.T) {
	imgs, truth := Samples()
	torchPreds := readTorchPreds(t, len(imgs))
	torchLogits := readF32(t, torchLogitsFile)
	classes := len(classNames)
	if len(torchLogits) != len(imgs)*classes {
		t.Fatalf("%s holds %d logits, want %d", torchLogitsFile, len(torchLogits), len(imgs)*classes)
	}
	for _, be := range backends {
		t.Run(be.String(), func(t *testing.T) {
			m := openModel(t, be)
			checkAgreement(t, "300 samples on "+be.String(), classify(t, m, imgs, batch), torchPreds, truth)

			got := logits(t, m, imgs, batch)
			// A float32 engine matches the PyTorch logits to a few 1e-6 here;
			// tanh instead of erf GELU alone would move them by about 1e-3.
			worst := 0.0
			for i, w := range torchLogits {
				d := math.Abs(float64(got[i] - w))
				if d > 1e-4 {
					t.Fatalf("image %d class %d: logit %.6g, PyTorch %.6g", i/classes, i%classes, got[i], w)
				}
				worst = max(worst, d)
			}
			t.Logf("logits of %d images: max |Go − PyTorch| = %.3g", len(imgs), worst)
		})
	}
}

// TestSubsetInt8 runs the 300 samples through the int8 model (the embedded
// model as lowformer convert -dtype int8 writes it) on each backend:
// accuracy within 0.5 pp of the float32 model's (at most one image on 300),
// and its file at most 0.3× the float32 one.
func TestSubsetInt8(t *testing.T) {
	b, err := int8Model()
	if err != nil {
		t.Fatal(err)
	}
	ratio := float64(len(b)) / float64(len(FashionMNIST()))
	t.Logf("int8 file %d bytes, f32 %d: ratio %.3f", len(b), len(FashionMNIST()), ratio)
	if ratio > 0.3 {
		t.Errorf("int8 file is %.3f× the f32 one, want ≤ 0.3", ratio)
	}
	imgs, truth := Samples()
	for _, be := range backends {
		t.Run(be.String(), func(t *testing.T) {
			f32 := classify(t, openModel(t, be), imgs, batch)
			checkInt8(t, "300 samples on "+be.String(), classify(t, openInt8Model(t, be), imgs, batch), f32, truth)
		})
	}
}
