//go:build (js || cgo) && !lowformer_nogpu

package lowformer

import (
	"context"
	"image"
	"time"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/model"
)

// DeviceImage is an image that goes to the GPU without a CPU
// preprocessing pass: the model resizes (Pillow's antialiased bicubic, in
// Pillow's fixed point), center-crops and normalizes it with WGSL kernels
// straight into its input buffer, in the same submit as the inference, with
// the bytes Classify computes on the CPU from the same RGBA pixels. For
// encoded files the CPU path (Classify) stays the reference; this is for
// frames (video, camera) and images already on the GPU.
//
// Device sharing: everything here lives on the model's own WebGPU device.
// Fill receives that device and the model's texture to write; a Buffer must
// have been created on that device (in the browser, model.device); a
// resource of another device cannot be bound. Calls with a DeviceImage take
// turns on the model's image texture.
type DeviceImage struct {
	Width, Height int
	// Fill writes the Width×Height RGBA pixels (not premultiplied) into
	// tex, the model's rgba8unorm texture of that size (usages: texture
	// binding, copy destination, render attachment): natively with
	// dev.WriteRGBA, in the browser with copyExternalImageToTexture or a
	// copyTextureToTexture. Used when Buffer is nil.
	Fill func(dev *gpu.Device, tex *gpu.ImageTexture) error
	// Buffer, when set, holds the image instead: Width×Height packed RGBA
	// bytes (R in the low byte, rows packed) in a storage buffer of the
	// model's device, at least 4·Width·Height bytes (the caller checks).
	Buffer *wgpu.Buffer
	// Rect, when not empty, says that Buffer holds only this part of the
	// image (Rect.Dx()×Rect.Dy() pixels, rows packed), which must contain
	// DeviceImageRect's: only what the preprocessing reads, so that less
	// is copied and uploaded per frame.
	Rect image.Rectangle
}

// DeviceImageRect is the part of a width×height image that the GPU
// preprocessing to side (0: Info().NativeSide) reads: a DeviceImage's
// Buffer may hold only it (DeviceImage.Rect). Its left edge and width are
// multiples of 4 (or reach the image's right edge), its top edge and
// height even (or reach the bottom), so that a 4:2:0 video frame's part
// converts to RGB as the whole frame does.
func (m *Model) DeviceImageRect(width, height, side int) (image.Rectangle, error) {
	side, err := m.resolveSide(side, "side")
	if err != nil {
		return image.Rectangle{}, err
	}
	if width < 1 || height < 1 || int64(width)*int64(height) > MaxPixels {
		return image.Rectangle{}, badInput("device image of %d×%d pixels: need 1..%d pixels", width, height, int64(MaxPixels))
	}
	return model.SourceRect(width, height, side), nil
}

// source is the model.ImageSource of img's Buffer.
func (img DeviceImage) source() model.ImageSource {
	return model.ImageSource{Buffer: img.Buffer, Width: img.Width, Height: img.Height, Rect: img.Rect}
}

// ClassifyDeviceImage is Classify for an image on the GPU (see
// DeviceImage); opt.Timings' Preprocess is the time Fill took, Inference
// the GPU preprocessing and the forward pass. It needs the GPU backend.
func (m *Model) ClassifyDeviceImage(ctx context.Context, img DeviceImage, opt ClassifyOptions) ([]Prediction, error) {
	r, err := m.resolve(opt)
	if err != nil {
		return nil, err
	}
	if opt.RegionOfInterest != nil {
		return nil, badInput("ClassifyOptions.RegionOfInterest is not supported for a DeviceImage: crop the image before it reaches the GPU")
	}
	res, t, err := m.deviceRun(ctx, img, r.side, []model.Value{m.graph.Logits()})
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	preds := r.pick(TopK(res[0], m.info.Labels, 0))
	if opt.Timings != nil {
		t.Postprocess = time.Since(t2)
		*opt.Timings = t
	}
	return preds, nil
}

// EmbedDeviceImage is Embed for an image on the GPU (see DeviceImage).
func (m *Model) EmbedDeviceImage(ctx context.Context, img DeviceImage, opt EmbedOptions) ([]float32, error) {
	side, err := m.resolveSide(opt.Side, "EmbedOptions.Side")
	if err != nil {
		return nil, err
	}
	emb, err := m.graph.Embedding()
	if err != nil {
		return nil, err
	}
	res, t, err := m.deviceRun(ctx, img, side, []model.Value{emb})
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	if opt.Normalize {
		L2Normalize(res[0])
	}
	if opt.Timings != nil {
		t.Postprocess = time.Since(t2)
		*opt.Timings = t
	}
	return res[0], nil
}

// PreprocessDeviceImage runs only the GPU preprocessing of img to a
// side×side input (0: Info().NativeSide) and waits for it, for measuring
// its cost; with read it returns that input (NHWC with a fourth zero
// channel: side·side·4 values).
func (m *Model) PreprocessDeviceImage(ctx context.Context, img DeviceImage, side int, read bool) ([]float32, error) {
	side, err := m.resolveSide(side, "side")
	if err != nil {
		return nil, err
	}
	g, err := m.deviceGPU(ctx, img, side)
	if err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	if img.Buffer != nil {
		return g.PreprocessImage(img.source(), side, read)
	}
	return g.PreprocessFilled(img.Width, img.Height, side, read, func(tex *gpu.ImageTexture) error { return img.Fill(g.Device(), tex) })
}

// deviceRun runs img for outs; Timings.Preprocess is Fill's time.
func (m *Model) deviceRun(ctx context.Context, img DeviceImage, side int, outs []model.Value) ([][]float32, Timings, error) {
	var t Timings
	g, err := m.deviceGPU(ctx, img, side)
	if err != nil {
		return nil, t, err
	}
	defer m.mu.RUnlock()
	t0 := time.Now()
	if img.Buffer != nil {
		res, err := g.OutputsImage(img.source(), side, outs)
		t.Inference = time.Since(t0)
		return res, t, err
	}
	var filled time.Time
	res, err := g.OutputsFilled(img.Width, img.Height, side, outs, func(tex *gpu.ImageTexture) error {
		err := img.Fill(g.Device(), tex)
		filled = time.Now()
		return err
	})
	if err != nil {
		return nil, t, err
	}
	t.Preprocess, t.Inference = filled.Sub(t0), time.Since(filled)
	return res, t, nil
}

// deviceGPU checks img (preprocessed to side) and returns the model's GPU
// with m.mu read-locked (the caller unlocks it) when there is no error.
func (m *Model) deviceGPU(ctx context.Context, img DeviceImage, side int) (*model.GPU, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if img.Width < 1 || img.Height < 1 || int64(img.Width)*int64(img.Height) > MaxPixels {
		return nil, badInput("device image of %d×%d pixels: need 1..%d pixels", img.Width, img.Height, int64(MaxPixels))
	}
	if (img.Fill == nil) == (img.Buffer == nil) {
		return nil, badInput("a DeviceImage needs Fill or Buffer (exactly one)")
	}
	if !img.Rect.Empty() && (img.Buffer == nil || !img.Rect.In(image.Rect(0, 0, img.Width, img.Height))) {
		return nil, badInput("DeviceImage.Rect %v: needs a Buffer and a part of the %d×%d image", img.Rect, img.Width, img.Height)
	}
	if need := model.SourceRect(img.Width, img.Height, side); !img.Rect.Empty() && !need.In(img.Rect) {
		return nil, badInput("DeviceImage.Rect %v does not hold the part %v that preprocessing the %d×%d image to %d reads (DeviceImageRect)", img.Rect, need, img.Width, img.Height, side)
	}
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return nil, ErrClosed
	}
	dm, ok := m.gpu.(*deviceModel)
	if !ok {
		m.mu.RUnlock()
		return nil, badInput("GPU preprocessing needs the GPU backend (this model runs on the %s)", m.info.Backend)
	}
	return dm.GPU, nil
}

// Device is the WebGPU device the model runs on (nil on the CPU backend or
// after Close), for sharing it: DeviceImage resources must come from it.
func (m *Model) Device() *gpu.Device {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if dm, ok := m.gpu.(*deviceModel); ok && !m.closed {
		return dm.dev
	}
	return nil
}
