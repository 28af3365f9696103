package lowformer

import (
	"context"
	"image"
	"math"
	"slices"
	"time"

	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// Embeddings and features. LowFormer is a backbone: besides the logits a
// model gives
//
//   - an embedding per image: the vector the classifier's last linear layer
//     reads (the head's 1×1 conv, global average pool, hidden linear layer,
//     LayerNorm and hardswish; PyTorch's "head.fc1" activation, timm's
//     pre-logits). Its length is Info().EmbeddingSize, the head's hidden
//     width: 1600 for B0, B1, B3, E2 and E3, 2560 for B1.5 and E1.
//   - the outputs of the backbone stages (Features), for detection and
//     segmentation heads: stage 0 is the input stem at stride 2, stages
//     1..4 are at strides 4, 8, 16 and 32, with Info().Config.Widths[s]
//     channels (B0: 16, 32, 64, 128, 256).
//
// Both run only the layers they need (the head's classifier layer, and for
// early stages the later stages, are skipped), so they cost no more than
// Logits on the same input.

// FeatureStages is the number of backbone stages Features can return
// (0..FeatureStages-1).
const FeatureStages = model.Stages

// EmbedOptions configure Embed and EmbedBatch. The zero value gives the raw
// (unnormalized) embedding of images preprocessed as Classify does.
type EmbedOptions struct {
	// Side is the side of the square input the images are resized and
	// cropped to, as ClassifyOptions.Side: 0 means Info().NativeSide.
	Side int
	// Normalize L2-normalizes each embedding (unit length), so that dot
	// products are cosine similarities.
	Normalize bool
	// Timings, when not nil, receives how long each step took (Inference
	// is the forward pass; Postprocess the normalization).
	Timings *Timings
}

// Embed returns the embedding of img, preprocessed as Classify does:
// Info().EmbeddingSize values.
func (m *Model) Embed(ctx context.Context, img image.Image, opt EmbedOptions) ([]float32, error) {
	res, err := m.EmbedBatch(ctx, []image.Image{img}, opt)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// EmbedBatch returns the embeddings of several images computed in one
// forward pass, in the order of imgs.
func (m *Model) EmbedBatch(ctx context.Context, imgs []image.Image, opt EmbedOptions) ([][]float32, error) {
	side, err := m.resolveSide(opt.Side, "EmbedOptions.Side")
	if err != nil {
		return nil, err
	}
	if len(imgs) == 0 {
		return nil, nil
	}
	t0 := time.Now()
	batch, err := preprocessBatch(imgs, side, nil)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	flat, err := m.Embeddings(ctx, batch, len(imgs), side, side)
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	d := m.info.EmbeddingSize
	out := make([][]float32, len(imgs))
	for i := range out {
		out[i] = flat[i*d : (i+1)*d : (i+1)*d]
		if opt.Normalize {
			L2Normalize(out[i])
		}
	}
	if opt.Timings != nil {
		*opt.Timings = Timings{Preprocess: t1.Sub(t0), Inference: t2.Sub(t1), Postprocess: time.Since(t2)}
	}
	return out, nil
}

// Embeddings runs a batch of n preprocessed images (NCHW float32, as
// Logits takes) and returns their raw embeddings, n×Info().EmbeddingSize
// values ([N, D]).
func (m *Model) Embeddings(ctx context.Context, input []float32, n, h, w int) ([]float32, error) {
	emb, err := m.graph.Embedding()
	if err != nil {
		return nil, err
	}
	res, err := m.outputs(ctx, input, n, h, w, []model.Value{emb})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// Feature is the output of one backbone stage for a batch.
type Feature struct {
	Stage int // 0..FeatureStages-1
	// Shape is [N, C, H, W]: the batch, Info().Config.Widths[Stage]
	// channels, and the input's height and width divided by the stage's
	// stride 2^(Stage+1) (rounded up at every stride-2 layer).
	Shape [4]int
	Data  []float32 // NCHW
}

// FeatureOptions configure FeaturesOf.
type FeatureOptions struct {
	// Side is as ClassifyOptions.Side: 0 means Info().NativeSide.
	Side int
	// Stages lists the stages to return, in that order; empty means
	// DefaultFeatureStages.
	Stages []int
}

// DefaultFeatureStages are the stages Features returns when none are
// asked for: strides 4, 8, 16 and 32, the usual inputs of a feature
// pyramid.
var DefaultFeatureStages = []int{1, 2, 3, 4}

// FeaturesOf returns the outputs of the backbone stages opt.Stages for img,
// preprocessed as Classify does.
func (m *Model) FeaturesOf(ctx context.Context, img image.Image, opt FeatureOptions) ([]Feature, error) {
	side, err := m.resolveSide(opt.Side, "FeatureOptions.Side")
	if err != nil {
		return nil, err
	}
	if err := checkStages(opt.Stages); err != nil {
		return nil, err
	}
	batch, err := preprocessBatch([]image.Image{img}, side, nil)
	if err != nil {
		return nil, err
	}
	return m.Features(ctx, batch, 1, side, side, opt.Stages)
}

// Features runs a batch of n preprocessed images (NCHW float32, as Logits
// takes) and returns the outputs of the backbone stages, in the order
// asked (nil or empty: DefaultFeatureStages), each NCHW.
func (m *Model) Features(ctx context.Context, input []float32, n, h, w int, stages []int) ([]Feature, error) {
	if len(stages) == 0 {
		stages = DefaultFeatureStages
	}
	if err := checkStages(stages); err != nil {
		return nil, err
	}
	outs := make([]model.Value, len(stages))
	for i, s := range stages {
		v, err := m.graph.Stage(s)
		if err != nil {
			return nil, err
		}
		outs[i] = v
	}
	res, err := m.outputs(ctx, input, n, h, w, outs)
	if err != nil {
		return nil, err
	}
	shapes, err := m.graph.Shapes(n, h, w)
	if err != nil {
		return nil, err
	}
	feats := make([]Feature, len(stages))
	for i, s := range stages {
		sh := shapes[outs[i]]
		feats[i] = Feature{Stage: s, Shape: [4]int{sh.N, sh.C, sh.H, sh.W}, Data: model.NCHW(res[i], sh)}
	}
	return feats, nil
}

// checkStages refuses unknown or repeated stages.
func checkStages(stages []int) error {
	for i, s := range stages {
		if s < 0 || s >= FeatureStages {
			return badInput("stage %d does not exist (stages are 0..%d)", s, FeatureStages-1)
		}
		if slices.Contains(stages[:i], s) {
			return badInput("stage %d is asked for twice", s)
		}
	}
	return nil
}

// outputs validates a Logits-style batch and runs it for the values outs.
func (m *Model) outputs(ctx context.Context, input []float32, n, h, w int, outs []model.Value) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkInput(input, n, h, w); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	if m.gpu != nil {
		return m.gpu.Outputs(input, n, h, w, outs)
	}
	return m.cpu.Outputs(input, n, h, w, outs)
}

// resolveSide checks an options' Side (named what in errors) and fills in
// the default.
func (m *Model) resolveSide(side int, what string) (int, error) {
	if side != 0 && (side < MinSide || side > MaxClassifySide) {
		return 0, badInput("%s %d outside %d..%d (the input size images are resized to; 0: the model's native %d)",
			what, side, MinSide, MaxClassifySide, m.info.NativeSide)
	}
	if side == 0 {
		side = m.info.NativeSide
	}
	return side, nil
}

// preprocessBatch checks imgs, crops each to roi (when not nil) and
// preprocesses them into one NCHW batch.
func preprocessBatch(imgs []image.Image, side int, roi *Rect) ([]float32, error) {
	for i, img := range imgs {
		if err := checkImage(i, img); err != nil {
			return nil, err
		}
	}
	batch := preprocess.Tensor(crop(imgs[0], roi), side) // one image (the usual case): no copy
	if len(imgs) > 1 {
		batch = slices.Grow(batch, (len(imgs)-1)*len(batch))
		for _, img := range imgs[1:] {
			batch = append(batch, preprocess.Tensor(crop(img, roi), side)...)
		}
	}
	return batch, nil
}

// L2Normalize scales v in place to unit Euclidean length (summing in
// float64); a zero vector is left as it is.
func L2Normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return
	}
	inv := 1 / math.Sqrt(ss)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
}

// CosineSimilarity returns a·b / (|a|·|b|) (computed in float64), in
// -1..1. The vectors must have the same, non-zero length and neither may
// be all zeros.
func CosineSimilarity(a, b []float32) (float64, error) {
	if len(a) != len(b) || len(a) == 0 {
		return 0, badInput("cosine similarity of vectors of lengths %d and %d: need two of the same, non-zero length", len(a), len(b))
	}
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 || math.IsNaN(dot) || math.IsInf(na+nb, 0) {
		return 0, badInput("cosine similarity: a vector is all zeros or not finite")
	}
	return max(-1, min(1, dot/math.Sqrt(na*nb))), nil
}

// embeddingSize is the embedding length of cfg.
func embeddingSize(cfg model.Config) int { return cfg.Head[1] }
