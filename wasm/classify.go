package main

import (
	"context"
	"fmt"
	"image"
	"strings"
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
	cs, err := classifyImages(ctx, m, []image.Image{img}, opt)
	if err != nil {
		return classification{}, err
	}
	return cs[0], nil
}

// maxBatch bounds the images of one classifyBatch call (each may be up to
// maxPixels, and the batch's input tensor grows with their number).
const maxBatch = 256

// classifyImages classifies imgs as one batch (lowformer.Model.ClassifyBatch)
// and returns each image's classes, all with the batch's step times. Errors
// name the options as JavaScript spells them.
func classifyImages(ctx context.Context, m *lowformer.Model, imgs []image.Image, opt lowformer.ClassifyOptions) ([]classification, error) {
	if len(imgs) < 1 || len(imgs) > maxBatch {
		return nil, fmt.Errorf("lowformer: classify takes 1 to %d images at once, got %d", maxBatch, len(imgs))
	}
	var t lowformer.Timings
	opt.Timings = &t
	preds, err := m.ClassifyBatch(ctx, imgs, opt)
	if err != nil {
		return nil, jsNames(err)
	}
	out := make([]classification, len(preds))
	for i, p := range preds {
		out[i] = classification{Predictions: p, Timings: t}
	}
	return out, nil
}

// optionNames turns the Go names of lowformer.ClassifyOptions fields in
// error messages into the JavaScript option names.
var optionNames = strings.NewReplacer(
	"ClassifyOptions.TopK", "topK", "ClassifyOptions.Side", "size",
	"ClassifyOptions.ScoreThreshold", "scoreThreshold",
	"ClassifyOptions.CategoryAllowlist and CategoryDenylist", "categoryAllowlist and categoryDenylist",
	"ClassifyOptions.CategoryAllowlist", "categoryAllowlist", "ClassifyOptions.CategoryDenylist", "categoryDenylist",
	"ClassifyOptions.RegionOfInterest", "regionOfInterest", "Left < Right and Top < Bottom", "left < right and top < bottom",
	"Left:", "left:", "Top:", "top:", "Right:", "right:", "Bottom:", "bottom:", "Info().Labels", "info.labels")

// jsNames rewrites err's message with optionNames, keeping what it wraps
// (errors.Is still finds lowformer.ErrBadInput).
func jsNames(err error) error {
	msg := optionNames.Replace(err.Error())
	if msg == err.Error() {
		return err
	}
	return renamed{msg, err}
}

// renamed is an error with a rewritten message.
type renamed struct {
	msg string
	err error
}

func (r renamed) Error() string { return r.msg }
func (r renamed) Unwrap() error { return r.err }

// ms converts a duration to the milliseconds JavaScript reports times in;
// every time the API returns goes through it.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
