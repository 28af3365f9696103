//go:build js && !lowformer_nogpu

package main

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/hack-pad/safejs"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/gpu"
)

// frameExports are the exported functions of the GPU preprocessing
// (frame_nogpu_js.go's in a build without the GPU backend).
func (a *api) frameExports() map[string]func([]safejs.Value) (work, error) {
	return map[string]func([]safejs.Value) (work, error){"frame": a.frame, "frameRect": a.frameRect, "device": a.device}
}

// frameRect(id, width, height, size) → {x, y, width, height}: the part of
// a width×height image that the GPU preprocessing to size (0: the model's
// side) reads (Model.DeviceImageRect); a GPUBuffer given to frame with
// this rect may hold only it.
func (a *api) frameRect(args []safejs.Value) (work, error) {
	if err := needArgs(args, 4, "frameRect(id, width, height, size)"); err != nil {
		return nil, err
	}
	hd, err := a.handle(args[0])
	if err != nil {
		return nil, err
	}
	var n [3]int
	for i, name := range []string{"width", "height", "size"} {
		if n[i], err = argInt(args[1+i], name); err != nil {
			return nil, err
		}
	}
	return func() (any, error) {
		r, err := hd.DeviceImageRect(n[0], n[1], n[2])
		if err != nil {
			return nil, err
		}
		return map[string]any{"x": r.Min.X, "y": r.Min.Y, "width": r.Dx(), "height": r.Dy()}, nil
	}, nil
}

// rectOption reads the option rect ({x, y, width, height}; absent: the
// empty rectangle).
func rectOption(o options) (image.Rectangle, error) {
	sub, ok, err := o.object("rect")
	if err != nil || !ok {
		return image.Rectangle{}, err
	}
	var n [4]int
	for i, name := range []string{"x", "y", "width", "height"} {
		if n[i], err = sub.int(name); err != nil {
			return image.Rectangle{}, fmt.Errorf("lowformer: rect: %w", err)
		}
	}
	if n[2] < 1 || n[3] < 1 {
		return image.Rectangle{}, fmt.Errorf("lowformer: rect of %d×%d pixels: must not be empty", n[2], n[3])
	}
	return image.Rect(n[0], n[1], n[0]+n[2], n[1]+n[3]), nil
}

// frame(id, source, width, height, {topK, size, embed, normalize, preprocessOnly, readInput, rect})
//
//	→ {predictions, timings} | {embedding, timings} | {timings}
//
// runs the model on an image with the GPU preprocessing: source is copied
// to the model's texture with copyExternalImageToTexture (ImageBitmap,
// VideoFrame, HTMLVideoElement, HTMLCanvasElement, OffscreenCanvas,
// HTMLImageElement, ImageData; lowformer.js sends video frames, canvases
// and ImageData as a GPUBuffer of their pixels instead), copied from a
// GPUTexture (rgba8unorm, COPY_SRC, of the model's device), or read from a GPUBuffer of packed
// RGBA bytes (STORAGE, of the model's device; with rect {x, y, width,
// height}, only that part of the image, at least frameRect's). The source
// must stay valid until the promise settles.
func (a *api) frame(args []safejs.Value) (work, error) {
	if err := needArgs(args, 4, "frame(id, source, width, height, {topK, size, embed, normalize, preprocessOnly}?)"); err != nil {
		return nil, err
	}
	hd, w, h, err := a.modelAndSize(args)
	if err != nil {
		return nil, err
	}
	copt, err := classifyOptions(args, 4)
	if err != nil {
		return nil, err
	}
	o, _ := argOptions(args, 4)
	embed, err := o.bool("embed")
	if err != nil {
		return nil, err
	}
	normalize, err := o.bool("normalize")
	if err != nil {
		return nil, err
	}
	only, err := o.bool("preprocessOnly")
	if err != nil {
		return nil, err
	}
	readInput, err := o.bool("readInput")
	if err != nil {
		return nil, err
	}
	rect, err := rectOption(o)
	if err != nil {
		return nil, err
	}
	src := safejs.Unsafe(args[1])
	img := lowformer.DeviceImage{Width: w, Height: h, Rect: rect}
	switch {
	case isInstance(args[1], "GPUBuffer"):
		pw, ph := w, h
		if !rect.Empty() {
			pw, ph = rect.Dx(), rect.Dy()
		}
		if need := 4 * pw * ph; src.Get("size").Int() < need {
			return nil, fmt.Errorf("lowformer: the GPUBuffer has %d bytes, %d×%d RGBA pixels need %d", src.Get("size").Int(), pw, ph, need)
		}
		img.Buffer = gpu.WrapJSBuffer(src)
	case isInstance(args[1], "GPUTexture"):
		img.Fill = func(dev *gpu.Device, tex *gpu.ImageTexture) error { return dev.CopyJSTexture(tex, src) }
	default:
		img.Fill = func(dev *gpu.Device, tex *gpu.ImageTexture) error { return dev.CopyExternalImage(tex, src) }
	}
	return func() (any, error) {
		ctx := context.Background()
		var t lowformer.Timings
		switch {
		case only:
			// upload: writing the texture (Fill); passes: the two WGSL passes
			// submitted and waited for (with readInput, read back too).
			var upload time.Duration
			if fill := img.Fill; fill != nil {
				img.Fill = func(dev *gpu.Device, tex *gpu.ImageTexture) error {
					t := time.Now()
					err := fill(dev, tex)
					upload = time.Since(t)
					return err
				}
			}
			t0 := time.Now()
			in, err := hd.PreprocessDeviceImage(ctx, img, copt.Side, readInput)
			if err != nil {
				return nil, err
			}
			total := time.Since(t0)
			out := map[string]any{"timings": map[string]any{"preprocess": ms(total), "upload": ms(upload), "passes": ms(total - upload)}}
			if readInput {
				if out["input"], err = float32sToJS(in); err != nil {
					return nil, err
				}
			}
			return out, nil
		case embed:
			e, err := hd.EmbedDeviceImage(ctx, img, lowformer.EmbedOptions{Side: copt.Side, Normalize: normalize, Timings: &t})
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
		copt.Timings = &t
		preds, err := hd.ClassifyDeviceImage(ctx, img, copt)
		if err != nil {
			return nil, err
		}
		return classificationJS(classification{Predictions: preds, Timings: t}), nil
	}, nil
}

// device(id) → GPUDevice | null: the model's device, for sharing textures
// and buffers with frame.
func (a *api) device(args []safejs.Value) (work, error) {
	if err := needArgs(args, 1, "device(id)"); err != nil {
		return nil, err
	}
	hd, err := a.handle(args[0])
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		d := hd.Device()
		if d == nil {
			return nil, nil
		}
		return safejs.Safe(d.JSDevice()), nil
	}, nil
}
