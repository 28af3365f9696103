//go:build js

package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync"
	"time"

	"github.com/hack-pad/safejs"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// api holds the open models behind the exported functions, and the last
// prestart no load took yet.
type api struct {
	models     *registry
	mu         sync.Mutex
	prestarted chan *lowformer.Prestarted
}

func main() {
	a := &api{models: newRegistry()}
	obj, err := global("Object").New()
	if err == nil {
		err = a.publish(obj)
	}
	if err == nil {
		err = safejs.Global().Set("__lowformer", obj)
	}
	if err != nil {
		fmt.Println("lowformer: cannot publish the JavaScript API:", err)
		return
	}
	select {} // keep the exports alive
}

// publish sets the exported functions on obj.
func (a *api) publish(obj safejs.Value) error {
	if err := obj.Set("goVersion", runtime.Version()); err != nil {
		return err
	}
	for name, fn := range map[string]func([]safejs.Value) (work, error){
		"load": a.load, "prestart": a.prestart, "dropPrestart": a.dropPrestart, "logits": a.logits, "classify": a.classify,
		"classifyEncoded": a.classifyEncoded, "classifyBatch": a.classifyBatch, "preprocess": a.preprocess, "warmup": a.warmup, "waitSpecialized": a.waitSpecialized, "dispose": a.dispose, "memory": a.memory,
	} {
		if err := a.exportTo(obj, name, fn); err != nil {
			return err
		}
	}
	for name, fn := range joinExports(a.featureExports(), a.frameExports(), a.tuneExports()) {
		if err := a.exportTo(obj, name, fn); err != nil {
			return err
		}
	}
	return nil
}

// exportTo sets obj[name] to fn, exported.
func (a *api) exportTo(obj safejs.Value, name string, fn func([]safejs.Value) (work, error)) error {
	f, err := export(fn)
	if err != nil {
		return err
	}
	return obj.Set(name, f)
}

// load(weights Uint8Array, {backend: "auto"|"gpu"|"cpu", kernels: "auto"|"cpu"|"gpu", variant, dumpWGSL, start: "progressive"|"specialized"}) → {id, info, loadMs}
// dumpWGSL(label, wgsl), when given, receives every pipeline's WGSL as it is
// created (lowformer.Options.DumpWGSL), during load and later calls. A
// prestart's device and pipelines are taken when the options agree
// (lowformer.Options.Prestarted).
func (a *api) load(args []safejs.Value) (work, error) {
	pre := a.takePrestart()
	w, err := loadWork(args, pre, a.models)
	if err != nil && pre != nil {
		go dropPrestart(pre)
	}
	return w, err
}

// loadWork is load's work, which takes the prestart pre when not nil.
func loadWork(args []safejs.Value, pre chan *lowformer.Prestarted, models *registry) (work, error) {
	if err := needArgs(args, 1, "load(weights: Uint8Array, {backend, kernels, variant, dumpWGSL}?)"); err != nil {
		return nil, err
	}
	b, err := argBytes(args[0], "weights")
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, errors.New("lowformer: the weights are empty (0 bytes)")
	}
	o, err := loadOptions(args, 1)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		if pre != nil {
			o.Prestarted = <-pre
		}
		var warnings []any
		t0 := time.Now()
		o.Warn = func(msg string) { warnings = append(warnings, msg); fmt.Println(msg) }
		m, err := lowformer.OpenBytes(context.Background(), b, o)
		if err != nil {
			return nil, backendError(err)
		}
		info := infoJS(m.Info())
		info["warnings"] = warnings
		return map[string]any{"id": models.add(m), "info": info, "loadMs": ms(time.Since(t0))}, nil
	}, nil
}

// prestart({backend, kernels, variant, start, tune, tuning, tuningStore}) → null
// opens the WebGPU device and starts compiling a progressive start's
// generic pipelines while the page still downloads the weights
// (lowformer.Prestart), for the next load with the same options to take.
// A second prestart replaces (closes) one no load took.
func (a *api) prestart(args []safejs.Value) (work, error) {
	o, err := loadOptions(args, 0)
	if err != nil {
		return nil, err
	}
	ch := make(chan *lowformer.Prestarted, 1)
	a.mu.Lock()
	old := a.prestarted
	a.prestarted = ch
	a.mu.Unlock()
	return func() (any, error) {
		if old != nil {
			dropPrestart(old)
		}
		ch <- lowformer.Prestart(o)
		return nil, nil
	}, nil
}

// dropPrestart() → null closes what the last prestart opened when no load
// took it (lowformer.js calls it when the weights could not be read).
func (a *api) dropPrestart([]safejs.Value) (work, error) {
	pre := a.takePrestart()
	return func() (any, error) {
		if pre != nil {
			dropPrestart(pre)
		}
		return nil, nil
	}, nil
}

// dropPrestart waits for the prestart of ch and closes it.
func dropPrestart(ch chan *lowformer.Prestarted) { (<-ch).Close() }

// takePrestart returns the channel of the last prestart no load took yet,
// or nil.
func (a *api) takePrestart() chan *lowformer.Prestarted {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch := a.prestarted
	a.prestarted = nil
	return ch
}

// loadOptions reads the options of load and prestart from args[i].
func loadOptions(args []safejs.Value, i int) (lowformer.Options, error) {
	var o lowformer.Options
	opt, err := argOptions(args, i)
	if err != nil {
		return o, err
	}
	bs, err := opt.string("backend")
	if err != nil {
		return o, err
	}
	backend, err := lowformer.ParseBackend(bs)
	if err != nil {
		return o, err
	}
	variant, err := opt.string("variant")
	if err != nil {
		return o, err
	}
	ks, err := opt.string("kernels")
	if err != nil {
		return o, err
	}
	kernels, err := lowformer.ParseKernels(ks)
	if err != nil {
		return o, err
	}
	dump, err := opt.callback("dumpWGSL")
	if err != nil {
		return o, err
	}
	ss, err := opt.string("start")
	if err != nil {
		return o, err
	}
	start, err := lowformer.ParseStart(ss)
	if err != nil {
		return o, err
	}
	o = lowformer.Options{Backend: backend, Kernels: kernels, Variant: variant, DumpWGSL: dump, Start: start}
	return o, loadTuning(opt, &o)
}

// infoJS converts Info to a plain JavaScript object.
func infoJS(in lowformer.Info) map[string]any {
	t, note := in.Training, ""
	if !t.Known {
		note = lowformer.TestWeightsNote
	}
	labels := make([]any, len(in.Labels))
	for i, l := range in.Labels {
		labels[i] = l
	}
	return map[string]any{
		"variant": in.Variant, "params": in.Params, "classes": in.Classes, "labels": labels,
		"format": in.Format, "dtype": in.DType, "quantization": in.Quantization, "backend": in.Backend.String(), "adapter": in.Adapter,
		"kernels": string(in.Kernels), "kernelsReason": in.KernelsReason,
		"tuning": in.Tuning, "tuningNotes": stringsJS(in.TuningNotes),
		"start": string(in.Start), "phase": string(in.Phase), "prestarted": in.Prestarted,
		"hasOptimizerState": in.HasOptState, "inputSize": in.NativeSide, "embeddingSize": in.EmbeddingSize,
		"stageChannels": stageChannels(in),
		"training": map[string]any{
			"known": t.Known, "epoch": t.Epoch, "accuracy": t.Accuracy, "accuracySplit": t.AccuracySplit,
			"dataset": t.Dataset, "trainImages": t.TrainImages, "summary": t.String(),
		},
		"note": note,
	}
}

// logits(id, input Float32Array, [n,3,h,w]) → Float32Array of n×classes
func (a *api) logits(args []safejs.Value) (work, error) {
	if err := needArgs(args, 3, "logits(id, input: Float32Array, shape: [n,3,h,w])"); err != nil {
		return nil, err
	}
	h, x, n, ht, w, err := a.tensorArgs(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		y, err := h.Logits(context.Background(), x, n, ht, w)
		if err != nil {
			return nil, err
		}
		return float32sToJS(y)
	}, nil
}

// classify(id, rgba Uint8Array|Uint8ClampedArray, width, height, {topK, size, ...}) → {predictions, timings}
// (the options of classifyOptions)
func (a *api) classify(args []safejs.Value) (work, error) {
	if err := needArgs(args, 4, "classify(id, rgba: Uint8ClampedArray, width, height, {topK, size}?)"); err != nil {
		return nil, err
	}
	hd, w, h, err := a.modelAndSize(args)
	if err != nil {
		return nil, err
	}
	opt, err := classifyOptions(args, 4)
	if err != nil {
		return nil, err
	}
	img, err := pixelsArg(args[1], w, h)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		c, err := classifyImage(context.Background(), hd, img, opt)
		if err != nil {
			return nil, err
		}
		return classificationJS(c), nil
	}, nil
}

// classifyEncoded(id, file Uint8Array, {topK, size}) → {predictions, timings, width, height}
// decodes the file (JPEG, PNG) with the Go decoders of the native path, so
// the result is the same as the command line's. A format Go cannot read is
// rejected with error.code "unsupported-format"; a GIF, WebP, BMP or TIFF
// file, whose decoders this build leaves out, with "format-not-built-in"
// (lowformer.js decodes it with lowformer-decoders.wasm, wasm/decoders,
// and classifies the pixels).
func (a *api) classifyEncoded(args []safejs.Value) (work, error) {
	if err := needArgs(args, 2, "classifyEncoded(id, file: Uint8Array, {topK, size}?)"); err != nil {
		return nil, err
	}
	hd, b, err := a.modelAndFile(args)
	if err != nil {
		return nil, err
	}
	opt, err := classifyOptions(args, 2)
	if err != nil {
		return nil, err
	}
	return decodedThen(b, func(img image.Image) (map[string]any, error) {
		c, err := classifyImage(context.Background(), hd, img, opt)
		if err != nil {
			return nil, err
		}
		return classificationJS(c), nil
	}), nil
}

// classifyOptions reads {topK, size, scoreThreshold, categoryAllowlist,
// categoryDenylist, regionOfInterest: {left, top, right, bottom}} from
// args[i] as the lowformer.ClassifyOptions TopK, Side, ScoreThreshold,
// CategoryAllowlist, CategoryDenylist and RegionOfInterest, whose zero
// values (also when absent) are the defaults: lowformer.DefaultTopK
// classes at the model's native side, unfiltered, of the whole image. Here
// only the JavaScript types are checked (and a negative topK refused, with
// its JavaScript name); the model checks the values (classifyImages names
// them as JavaScript does).
func classifyOptions(args []safejs.Value, i int) (lowformer.ClassifyOptions, error) {
	var c lowformer.ClassifyOptions
	opt, err := argOptions(args, i)
	if err != nil {
		return c, err
	}
	if c.TopK, err = opt.int("topK"); err != nil {
		return c, err
	}
	if c.TopK < 0 {
		return c, fmt.Errorf("lowformer: topK must be a positive integer, got %d", c.TopK)
	}
	if c.Side, err = opt.int("size"); err != nil {
		return c, err
	}
	th, err := opt.float("scoreThreshold")
	if err != nil {
		return c, err
	}
	c.ScoreThreshold = float32(th)
	if c.CategoryAllowlist, err = opt.strings("categoryAllowlist"); err != nil {
		return c, err
	}
	if c.CategoryDenylist, err = opt.strings("categoryDenylist"); err != nil {
		return c, err
	}
	roi, ok, err := opt.object("regionOfInterest")
	if err != nil || !ok {
		return c, err
	}
	r := &lowformer.Rect{}
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"left", &r.Left}, {"top", &r.Top}, {"right", &r.Right}, {"bottom", &r.Bottom}} {
		v := roi.get(f.name)
		if v.Type() != safejs.TypeNumber {
			return c, fmt.Errorf("lowformer: regionOfInterest.%s must be a number in 0..1, got %s", f.name, describe(v))
		}
		if *f.dst, err = v.Float(); err != nil {
			return c, err
		}
	}
	c.RegionOfInterest = r
	return c, nil
}

// classifyBatch(id, images: Array<{data, width, height}|Uint8Array>, {topK, ...})
// → [{predictions, timings, width, height}]: every image in one batch
// (lowformer.Model.ClassifyBatch). An image is RGBA pixels ({data:
// Uint8Array|Uint8ClampedArray, width, height}, as ImageData) or an encoded
// file (Uint8Array or ArrayBuffer, decoded by Go as classifyEncoded does; a
// format Go cannot read rejects the call with error.code
// "unsupported-format"). The timings are the batch's, the same in each
// result, with decode the time to decode every file.
func (a *api) classifyBatch(args []safejs.Value) (work, error) {
	const usage = "classifyBatch(id, images: Array<{data, width, height}|Uint8Array>, {topK, size, scoreThreshold, categoryAllowlist, categoryDenylist, regionOfInterest}?)"
	if err := needArgs(args, 2, usage); err != nil {
		return nil, err
	}
	hd, err := a.handle(args[0])
	if err != nil {
		return nil, err
	}
	opt, err := classifyOptions(args, 2)
	if err != nil {
		return nil, err
	}
	if !isInstance(args[1], "Array") {
		return nil, fmt.Errorf("lowformer: classifyBatch takes an array of images, got %s", describe(args[1]))
	}
	n, err := intProp(args[1], "length")
	if err != nil {
		return nil, err
	}
	if n < 1 || n > maxBatch {
		return nil, fmt.Errorf("lowformer: classify takes 1 to %d images at once, got %d", maxBatch, n)
	}
	imgs := make([]image.Image, n)
	files := make([][]byte, n) // the encoded images, decoded in the work
	for i := range n {
		v, err := args[1].Index(i)
		if err != nil {
			return nil, err
		}
		what := fmt.Sprintf("image %d", i)
		if isInstance(v, "Uint8Array") || isInstance(v, "ArrayBuffer") {
			if files[i], err = argBytes(v, what); err != nil {
				return nil, err
			}
			continue
		}
		if v.Type() != safejs.TypeObject {
			return nil, fmt.Errorf("lowformer: %s must be {data, width, height} pixels or an encoded file (Uint8Array), got %s", what, describe(v))
		}
		data, err := v.Get("data")
		if err != nil {
			return nil, err
		}
		w, err := intProp(v, "width")
		if err != nil {
			return nil, fmt.Errorf("lowformer: %s width: %w", what, err)
		}
		h, err := intProp(v, "height")
		if err != nil {
			return nil, fmt.Errorf("lowformer: %s height: %w", what, err)
		}
		pix, err := argBytes(data, what+" pixels")
		if err != nil {
			return nil, err
		}
		if imgs[i], err = pixelsImage(pix, w, h); err != nil {
			return nil, fmt.Errorf("%w (%s)", err, what)
		}
	}
	return func() (any, error) {
		t0 := time.Now()
		decoded := false
		for i, b := range files {
			if b == nil {
				continue
			}
			img, err := decodeNamed(b, fmt.Sprintf("image %d", i))
			if err != nil {
				return nil, err
			}
			imgs[i], files[i], decoded = img, nil, true
		}
		decode := time.Since(t0)
		cs, err := classifyImages(context.Background(), hd, imgs, opt)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(cs))
		for i, c := range cs {
			if decoded {
				c.Decode = &decode
			}
			r := classificationJS(c)
			r["width"], r["height"] = imgs[i].Bounds().Dx(), imgs[i].Bounds().Dy()
			out[i] = r
		}
		return out, nil
	}, nil
}

// classificationJS converts a classification to a plain JavaScript object.
func classificationJS(c classification) map[string]any {
	preds := make([]any, len(c.Predictions))
	for i, p := range c.Predictions {
		preds[i] = map[string]any{"index": p.Index, "label": p.Label, "probability": float64(p.Prob)}
	}
	t := map[string]any{"preprocess": ms(c.Timings.Preprocess), "inference": ms(c.Timings.Inference),
		"postprocess": ms(c.Timings.Postprocess)}
	if c.Decode != nil {
		t["decode"] = ms(*c.Decode)
	}
	return map[string]any{"predictions": preds, "timings": t}
}

// warmup(id) → {ms, phase}: readies the model for one image at its native
// side (Model.Warmup): on the GPU, every shader is compiled now rather than
// on the first classification. The phase after it is "specializing" for a
// progressive GPU model, whose first run starts the specialization.
func (a *api) warmup(args []safejs.Value) (work, error) {
	return a.timedPhase(args, "warmup(id)", func(m *lowformer.Model) error {
		return m.Warmup(context.Background(), 1, 0)
	})
}

// waitSpecialized(id) → {ms, phase}: resolves when a progressive GPU
// model's plans run on specialized pipelines (Model.WaitSpecialized; at
// once on the CPU and for start "specialized"). The specialization starts
// after the model's first run.
func (a *api) waitSpecialized(args []safejs.Value) (work, error) {
	return a.timedPhase(args, "waitSpecialized(id)", func(m *lowformer.Model) error {
		return m.WaitSpecialized(context.Background())
	})
}

// timedPhase is the work of an op that runs step on the model of args[0]
// and gives {ms, phase}: how long step took and the model's phase after it.
func (a *api) timedPhase(args []safejs.Value, usage string, step func(*lowformer.Model) error) (work, error) {
	if err := needArgs(args, 1, usage); err != nil {
		return nil, err
	}
	m, err := a.handle(args[0])
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		t0 := time.Now()
		if err := step(m); err != nil {
			return nil, err
		}
		return map[string]any{"ms": ms(time.Since(t0)), "phase": string(m.Info().Phase)}, nil
	}, nil
}

// dispose(id) → true; closes the model and frees its GPU memory.
func (a *api) dispose(args []safejs.Value) (work, error) {
	if err := needArgs(args, 1, "dispose(id)"); err != nil {
		return nil, err
	}
	id, err := argInt(args[0], "model handle")
	if err != nil {
		return nil, err
	}
	h, err := a.models.remove(id)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return true, h.Close() }, nil // Close cancels a tuning run
}

// modelAndSize reads the arguments (id, source, width, height) that
// classify, embed and frame share: the model and the image's size.
func (a *api) modelAndSize(args []safejs.Value) (*lowformer.Model, int, int, error) {
	hd, err := a.handle(args[0])
	if err != nil {
		return nil, 0, 0, err
	}
	w, err := argInt(args[2], "width")
	if err != nil {
		return nil, 0, 0, err
	}
	h, err := argInt(args[3], "height")
	if err != nil {
		return nil, 0, 0, err
	}
	return hd, w, h, nil
}

// pixelsArg reads the RGBA pixels (Uint8Array or Uint8ClampedArray) of a
// width×height image.
func pixelsArg(v safejs.Value, width, height int) (*image.NRGBA, error) {
	if width < 1 || height < 1 { // before reading the pixels: the size is the mistake
		return nil, fmt.Errorf("lowformer: the image is %d×%d pixels; it must be at least 1×1", width, height)
	}
	pix, err := argBytes(v, "pixels")
	if err != nil {
		return nil, err
	}
	return pixelsImage(pix, width, height)
}

// handle returns the open model of the handle number v.
func (a *api) handle(v safejs.Value) (*lowformer.Model, error) {
	id, err := argInt(v, "model handle")
	if err != nil {
		return nil, err
	}
	return a.models.get(id)
}

// memory() → {heapAlloc, heapObjects, goroutines, models}: the Go heap
// after a forced garbage collection, the goroutines and the open models,
// for leak tests and diagnostics. The collection also lets finalizers
// release the JavaScript objects that dead Go values still held.
func (a *api) memory([]safejs.Value) (work, error) {
	return func() (any, error) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the finalizers run now
		runtime.GC()
		var s runtime.MemStats
		runtime.ReadMemStats(&s)
		return map[string]any{"heapAlloc": float64(s.HeapAlloc), "heapObjects": float64(s.HeapObjects),
			"goroutines": runtime.NumGoroutine(), "models": a.models.count()}, nil
	}, nil
}
