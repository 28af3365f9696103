package lowformer

import (
	"context"
	"fmt"
	"image"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// DefaultSize is the input resolution of the released models' evaluation.
const DefaultSize = 224

// Prediction is one class of a classification result.
type Prediction struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Prob  float32 `json:"probability"`
}

// Classify preprocesses img exactly as the official evaluation does
// (shorter side resized to ⌈r/0.95⌉ with Pillow's antialiased bicubic,
// center crop r, ImageNet normalization, with r = Info().InputSize) and
// returns the topK classes, most probable first.
func (m *Model) Classify(ctx context.Context, img image.Image, topK int) ([]Prediction, error) {
	res, err := m.ClassifyBatch(ctx, []image.Image{img}, topK, 0)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// ClassifyBatch classifies several images in one batch at resolution size
// (0 means Info().InputSize) and returns each image's topK classes.
func (m *Model) ClassifyBatch(ctx context.Context, imgs []image.Image, topK, size int) ([][]Prediction, error) {
	preds, _, err := m.ClassifyBatchTimed(ctx, imgs, topK, size)
	return preds, err
}

// Timings is how long the steps of a classification took, in milliseconds.
type Timings struct {
	Preprocess  float64 // resize, crop, normalize
	Inference   float64 // Logits
	Postprocess float64 // softmax and top-k
}

// ClassifyBatchTimed is ClassifyBatch that also reports how long each step
// took.
func (m *Model) ClassifyBatchTimed(ctx context.Context, imgs []image.Image, topK, size int) ([][]Prediction, Timings, error) {
	var tm Timings
	if len(imgs) == 0 {
		return nil, tm, nil
	}
	size, err := m.InputSide(size)
	if err != nil {
		return nil, tm, err
	}
	for i, img := range imgs {
		if err := checkImage(i, img); err != nil {
			return nil, tm, err
		}
	}
	t0 := time.Now()
	batch := preprocess.Tensor(imgs[0], size) // one image (the usual case): no copy
	if len(imgs) > 1 {
		batch = slices.Grow(batch, (len(imgs)-1)*len(batch))
		for _, img := range imgs[1:] {
			batch = append(batch, preprocess.Tensor(img, size)...)
		}
	}
	t1 := time.Now()
	logits, err := m.Logits(ctx, batch, len(imgs), size, size)
	if err != nil {
		return nil, tm, err
	}
	t2 := time.Now()
	out := make([][]Prediction, len(imgs))
	for i := range imgs {
		out[i] = TopK(logits[i*m.info.Classes:(i+1)*m.info.Classes], m.info.Labels, topK)
	}
	tm = Timings{Preprocess: msBetween(t0, t1), Inference: msBetween(t1, t2), Postprocess: msBetween(t2, time.Now())}
	return out, tm, nil
}

// MaxInputSize is the largest side ClassifyBatch resizes images to.
const MaxInputSize = 2048

// InputSide resolves the side of the square input a classification uses:
// 0 means Info().InputSize; any other size must be in 32..MaxInputSize.
func (m *Model) InputSide(size int) (int, error) {
	if size == 0 {
		return m.info.InputSize, nil
	}
	if size < model.MinInputSize || size > MaxInputSize {
		return 0, badInput("input size %d outside %d..%d", size, model.MinInputSize, MaxInputSize)
	}
	return size, nil
}

func msBetween(a, b time.Time) float64 { return float64(b.Sub(a).Microseconds()) / 1000 }

// MaxPixels is the largest image (width·height) ClassifyBatch accepts, the
// limit preprocess applies to decoded files: preprocessing may convert a
// whole image to RGBA, so an image.Image claiming huge bounds (such as
// image.Uniform, which is "infinite") must be refused before it starts.
const MaxPixels = preprocess.DefaultMaxPixels

// checkImage refuses a nil, empty or oversized image.
func checkImage(i int, img image.Image) error {
	if img == nil {
		return badInput("image %d is nil", i)
	}
	b := img.Bounds()
	if b.Empty() {
		return badInput("image %d is empty (%dx%d pixels)", i, max(b.Dx(), 0), max(b.Dy(), 0))
	}
	if w, h := int64(b.Dx()), int64(b.Dy()); w*h > MaxPixels || w <= 0 || h <= 0 {
		return badInput("image %d is %dx%d pixels, more than the %d-pixel limit", i, w, h, MaxPixels)
	}
	return nil
}

// TopK turns one image's logits into its k most probable classes (softmax
// probabilities, computed in float64). k ≤ 0 or beyond the class count
// returns every class.
func TopK(logits []float32, labels []string, k int) []Prediction {
	maxv := math.Inf(-1)
	for _, v := range logits {
		maxv = math.Max(maxv, float64(v))
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v) - maxv)
	}
	preds := make([]Prediction, len(logits))
	for i, v := range logits {
		label := fmt.Sprintf("class %d", i)
		if i < len(labels) {
			label = labels[i]
		}
		preds[i] = Prediction{Index: i, Label: label, Prob: float32(math.Exp(float64(v)-maxv) / sum)}
	}
	sort.SliceStable(preds, func(a, b int) bool { return preds[a].Prob > preds[b].Prob })
	if k > 0 && k < len(preds) {
		preds = preds[:k]
	}
	return preds
}
