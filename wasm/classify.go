package main

import (
	"context"
	"fmt"
	"image"
	"time"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// maxPixels bounds width*height of the pixels handed to classify.
const maxPixels = preprocess.DefaultMaxPixels

// classification is the result of classify: the topK classes, most likely
// first, and how long each Go-side step took.
type classification struct {
	Predictions []lowformer.Prediction
	Timings     lowformer.Timings
	Decode      *time.Duration // decoding the file (classifyEncoded only)
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

// classifyImage classifies img with the model (lowformer.Model.Classify:
// the evaluation preprocessing, the model, lowformer.TopK) and returns its
// most likely classes with the time each step took.
func classifyImage(ctx context.Context, m *lowformer.Model, img image.Image, opt lowformer.ClassifyOptions) (classification, error) {
	c := classification{}
	opt.Timings = &c.Timings
	preds, err := m.Classify(ctx, img, opt)
	if err != nil {
		return classification{}, err
	}
	c.Predictions = preds
	return c, nil
}

// ms converts a duration to the milliseconds JavaScript reports times in;
// every time the API returns goes through it.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
