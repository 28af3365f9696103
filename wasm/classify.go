package main

import (
	"context"
	"fmt"
	"image"
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

// classifyImage classifies img with the model (lowformer.ClassifyBatchTimed:
// the evaluation preprocessing, the model, lowformer.TopK) and returns the
// k most likely classes with the time each step took.
func classifyImage(ctx context.Context, m *lowformer.Model, img image.Image, size, k int) (classification, error) {
	preds, tm, err := m.ClassifyBatchTimed(ctx, []image.Image{img}, k, size)
	if err != nil {
		return classification{}, err
	}
	return classification{Predictions: preds[0], Timings: map[string]float64{
		"preprocess": tm.Preprocess, "inference": tm.Inference, "postprocess": tm.Postprocess,
	}}, nil
}

// ms converts a duration to milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
