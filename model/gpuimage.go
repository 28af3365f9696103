//go:build js || cgo

package model

import (
	"fmt"
	"image"
	"sync"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// GPU preprocessing: an image already on the device (a texture, or a
// buffer of packed RGBA bytes) is resized, cropped and normalized by the
// kernels.Resize passes straight into a plan's input buffer, in the same
// submit as the plan: no pixels cross back to the CPU and no CPU pass runs.
// The bytes are the CPU path's (preprocess.Resample is Pillow's arithmetic).

// ImageSource is an image on the model's device: View, an rgba8unorm
// texture's view (gpu.ImageTexture), or Buffer, a storage buffer of at
// least Width×Height packed RGBA bytes (R in the low byte, rows packed),
// which the caller checks. Rect, when not empty, is the part of the
// Width×Height image the texture or buffer holds instead (its size), at
// least SourceRect's: only what the preprocessing reads.
type ImageSource struct {
	View          *wgpu.TextureView
	Buffer        *wgpu.Buffer
	Width, Height int
	Rect          image.Rectangle
}

// SourceRect is the part of a w×h image that its GPU preprocessing to
// side reads (kernels.SourceRect). It is asked for every frame of a stream
// (DeviceImage checks), so the last few answers are kept: planning the
// taps takes 80 µs natively for a 640×480 frame to 48, more in wasm.
func SourceRect(w, h, side int) image.Rectangle {
	key := [3]int{w, h, side}
	sourceRects.Lock()
	r, ok := sourceRects.m[key]
	sourceRects.Unlock()
	if ok {
		return r
	}
	r = kernels.SourceRect(preprocess.NewResample(w, h, side))
	sourceRects.Lock()
	defer sourceRects.Unlock()
	if len(sourceRects.m) >= maxPreprocessors {
		clear(sourceRects.m) // sizes rarely change
	}
	if sourceRects.m == nil {
		sourceRects.m = map[[3]int]image.Rectangle{}
	}
	sourceRects.m[key] = r
	return r
}

// sourceRects holds SourceRect's answers by w, h and side.
var sourceRects struct {
	sync.Mutex
	m map[[3]int]image.Rectangle
}

// preKey names the preprocessing of one source size (and part) to one
// side.
type preKey struct {
	w, h, side int
	texture    bool
	rect       image.Rectangle
}

// preprocessor is the two Resize passes of a preKey with their tap tables
// and intermediate buffer (shared by every plan: submits never overlap),
// and the bind groups of the last source and input buffer it ran on, kept
// for the next frame of a stream (a camera's frames come from the same
// texture or buffer into the same plan). mu is held from preDispatches to
// the end of the run.
type preprocessor struct {
	h, v              kernels.Resize
	htaps, vtaps, mid *wgpu.Buffer

	mu    sync.Mutex
	hSrc  ImageSource  // the source of hPass
	hPass gpu.Dispatch // the horizontal pass, kept across frames of one source
	vIn   *wgpu.Buffer // the input buffer of vPass
	vPass gpu.Dispatch // the vertical pass, kept across frames into one input
}

func (p *preprocessor) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range []gpu.Dispatch{p.hPass, p.vPass} {
		if d.Group != nil {
			d.Group.Release()
		}
	}
	p.hPass, p.vPass = gpu.Dispatch{}, gpu.Dispatch{}
	for _, b := range []*wgpu.Buffer{p.htaps, p.vtaps, p.mid} {
		if b != nil {
			b.Release()
		}
	}
}

// maxPreprocessors bounds the cached preprocessors (one per source size
// and side); the oldest is dropped beyond it.
const maxPreprocessors = 8

// OutputsImage preprocesses src on the GPU to a side×side input (as
// preprocess.Tensor does on the CPU) and runs the graph on it for the
// values outs (nil: the logits), all in one submit; it returns the NHWC
// activations of outs in order.
func (m *GPU) OutputsImage(src ImageSource, side int, outs []Value) ([][]float32, error) {
	if outs == nil {
		outs = []Value{m.graph.Logits()}
	}
	p, err := m.plan(1, side, side, outs)
	if err != nil {
		return nil, err
	}
	pre, err := m.preprocessor(src, side)
	if err != nil {
		return nil, err
	}
	flat, onRun, err := m.runImage(p, pre, src)
	if err != nil {
		return nil, err
	}
	if onRun != nil {
		onRun() // a generic plan's first run starts the specialization
	}
	return p.split(flat, outs), nil
}

// runImage runs the preprocessing of src and the live plan of p (p or its
// successor) in one submit, returning the read-back values and the plan's
// onRun hook.
func (m *GPU) runImage(p *Plan, pre *preprocessor, src ImageSource) ([]float32, func(), error) {
	p = p.acquire()
	defer p.mu.Unlock()
	if p.readback == nil {
		return nil, nil, errClosed
	}
	ds, release, err := m.preDispatches(pre, src, p.input)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	if len(p.imageRun) != len(ds)+len(p.dispatches) {
		p.imageRun = append(make([]gpu.Dispatch, len(ds), len(ds)+len(p.dispatches)), p.dispatches...)
	}
	copy(p.imageRun, ds)
	flat, err := p.dev.RunReadAll(p.readback, p.imageRun, p.copies)
	return flat, p.onRun, err
}

// OutputsFilled is OutputsImage of the model's w×h image texture
// (ImageTexture) after fill has written it; concurrent calls take turns,
// so that one's pixels are never replaced before its run.
func (m *GPU) OutputsFilled(w, h, side int, outs []Value, fill func(*gpu.ImageTexture) error) ([][]float32, error) {
	var res [][]float32
	err := m.withFilled(w, h, fill, func(src ImageSource) (err error) {
		res, err = m.OutputsImage(src, side, outs)
		return err
	})
	return res, err
}

// PreprocessFilled is PreprocessImage of the image texture after fill.
func (m *GPU) PreprocessFilled(w, h, side int, read bool, fill func(*gpu.ImageTexture) error) ([]float32, error) {
	var res []float32
	err := m.withFilled(w, h, fill, func(src ImageSource) (err error) {
		res, err = m.PreprocessImage(src, side, read)
		return err
	})
	return res, err
}

// withFilled runs use on the model's w×h image texture after fill has
// written it, holding the texture for both, so that concurrent calls take
// turns.
func (m *GPU) withFilled(w, h int, fill func(*gpu.ImageTexture) error, use func(ImageSource) error) error {
	m.imgMu.Lock()
	defer m.imgMu.Unlock()
	tex, err := m.ImageTexture(w, h)
	if err != nil {
		return err
	}
	if err := fill(tex); err != nil {
		return err
	}
	return use(ImageSource{View: tex.View, Width: w, Height: h})
}

// PreprocessImage runs only the GPU preprocessing of src into a side×side
// input buffer and returns that input (NHWC, 4 channels), for tests and
// timing.
func (m *GPU) PreprocessImage(src ImageSource, side int, read bool) ([]float32, error) {
	p, err := m.Plan(1, side, side)
	if err != nil {
		return nil, err
	}
	pre, err := m.preprocessor(src, side)
	if err != nil {
		return nil, err
	}
	p = p.acquire()
	defer p.mu.Unlock()
	if p.readback == nil {
		return nil, errClosed
	}
	ds, release, err := m.preDispatches(pre, src, p.input)
	if err != nil {
		return nil, err
	}
	defer release()
	// Without read, one value is read back all the same, through the
	// plan's staging buffer (no buffer made per frame): waiting for a
	// mapping is how a classification waits for its results, and in a
	// browser it answers sooner than waiting for the queue to be idle
	// (onSubmittedWorkDone).
	rb, copies := p.readback, []gpu.Copy{{Src: p.input, Count: 1}}
	if read {
		rb, copies[0].Count = nil, side*side*InputChannels
	}
	res, err := p.dev.RunReadAll(rb, ds, copies)
	if !read {
		res = nil
	}
	return res, err
}

// ImageTexture returns the model's rgba8unorm texture of w×h pixels for
// images to be copied into (built on first use, kept until Close; one per
// size, the last few sizes).
func (m *GPU) ImageTexture(w, h int) (*gpu.ImageTexture, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	for _, t := range m.images {
		if t.Width == w && t.Height == h {
			return t, nil
		}
	}
	t, err := m.dev.NewImageTexture(fmt.Sprintf("image%dx%d", w, h), w, h)
	if err != nil {
		return nil, err
	}
	if len(m.images) >= maxPreprocessors {
		m.images[0].Release()
		m.images = m.images[1:]
	}
	m.images = append(m.images, t)
	return t, nil
}

// preprocessor returns the preprocessing of src to side, building it on
// first use.
func (m *GPU) preprocessor(src ImageSource, side int) (*preprocessor, error) {
	if (src.View == nil) == (src.Buffer == nil) {
		return nil, fmt.Errorf("model: an image source needs a texture view or a buffer (exactly one)")
	}
	if src.Width < 1 || src.Height < 1 || side < MinInputSize {
		return nil, fmt.Errorf("model: preprocessing a %dx%d image to %d: need a non-empty image and a side of at least %d", src.Width, src.Height, side, MinInputSize)
	}
	key := preKey{src.Width, src.Height, side, src.View != nil, src.Rect}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	if p, ok := m.pre[key]; ok {
		return p, nil
	}
	r := preprocess.NewResample(src.Width, src.Height, side)
	if !src.Rect.Empty() {
		if need := kernels.SourceRect(r); !need.In(src.Rect) || !src.Rect.In(image.Rect(0, 0, src.Width, src.Height)) {
			return nil, fmt.Errorf("model: the part %v of a %dx%d image does not hold the part %v its preprocessing to %d reads", src.Rect, src.Width, src.Height, need, side)
		}
	}
	hk, vk := kernels.ChooseResize(r, key.texture, 0)
	hk = hk.Within(src.Rect)
	p := &preprocessor{h: hk, v: vk}
	var err error
	if p.htaps, err = m.dev.NewBufferBytes("resize-htaps", wgpu.ToBytes(hk.TapTable(r.H))); err == nil {
		if p.vtaps, err = m.dev.NewBufferBytes("resize-vtaps", wgpu.ToBytes(vk.TapTable(r.V))); err == nil {
			p.mid, err = m.dev.NewBuffer("resize-mid", uint64(4*hk.MidWords()))
		}
	}
	if err == nil {
		err = m.cache.Prepare(hk, vk)
	}
	if err != nil {
		p.release()
		return nil, fmt.Errorf("model: preparing the GPU preprocessing of %dx%d images to %d: %w", src.Width, src.Height, side, err)
	}
	if len(m.pre) >= maxPreprocessors {
		for k, old := range m.pre { // any one: sizes rarely change
			old.release()
			delete(m.pre, k)
			break
		}
	}
	m.pre[key] = p
	return p, nil
}

// preDispatches returns the two passes of pre bound to src and the input
// buffer in, reusing the bind groups of the previous call when src and in
// are the same; release ends the caller's use of them (call it after the
// run).
func (m *GPU) preDispatches(pre *preprocessor, src ImageSource, in *wgpu.Buffer) ([]gpu.Dispatch, func(), error) {
	pre.mu.Lock()
	h, err := pre.horizontal(m.cache, src)
	if err != nil {
		pre.mu.Unlock()
		return nil, nil, err
	}
	v, err := pre.vertical(m.cache, in)
	if err != nil {
		pre.mu.Unlock()
		return nil, nil, err
	}
	return []gpu.Dispatch{h, v}, pre.mu.Unlock, nil
}

// horizontal is the horizontal pass of p reading src: the one kept from
// the last frame when it was made for src. Called with p.mu held.
func (p *preprocessor) horizontal(cache *kernels.Cache, src ImageSource) (gpu.Dispatch, error) {
	if p.hPass.Group != nil && p.hSrc.View == src.View && gpu.SameBuffer(p.hSrc.Buffer, src.Buffer) {
		return p.hPass, nil
	}
	from := gpu.Resource{View: src.View}
	if src.Buffer != nil {
		from = gpu.BufferRes(src.Buffer)
	}
	d, err := renew(cache, p.h, &p.hPass, from, gpu.BufferRes(p.htaps), gpu.BufferRes(p.mid))
	if err == nil {
		p.hSrc = src
	}
	return d, err
}

// vertical is the vertical pass of p writing the input buffer in: the one
// kept from the last frame when it was made for in. Called with p.mu held.
func (p *preprocessor) vertical(cache *kernels.Cache, in *wgpu.Buffer) (gpu.Dispatch, error) {
	if p.vPass.Group != nil && p.vIn == in {
		return p.vPass, nil
	}
	d, err := renew(cache, p.v, &p.vPass, gpu.BufferRes(p.mid), gpu.BufferRes(p.vtaps), gpu.BufferRes(in))
	if err == nil {
		p.vIn = in
	}
	return d, err
}

// renew makes k's dispatch on res and keeps it in *kept, releasing the
// bind group of the one it replaces.
func renew(cache *kernels.Cache, k kernels.Resize, kept *gpu.Dispatch, res ...gpu.Resource) (gpu.Dispatch, error) {
	d, err := cache.Dispatch(k, res...)
	if err != nil {
		return gpu.Dispatch{}, err
	}
	if kept.Group != nil {
		kept.Group.Release()
	}
	*kept = d
	return d, nil
}

// releaseImages frees the preprocessors and image textures. Called with
// m.mu held.
func (m *GPU) releaseImages() {
	for _, p := range m.pre {
		p.release()
	}
	m.pre = nil
	for _, t := range m.images {
		t.Release()
	}
	m.images = nil
}
