package lowformer

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"
	"time"

	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// Input sides, in pixels. Three sides are easy to confuse:
//
//   - Info.NativeSide is the side of the square images the model was
//     trained and evaluated at (224 for the released ImageNet models; the
//     checkpoint's "input_size" metadata, else DefaultNativeSide).
//   - ClassifyOptions.Side is the side Classify and ClassifyBatch resize
//     and crop images to: 0 means NativeSide, anything else must be in
//     MinSide..MaxClassifySide.
//   - Logits (and Warmup) take already preprocessed tensors whose height
//     and width may each be anything in MinSide..MaxLogitsSide, not only
//     square.
const (
	// MinSide is the smallest input height or width (the network's total
	// stride, model.MinInputSize).
	MinSide = 32
	// MaxClassifySide is the largest ClassifyOptions.Side.
	MaxClassifySide = 2048
	// MaxLogitsSide is the largest height or width of a Logits or Warmup
	// input.
	MaxLogitsSide = 16384
	// DefaultNativeSide is the NativeSide of a checkpoint that does not
	// record one.
	DefaultNativeSide = 224
)

// DefaultTopK is the number of classes a classification returns when
// ClassifyOptions.TopK is 0.
const DefaultTopK = 5

// ClassifyOptions configure Classify and ClassifyBatch. The zero value
// returns the DefaultTopK most probable classes of images resized to the
// model's NativeSide, as the official evaluation does.
type ClassifyOptions struct {
	// TopK is how many classes to return per image, most probable first:
	// 0 means DefaultTopK; a value of Info().Classes or more returns every
	// class. A negative TopK is an ErrBadInput error.
	TopK int
	// Side is the side of the square input the images are resized and
	// cropped to: 0 means Info().NativeSide; otherwise it must be in
	// MinSide..MaxClassifySide (else ErrBadInput).
	Side int
	// Timings, when not nil, receives how long each step of the call took.
	// Each call writes its own: give concurrent calls different Timings.
	Timings *Timings
}

// Timings is how long the steps of a classification took.
type Timings struct {
	Preprocess  time.Duration // resize, crop, normalize
	Inference   time.Duration // Logits
	Postprocess time.Duration // softmax and top-k
}

// Prediction is one class of a classification result.
type Prediction struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Prob  float32 `json:"probability"`
}

// Classify preprocesses img exactly as the official evaluation does
// (shorter side resized to ⌈r/0.95⌉ with Pillow's antialiased bicubic,
// center crop r, ImageNet normalization, with r = opt.Side, by default
// Info().NativeSide) and returns its opt.TopK most probable classes (by
// default DefaultTopK), most probable first.
func (m *Model) Classify(ctx context.Context, img image.Image, opt ClassifyOptions) ([]Prediction, error) {
	res, err := m.ClassifyBatch(ctx, []image.Image{img}, opt)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// ClassifyBatch classifies several images in one forward pass, each as
// Classify does, and returns each image's classes in the order of imgs.
func (m *Model) ClassifyBatch(ctx context.Context, imgs []image.Image, opt ClassifyOptions) ([][]Prediction, error) {
	side, k, err := m.resolve(opt)
	if err != nil {
		return nil, err
	}
	if len(imgs) == 0 {
		return nil, nil
	}
	t0 := time.Now()
	batch, err := preprocessBatch(imgs, side)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	logits, err := m.Logits(ctx, batch, len(imgs), side, side)
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	out := make([][]Prediction, len(imgs))
	for i := range imgs {
		out[i] = TopK(logits[i*m.info.Classes:(i+1)*m.info.Classes], m.info.Labels, k)
	}
	if opt.Timings != nil {
		*opt.Timings = Timings{Preprocess: t1.Sub(t0), Inference: t2.Sub(t1), Postprocess: time.Since(t2)}
	}
	return out, nil
}

// resolve checks opt and fills in its defaults: the input side and the
// number of classes to return.
func (m *Model) resolve(opt ClassifyOptions) (side, topK int, err error) {
	if topK = opt.TopK; topK < 0 {
		return 0, 0, badInput("ClassifyOptions.TopK %d is negative (0: the %d most probable classes)", topK, DefaultTopK)
	}
	if side, err = m.resolveSide(opt.Side, "ClassifyOptions.Side"); err != nil {
		return 0, 0, err
	}
	if topK == 0 {
		topK = DefaultTopK
	}
	return side, min(topK, m.info.Classes), nil
}

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
// returns every class (Classify's ClassifyOptions.TopK differs: 0 there
// means DefaultTopK).
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
