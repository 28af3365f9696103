//go:build js

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"maps"
	"time"

	"github.com/hack-pad/safejs"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// featureExports are the exported functions of embeddings and features.
func (a *api) featureExports() map[string]func([]safejs.Value) (work, error) {
	return map[string]func([]safejs.Value) (work, error){
		"embed": a.embed, "embedEncoded": a.embedEncoded, "embeddings": a.embeddings, "features": a.features,
	}
}

// joinExports merges export tables.
func joinExports(ts ...map[string]func([]safejs.Value) (work, error)) map[string]func([]safejs.Value) (work, error) {
	out := map[string]func([]safejs.Value) (work, error){}
	for _, t := range ts {
		maps.Copy(out, t)
	}
	return out
}

// embed(id, rgba, width, height, {size, normalize, stages}) → {embedding: Float32Array, timings}
// or, with stages (an array), {features: [{stage, shape, data}], timings}.
func (a *api) embed(args []safejs.Value) (work, error) {
	if err := needArgs(args, 4, "embed(id, rgba: Uint8ClampedArray, width, height, {size, normalize, stages}?)"); err != nil {
		return nil, err
	}
	hd, w, h, err := a.modelAndSize(args)
	if err != nil {
		return nil, err
	}
	opt, err := embedOptions(args, 4)
	if err != nil {
		return nil, err
	}
	img, err := pixelsArg(args[1], w, h)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return embedImage(hd, img, opt) }, nil
}

// embedEncoded(id, file Uint8Array, {size, normalize, stages}) → as embed, plus width and height;
// the file is decoded by Go as in classifyEncoded.
func (a *api) embedEncoded(args []safejs.Value) (work, error) {
	if err := needArgs(args, 2, "embedEncoded(id, file: Uint8Array, {size, normalize, stages}?)"); err != nil {
		return nil, err
	}
	hd, b, err := a.modelAndFile(args)
	if err != nil {
		return nil, err
	}
	opt, err := embedOptions(args, 2)
	if err != nil {
		return nil, err
	}
	return decodedThen(b, func(img image.Image) (map[string]any, error) { return embedImage(hd, img, opt) }), nil
}

// decodedThen is the work of an op on an encoded image (classifyEncoded,
// embedEncoded): decode b, run on the image, and add the decoding time
// (timings.decode), width and height to run's result.
func decodedThen(b []byte, run func(image.Image) (map[string]any, error)) work {
	return func() (any, error) {
		t0 := time.Now()
		img, err := decodeFile(b)
		if err != nil {
			return nil, err
		}
		decode := time.Since(t0)
		out, err := run(img)
		if err != nil {
			return nil, err
		}
		out["timings"].(map[string]any)["decode"] = ms(decode)
		out["width"], out["height"] = img.Bounds().Dx(), img.Bounds().Dy()
		return out, nil
	}
}

// decodeFile decodes an image file with the Go decoders of the native
// path; a format Go cannot read is error code "unsupported-format", a GIF,
// WebP, BMP or TIFF file (decoded by lowformer-decoders.wasm, not this
// build: preprocess.ErrFormatNotBuiltIn) is error code
// "format-not-built-in".
func decodeFile(b []byte) (image.Image, error) { return decodeNamed(b, "") }

// decodeNamed is decodeFile with errors naming the image ("image 3"; ""
// for none).
func decodeNamed(b []byte, name string) (image.Image, error) {
	img, err := preprocess.Decode(bytes.NewReader(b), preprocess.Options{})
	if err == nil {
		return img, nil
	}
	if name != "" {
		err = fmt.Errorf("%s: %w", name, err)
	}
	err = fmt.Errorf("lowformer: %w", err)
	switch {
	case errors.Is(err, preprocess.ErrUnsupportedFormat):
		return nil, coded{"unsupported-format", err}
	case errors.Is(err, preprocess.ErrFormatNotBuiltIn):
		return nil, coded{"format-not-built-in", err}
	}
	return nil, err
}

// modelAndFile reads the arguments (id, file) that classifyEncoded and
// embedEncoded share: the model and the encoded image's bytes.
func (a *api) modelAndFile(args []safejs.Value) (*lowformer.Model, []byte, error) {
	hd, err := a.handle(args[0])
	if err != nil {
		return nil, nil, err
	}
	b, err := argBytes(args[1], "image file")
	if err != nil {
		return nil, nil, err
	}
	return hd, b, nil
}

// embeddings(id, input Float32Array, [n,3,h,w]) → Float32Array of n×embeddingSize
func (a *api) embeddings(args []safejs.Value) (work, error) {
	if err := needArgs(args, 3, "embeddings(id, input: Float32Array, shape: [n,3,h,w])"); err != nil {
		return nil, err
	}
	hd, x, n, h, w, err := a.tensorArgs(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		y, err := hd.Embeddings(context.Background(), x, n, h, w)
		if err != nil {
			return nil, err
		}
		return float32sToJS(y)
	}, nil
}

// features(id, input Float32Array, [n,3,h,w], stages [int]?) → [{stage, shape: [n,c,h,w], data: Float32Array}]
func (a *api) features(args []safejs.Value) (work, error) {
	if err := needArgs(args, 3, "features(id, input: Float32Array, shape: [n,3,h,w], stages?: number[])"); err != nil {
		return nil, err
	}
	hd, x, n, h, w, err := a.tensorArgs(args)
	if err != nil {
		return nil, err
	}
	var stages []int
	if len(args) > 3 && !args[3].IsUndefined() && !args[3].IsNull() {
		if stages, err = argInts(args[3], "stages"); err != nil {
			return nil, err
		}
	}
	return func() (any, error) {
		fs, err := hd.Features(context.Background(), x, n, h, w, stages)
		if err != nil {
			return nil, err
		}
		return featuresJS(fs)
	}, nil
}

// tensorArgs reads (id, input, shape) of a raw-tensor call.
func (a *api) tensorArgs(args []safejs.Value) (m *lowformer.Model, x []float32, n, h, w int, err error) {
	if m, err = a.handle(args[0]); err != nil {
		return
	}
	shape, err := argInts(args[2], "shape")
	if err != nil {
		return
	}
	if x, err = argFloat32s(args[1], "input"); err != nil {
		return
	}
	n, h, w, err = checkShape(shape, len(x))
	return
}

// embedOpts are the options of embed and embedEncoded.
type embedOpts struct {
	side      int
	normalize bool
	stages    []int // features instead of the embedding when not nil
}

// embedOptions reads {size, normalize, stages} from args[i].
func embedOptions(args []safejs.Value, i int) (embedOpts, error) {
	o, err := argOptions(args, i)
	if err != nil {
		return embedOpts{}, err
	}
	var e embedOpts
	if e.side, err = o.int("size"); err != nil {
		return e, err
	}
	if e.normalize, err = o.bool("normalize"); err != nil {
		return e, err
	}
	if s := o.get("stages"); !s.IsUndefined() && !s.IsNull() {
		if e.stages, err = argInts(s, "stages"); err != nil {
			return e, err
		}
		if e.stages == nil {
			e.stages = []int{}
		}
	}
	return e, nil
}

// embedImage runs the embedding (or the features) of one image and returns
// the JavaScript result with the time of each Go-side step.
func embedImage(m *lowformer.Model, img image.Image, o embedOpts) (map[string]any, error) {
	ctx := context.Background()
	if o.stages != nil {
		t0 := time.Now()
		fs, err := m.FeaturesOf(ctx, img, lowformer.FeatureOptions{Side: o.side, Stages: o.stages})
		if err != nil {
			return nil, err
		}
		js, err := featuresJS(fs)
		if err != nil {
			return nil, err
		}
		return map[string]any{"features": js, "timings": map[string]any{"inference": ms(time.Since(t0))}}, nil
	}
	var t lowformer.Timings
	e, err := m.Embed(ctx, img, lowformer.EmbedOptions{Side: o.side, Normalize: o.normalize, Timings: &t})
	if err != nil {
		return nil, err
	}
	v, err := float32sToJS(e)
	if err != nil {
		return nil, err
	}
	return map[string]any{"embedding": v, "timings": map[string]any{
		"preprocess": ms(t.Preprocess), "inference": ms(t.Inference), "postprocess": ms(t.Postprocess)}}, nil
}

// featuresJS converts features to [{stage, shape, data}].
func featuresJS(fs []lowformer.Feature) ([]any, error) {
	out := make([]any, len(fs))
	for i, f := range fs {
		d, err := float32sToJS(f.Data)
		if err != nil {
			return nil, err
		}
		out[i] = map[string]any{"stage": f.Stage, "shape": []any{f.Shape[0], f.Shape[1], f.Shape[2], f.Shape[3]}, "data": d}
	}
	return out, nil
}

// bool reads a boolean option; absent gives false.
func (o options) bool(name string) (bool, error) {
	v := o.get(name)
	if v.IsUndefined() || v.IsNull() {
		return false, nil
	}
	if v.Type() != safejs.TypeBoolean {
		return false, fmt.Errorf("lowformer: option %s must be true or false, got %s", name, describe(v))
	}
	return v.Bool()
}

// stageChannels lists the channels of each backbone stage's output.
func stageChannels(in lowformer.Info) []any {
	out := make([]any, len(in.Config.Widths))
	for i, w := range in.Config.Widths {
		out[i] = w
	}
	return out
}
