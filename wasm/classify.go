package main

import (
	"context"
	"fmt"
	"image"
	"math"
	"time"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// DefaultTopK is the number of predictions classify returns by default.
const DefaultTopK = 5

// maxPixels bounds width*height of the pixels handed to classify.
const maxPixels = preprocess.DefaultMaxPixels

// classification is the result of classify: the topK classes, most likely
// first, and how long each Go-side step took in milliseconds.
type classification struct {
	Predictions []lowformer.Prediction
	Timings     map[string]float64
}

// checkShape validates an NCHW shape [n,3,h,w] against the number of values
// given and returns n, h and w.
func checkShape(shape []int, values int) (n, h, w int, err error) {
	if len(shape) != 4 {
		return 0, 0, 0, fmt.Errorf("lowformer: shape must be [n,3,h,w] (4 numbers), got %v", shape)
	}
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	if c != 3 {
		return 0, 0, 0, fmt.Errorf("lowformer: shape %v: the model takes 3 (RGB) channels, not %d", shape, c)
	}
	if n < 1 || h < 1 || w < 1 {
		return 0, 0, 0, fmt.Errorf("lowformer: shape %v: every dimension must be ≥ 1", shape)
	}
	if int64(n)*3*int64(h)*int64(w) != int64(values) {
		return 0, 0, 0, fmt.Errorf("lowformer: shape %v needs %d values, the input has %d", shape, int64(n)*3*int64(h)*int64(w), values)
	}
	return n, h, w, nil
}

// checkFinite rejects NaN and infinite inputs, which would silently turn
// every logit into NaN.
func checkFinite(x []float32) error {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("lowformer: input value %d is %v; inputs must be finite numbers", i, v)
		}
	}
	return nil
}

// pixelsImage wraps width×height RGBA pixels (row-major, 4 bytes a pixel,
// not premultiplied: what a canvas's getImageData gives) as an image. The
// alpha channel is dropped by the preprocessing, as PIL's convert("RGB")
// does.
func pixelsImage(pix []byte, width, height int) (*image.NRGBA, error) {
	if width < 1 || height < 1 {
		return nil, fmt.Errorf("lowformer: the image is %d×%d pixels; it must be at least 1×1", width, height)
	}
	if int64(width)*int64(height) > maxPixels {
		return nil, fmt.Errorf("lowformer: the image is %d×%d pixels, more than the %d allowed", width, height, maxPixels)
	}
	if want := 4 * width * height; len(pix) != want {
		return nil, fmt.Errorf("lowformer: %d×%d RGBA pixels need %d bytes, got %d", width, height, want, len(pix))
	}
	return &image.NRGBA{Pix: pix, Stride: 4 * width, Rect: image.Rect(0, 0, width, height)}, nil
}

// checkTopK resolves the topK option: 0 means DefaultTopK, and it is capped
// at the number of classes.
func checkTopK(k, classes int) (int, error) {
	switch {
	case k == 0:
		k = DefaultTopK
	case k < 0:
		return 0, fmt.Errorf("lowformer: topK must be a positive integer, got %d", k)
	}
	return min(k, classes), nil
}

// checkSize resolves the size option (the side of the square model input):
// 0 means lowformer.DefaultSize.
func checkSize(size int) (int, error) {
	switch {
	case size == 0:
		return lowformer.DefaultSize, nil
	case size < 32 || size > 2048:
		return 0, fmt.Errorf("lowformer: size must be between 32 and 2048 pixels, got %d", size)
	}
	return size, nil
}

// classifyImage runs the evaluation preprocessing (resize, center crop,
// normalize: the same code as the native path) on img, the model, and
// lowformer.TopK, and returns the k most likely classes with the time each
// step took.
func classifyImage(ctx context.Context, m *lowformer.Model, img image.Image, size, k int) (classification, error) {
	t0 := time.Now()
	x := preprocess.Tensor(img, size)
	t1 := time.Now()
	logits, err := m.Logits(ctx, x, 1, size, size)
	if err != nil {
		return classification{}, err
	}
	t2 := time.Now()
	preds := lowformer.TopK(logits, m.Info().Labels, k)
	t3 := time.Now()
	return classification{Predictions: preds, Timings: map[string]float64{
		"preprocess":  ms(t1.Sub(t0)),
		"inference":   ms(t2.Sub(t1)),
		"postprocess": ms(t3.Sub(t2)),
	}}, nil
}

// ms converts a duration to milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
