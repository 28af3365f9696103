package lowformer

import (
	"context"
	"fmt"
	"image"
	"maps"
	"math"
	"slices"
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
	// ScoreThreshold drops the classes whose probability is below it (the
	// result may then hold fewer than TopK classes, or none): 0 keeps every
	// class; it must be in 0..1 (else ErrBadInput).
	ScoreThreshold float32
	// CategoryAllowlist, when not empty, keeps only the classes whose label
	// (Info().Labels, the whole name) is in it; CategoryDenylist drops the
	// classes whose label is in it. They are mutually exclusive, and a name
	// that is no label of the model is an ErrBadInput error. Probabilities
	// stay those of the softmax over every class.
	CategoryAllowlist []string
	CategoryDenylist  []string
	// RegionOfInterest, when not nil, is the part of each image to classify:
	// the images are cropped to it before the preprocessing.
	RegionOfInterest *Rect
	// Timings, when not nil, receives how long each step of the call took.
	// Each call writes its own: give concurrent calls different Timings.
	Timings *Timings
}

// Rect is a rectangle in coordinates normalized to the image's width and
// height ((0,0) its top left corner, (1,1) its bottom right), as
// MediaPipe's regionOfInterest: 0 ≤ Left < Right ≤ 1 and
// 0 ≤ Top < Bottom ≤ 1.
type Rect struct {
	Left, Top, Right, Bottom float64
}

// Validate reports whether r is a usable region: an ErrBadInput error
// saying what is wrong, or nil.
func (r Rect) Validate() error {
	for _, v := range []float64{r.Left, r.Top, r.Right, r.Bottom} {
		if !(v >= 0 && v <= 1) {
			return badInput("ClassifyOptions.RegionOfInterest %+v: coordinates must be in 0..1 (normalized to the image size)", r)
		}
	}
	if r.Left >= r.Right || r.Top >= r.Bottom {
		return badInput("ClassifyOptions.RegionOfInterest %+v: need Left < Right and Top < Bottom", r)
	}
	return nil
}

// pixels returns r within bounds b, rounded to whole pixels and at least
// one pixel wide and high.
func (r Rect) pixels(b image.Rectangle) image.Rectangle {
	at := func(lo, hi int, f float64) int { return lo + int(math.Round(f*float64(hi-lo))) }
	x0, x1 := at(b.Min.X, b.Max.X, r.Left), at(b.Min.X, b.Max.X, r.Right)
	y0, y1 := at(b.Min.Y, b.Max.Y, r.Top), at(b.Min.Y, b.Max.Y, r.Bottom)
	if x1 <= x0 {
		x0, x1 = min(x0, b.Max.X-1), min(x0, b.Max.X-1)+1
	}
	if y1 <= y0 {
		y0, y1 = min(y0, b.Max.Y-1), min(y0, b.Max.Y-1)+1
	}
	return image.Rect(x0, y0, x1, y1)
}

// crop returns the region r of img (img itself when r is nil).
func crop(img image.Image, r *Rect) image.Image {
	if r == nil {
		return img
	}
	px := r.pixels(img.Bounds())
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(px)
	}
	return croppedImage{img, px}
}

// croppedImage is the part r of an image without a SubImage method.
type croppedImage struct {
	image.Image
	r image.Rectangle
}

func (c croppedImage) Bounds() image.Rectangle { return c.r }

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

// ClassifyBatch classifies several images in one forward pass (one batch),
// each as Classify does with the same options, and returns each image's
// classes in the order of imgs.
func (m *Model) ClassifyBatch(ctx context.Context, imgs []image.Image, opt ClassifyOptions) ([][]Prediction, error) {
	r, err := m.resolve(opt)
	if err != nil {
		return nil, err
	}
	if len(imgs) == 0 {
		return nil, nil
	}
	t0 := time.Now()
	batch, err := preprocessBatch(imgs, r.side, opt.RegionOfInterest)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	logits, err := m.Logits(ctx, batch, len(imgs), r.side, r.side)
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	out := make([][]Prediction, len(imgs))
	for i := range imgs {
		out[i] = r.pick(TopK(logits[i*m.info.Classes:(i+1)*m.info.Classes], m.info.Labels, 0))
	}
	if opt.Timings != nil {
		*opt.Timings = Timings{Preprocess: t1.Sub(t0), Inference: t2.Sub(t1), Postprocess: time.Since(t2)}
	}
	return out, nil
}

// resolved is a checked ClassifyOptions with its defaults filled in.
type resolved struct {
	side, topK int
	threshold  float32
	keep       []bool // by class index; nil keeps every class
}

// pick returns the first topK of preds (every class, most probable
// first) that the allow- or denylist keeps and that reach the threshold.
func (r resolved) pick(preds []Prediction) []Prediction {
	out := preds[:0]
	for _, p := range preds {
		if len(out) == r.topK || p.Prob < r.threshold {
			break // sorted: every later class is below the threshold too
		}
		if r.keep == nil || r.keep[p.Index] {
			out = append(out, p)
		}
	}
	return slices.Clip(out)
}

// resolve checks opt and fills in its defaults: the input side, the number
// of classes to return and which classes may be returned.
func (m *Model) resolve(opt ClassifyOptions) (resolved, error) {
	r := resolved{topK: opt.TopK, threshold: opt.ScoreThreshold}
	var err error
	if r.side, err = m.resolveSide(opt.Side, "ClassifyOptions.Side"); err != nil {
		return r, err
	}
	switch {
	case r.topK < 0:
		return r, badInput("ClassifyOptions.TopK %d is negative (0: the %d most probable classes)", r.topK, DefaultTopK)
	case !(r.threshold >= 0 && r.threshold <= 1):
		return r, badInput("ClassifyOptions.ScoreThreshold %v outside 0..1 (a probability; 0 keeps every class)", r.threshold)
	case len(opt.CategoryAllowlist) > 0 && len(opt.CategoryDenylist) > 0:
		return r, badInput("ClassifyOptions.CategoryAllowlist and CategoryDenylist are mutually exclusive; set one")
	}
	if opt.RegionOfInterest != nil {
		if err := opt.RegionOfInterest.Validate(); err != nil {
			return r, err
		}
	}
	if r.topK == 0 {
		r.topK = DefaultTopK
	}
	r.topK = min(r.topK, m.info.Classes)
	if len(opt.CategoryAllowlist) > 0 {
		r.keep, err = m.classSet("CategoryAllowlist", opt.CategoryAllowlist, true)
	} else if len(opt.CategoryDenylist) > 0 {
		r.keep, err = m.classSet("CategoryDenylist", opt.CategoryDenylist, false)
	}
	return r, err
}

// classSet returns, by class index, whether a class is kept by the list of
// label names (allow: only those; deny: all but those). A name that is no
// label of the model is an error.
func (m *Model) classSet(what string, names []string, allow bool) ([]bool, error) {
	listed := make(map[string]bool, len(names))
	for _, n := range names {
		listed[n] = true
	}
	keep := make([]bool, m.info.Classes)
	found := make(map[string]bool, len(names))
	for i := range keep {
		l := m.label(i)
		keep[i] = listed[l] == allow
		found[l] = true
	}
	for n := range found {
		delete(listed, n)
	}
	if len(listed) > 0 {
		unknown := slices.Sorted(maps.Keys(listed))
		return nil, badInput("ClassifyOptions.%s: %q is not a class label of this model (Info().Labels holds its %d names)", what, unknown[0], m.info.Classes)
	}
	return keep, nil
}

// label is the name of class i, as TopK names it.
func (m *Model) label(i int) string {
	if i < len(m.info.Labels) {
		return m.info.Labels[i]
	}
	return fmt.Sprintf("class %d", i)
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
