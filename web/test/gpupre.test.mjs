// preprocess: 'gpu' in Chromium: the GPU preprocessing (copyExternalImageToTexture, Pillow's
// bicubic resize, crop and normalization in WGSL) writes the CPU path's model input from the same
// RGBA pixels (within 1/255 of a [0,1] pixel value) for the repository's photos at several sizes,
// from an ImageBitmap, a canvas, a GPUTexture and a GPUBuffer of the model's device; classify and
// embed give the CPU path's results; camera frames, whose pixels both paths now read with
// VideoFrame.copyTo (the GPU path only the part its resize reads), give drawImage's pixels and the
// CPU path's input; and the per-frame preprocessing time of 640×480 frames on both paths is
// reported, with classifyStream's frames per second.
//
// What each side of the timing includes (the same camera frames, interleaved):
//   CPU path  timings.pixels + timings.preprocess of classify(video): VideoFrame.copyTo of the whole
//             frame into a new array, then Go's resize, crop and normalize (measured in Go). Not
//             included: the call into Go with its copy of the pixels, and the upload of the model
//             input, which classify counts in inference.
//   GPU path  preprocessOnly(video).timings.total: VideoFrame.copyTo of the part the resize reads
//             into an array kept across frames, queue.writeBuffer, the call into Go, the two WGSL
//             passes submitted and waited for through a one-value readback (a round trip to
//             Chromium's GPU process that a classify pays once for preprocessing and inference
//             together; an empty one is reported beside it), and back to JavaScript.
//
//   make web && node --test --test-concurrency=1 web/test/gpupre.test.mjs

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';

const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);
const noB0 = existsSync(join(h.sharedDir, 'b0', 'evalmodel.pt')) ? false : `no reference data at ${join(h.sharedDir, 'b0')}`;
const PHOTOS = ['rocket_422_progressive.jpg', 'coffee_444_progressive.jpg', 'camera_gray.jpg', 'astronaut_rgba.png'];

describe("preprocess: 'gpu' in Chromium", { skip: why || noB0 || false }, () => {
  const s = h.usePage({ args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });

  it('writes the CPU path\'s input from the same pixels: photos at several sizes, four source kinds', { timeout: 600000 }, async (t) => {
    const r = await s.page.evaluate(async (photos) => {
      window.m = await LowFormer.load({ weights: '/shared/b0/evalmodel.pt', cache: false });
      const m = window.m;
      const dev = await m.gpuDevice();
      const out = [];
      for (const name of photos) {
        const bmp0 = await createImageBitmap(await (await fetch('/images/' + name)).blob());
        for (const [w, h] of [[bmp0.width, bmp0.height], [640, 480], [333, 500], [97, 61]]) {
          const c = new OffscreenCanvas(w, h);
          const ctx = c.getContext('2d', { willReadFrequently: true });
          ctx.drawImage(bmp0, 0, 0, w, h);
          const id = ctx.getImageData(0, 0, w, h);
          for (const size of [224, 160]) {
            const cpu = await globalThis.__lowformer.preprocess(id.data, w, h, size);
            const bmp = await createImageBitmap(id, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
            const tex = dev.createTexture({ size: [w, h], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_SRC | GPUTextureUsage.COPY_DST | GPUTextureUsage.TEXTURE_BINDING });
            dev.queue.writeTexture({ texture: tex }, id.data, { bytesPerRow: 4 * w }, [w, h]);
            const buf = dev.createBuffer({ size: 4 * w * h, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
            dev.queue.writeBuffer(buf, 0, id.data);
            const std = [0.229, 0.224, 0.225];
            const kinds = [['bitmap', bmp, {}, 'copyExternalImage'], ['texture', tex, {}, 'texture'], ['buffer', buf, { width: w, height: h }, 'buffer']];
            // A canvas holds premultiplied pixels: with transparency, drawing it into another
            // canvas (as both classify paths read a canvas) changes them, so it is id's pixels
            // only when opaque (the astronaut PNG has an alpha channel; measured: 24/255 off).
            if (!name.includes('rgba')) kinds.push(['canvas', c, {}, 'canvas']);
            for (const [kind, src, opts, route] of kinds) {
              const g = await m.preprocessOnly(src, { ...opts, size, readInput: true });
              if (g.route !== route) throw new Error(`${name} from a ${kind}: route ${g.route}, want ${route}`);
              let worst = g.input.length === 4 * size * size ? 0 : Infinity;
              for (let p = 0; p < size * size; p++) {
                for (let ch = 0; ch < 3; ch++) {
                  const d = Math.abs(g.input[4 * p + ch] - cpu[ch * size * size + p]) * std[ch];
                  if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
                }
              }
              out.push({ name, w, h, size, kind, worst });
            }
            bmp.close();
            tex.destroy();
            buf.destroy();
          }
        }
        bmp0.close();
      }
      return out;
    }, PHOTOS);
    let worst = 0;
    for (const c of r) {
      worst = Math.max(worst, c.worst);
      if (!(c.worst <= 1 / 255)) assert.fail(`${c.name} at ${c.w}×${c.h} → ${c.size} from a ${c.kind}: max |Δ| ${c.worst} of a [0,1] pixel value > 1/255`);
    }
    t.diagnostic(`${r.length} cases, max |Δ| ${worst.toExponential(2)} of a [0,1] pixel value (1/255 = 3.9e-3)`);
    console.log(`# GPU preprocessing: ${r.length} cases (4 photos × 4 sizes × 2 sides × 3-4 source kinds), max |Δ| against the CPU path ${worst.toExponential(2)} of a [0,1] pixel value`);
  });

  it('classify and embed with preprocess: \'gpu\' give the CPU path\'s results', { timeout: 300000 }, async () => {
    const r = await s.page.evaluate(async () => {
      const m = window.m;
      const c = new OffscreenCanvas(640, 480);
      const ctx = c.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(await createImageBitmap(await (await fetch('/images/rocket_422_progressive.jpg')).blob()), 0, 0, 640, 480);
      const id = ctx.getImageData(0, 0, 640, 480);
      const cpu = await m.classify(id, { topK: 5 });
      const gpu = await m.classify(c, { topK: 5, preprocess: 'gpu' });
      const ec = await m.embed(id);
      const eg = await m.embed(c, { preprocess: 'gpu' });
      let d = 0;
      for (let i = 0; i < ec.embedding.length; i++) d = Math.max(d, Math.abs(ec.embedding[i] - eg.embedding[i]));
      const bad = await outcome(m.classify(new Blob([new Uint8Array(4)]), { preprocess: 'gpu' }));
      const badKind = await outcome(m.classify(c, { preprocess: 'gpuu' }));
      return { cpu: cpu.predictions, gpu: gpu.predictions, decoder: gpu.decoder, route: gpu.route, embRoute: eg.route, embDiff: d, bad, badKind };
    });
    assert.equal(r.decoder, 'gpu');
    assert.equal(r.route, 'canvas');
    assert.equal(r.embRoute, 'canvas');
    assert.deepEqual(r.gpu.map((p) => p.index), r.cpu.map((p) => p.index));
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(r.gpu[i].probability - r.cpu[i].probability) < 1e-5);
    assert.ok(r.embDiff <= 2e-4, `embedding max |Δ| ${r.embDiff}`);
    assert.match(r.bad.message, /not a file/);
    assert.match(r.badKind.message, /preprocess must be 'cpu' or 'gpu'/);
  });

  it('camera frames: the pixels both paths read (VideoFrame.copyTo) are drawImage\'s, and the GPU path writes the CPU path\'s input from them', { timeout: 300000 }, async (t) => {
    const r = await s.page.evaluate(async () => {
      const m = window.m;
      const cam = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      const v = document.createElement('video');
      Object.assign(v, { muted: true, playsInline: true, srcObject: cam });
      await v.play();
      const std = [0.229, 0.224, 0.225];
      const out = [];
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => v.requestVideoFrameCallback(r));
        let vf = new VideoFrame(v);
        let [w, h] = [640, 480];
        if (i === 4) { // a frame whose visible part does not start at the coded frame's corner
          const whole = vf;
          [w, h] = [600, 452];
          vf = new VideoFrame(whole, { visibleRect: { x: 20, y: 14, width: w, height: h } });
          whole.close();
        }
        const c = new OffscreenCanvas(w, h);
        const ctx = c.getContext('2d', { willReadFrequently: true });
        ctx.drawImage(vf, 0, 0);
        const id = ctx.getImageData(0, 0, w, h); // the route before VideoFrame.copyTo
        const cpu = await globalThis.__lowformer.preprocess(id.data, w, h, 224);
        const g = await m.preprocessOnly(vf, { readInput: true });
        let worst = g.input.length === 4 * 224 * 224 ? 0 : Infinity;
        for (let p = 0; p < 224 * 224; p++) {
          for (let ch = 0; ch < 3; ch++) {
            const d = Math.abs(g.input[4 * p + ch] - cpu[ch * 224 * 224 + p]) * std[ch];
            if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
          }
        }
        // The CPU path's classify of the frame against the same pixels given as ImageData.
        const a = await m.classify(vf, { topK: 3 });
        const b = await m.classify(id, { topK: 3 });
        const dp = Math.max(...a.predictions.map((p, k) => (p.index === b.predictions[k].index ? Math.abs(p.probability - b.predictions[k].probability) : Infinity)));
        out.push({ worst, dp, route: g.route, format: vf.format, rect: `${vf.visibleRect.x},${vf.visibleRect.y} ${w}×${h}` });
        vf.close();
      }
      cam.getTracks().forEach((tr) => tr.stop());
      return out;
    });
    for (const c of r) {
      assert.ok(c.worst <= 1 / 255, `GPU input from a ${c.format} camera frame (visible ${c.rect}) against the CPU path's from drawImage's pixels: max |Δ| ${c.worst}`);
      assert.equal(c.dp, 0, 'classify of a VideoFrame (copyTo pixels) and of drawImage\'s ImageData differ');
      // The GPU path read the frame with VideoFrame.copyTo, not drawImage (which it falls back to).
      assert.equal(c.route, 'copyTo', `GPU pixels of a ${c.format} camera frame (visible ${c.rect})`);
    }
    t.diagnostic(`${r.length} ${r[0].format} camera frames (one with its visible part at ${r[4].rect}): GPU input max |Δ| ${Math.max(...r.map((c) => c.worst)).toExponential(2)}; CPU classify identical`);
  });

  it('times 640×480 camera frames (fake camera): preprocessing and classify, CPU path against GPU, built-in model and B0', { timeout: 600000 }, async (t) => {
    const r = await s.page.evaluate(async () => {
      const cam = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      const v = document.createElement('video');
      Object.assign(v, { muted: true, playsInline: true, srcObject: cam });
      await v.play();
      const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
      const out = {};
      for (const [name, weights] of [['built-in', '/pretrained/fashion_mnist.safetensors'], ['B0', '/shared/b0/evalmodel.pt']]) {
        const m = name === 'B0' ? window.m : await LowFormer.load({ weights, cache: false });
        // Timed on the specialized plan: while a progressive start specializes, the background
        // compiles share lavapipe with the GPU path's passes.
        await m.waitSpecialized();
        const routes = new Set();
        const x = { cpuPre: [], cpuPixels: [], gpuPre: [], cpuE2E: [], gpuE2E: [], pixels: [], upload: [], passes: [], bridge: [], emptyRT: [], viaBitmap: [], bitmapUpload: [], copyVideo: [] };
        // An empty submit waited for as preprocessOnly waits (a one-value readback): the round trip
        // to Chromium's GPU process that "passes" includes and that a classify pays once, for
        // preprocessing and inference together.
        const dev = await m.gpuDevice();
        const one = dev.createBuffer({ size: 4, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.STORAGE });
        const rb = dev.createBuffer({ size: 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
        const roundTrip = async () => {
          const t0 = performance.now();
          const e = dev.createCommandEncoder();
          e.copyBufferToBuffer(one, 0, rb, 0, 4);
          dev.queue.submit([e.finish()]);
          await rb.mapAsync(GPUMapMode.READ);
          rb.unmap();
          return performance.now() - t0;
        };
        // copyExternalImageToTexture straight from the video into a texture the resize pass could
        // read, waited for the same way.
        const tex = dev.createTexture({ size: [640, 480], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.COPY_SRC | GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.RENDER_ATTACHMENT });
        const copyVideo = async () => {
          const t0 = performance.now();
          dev.queue.copyExternalImageToTexture({ source: v }, { texture: tex, premultipliedAlpha: false }, [640, 480]);
          const e = dev.createCommandEncoder();
          e.copyTextureToBuffer({ texture: tex }, { buffer: rb, bytesPerRow: 256 }, [1, 1]);
          dev.queue.submit([e.finish()]);
          await rb.mapAsync(GPUMapMode.READ);
          rb.unmap();
          return performance.now() - t0;
        };
        for (let i = 0; i < 9; i++) { // interleaved, a new camera frame each time
          await new Promise((r) => v.requestVideoFrameCallback(r));
          const a = await m.classify(v);
          x.cpuPre.push(a.timings.pixels + a.timings.preprocess);
          x.cpuPixels.push(a.timings.pixels);
          x.cpuE2E.push(a.timings.total);
          await new Promise((r) => v.requestVideoFrameCallback(r));
          const gr = await m.preprocessOnly(v);
          routes.add(gr.route);
          const g = gr.timings;
          x.gpuPre.push(g.total);
          x.pixels.push(g.pixels);
          x.upload.push(g.upload);
          x.passes.push(g.passes);
          x.bridge.push(g.total - g.pixels - g.upload - g.passes);
          x.emptyRT.push(await roundTrip());
          // The path before the pixels route: an ImageBitmap of the frame copied with
          // copyExternalImageToTexture (still the path of an ImageBitmap source).
          await new Promise((r) => v.requestVideoFrameCallback(r));
          const t0 = performance.now();
          const bmp = await createImageBitmap(v);
          const gb = (await m.preprocessOnly(bmp)).timings;
          x.viaBitmap.push(performance.now() - t0);
          x.bitmapUpload.push(gb.upload);
          bmp.close();
          if (i < 3) { // slow (40+ ms): three are enough to show it
            await new Promise((r) => v.requestVideoFrameCallback(r));
            x.copyVideo.push(await copyVideo());
          }
          await new Promise((r) => v.requestVideoFrameCallback(r));
          const ge = await m.classify(v, { preprocess: 'gpu' });
          routes.add(ge.route);
          x.gpuE2E.push(ge.timings.total);
        }
        out[name] = Object.fromEntries(Object.entries(x).map(([k, a]) => [k, med(a)]));
        out[name].side = m.info.inputSize;
        out[name].routes = [...routes];
        // End to end: classifyStream on the camera for 5 s with each preprocessing, frames per
        // second of results (stale frames dropped).
        for (const preprocess of ['cpu', 'gpu']) {
          let n = 0;
          const hd = m.classifyStream(v, () => { n++; }, { preprocess, topK: 1 });
          await new Promise((r) => setTimeout(r, 5000));
          out[name][`fps_${preprocess}`] = hd.stats().fps;
          out[name][`results_${preprocess}`] = n;
          await hd.stop();
        }
        one.destroy();
        rb.destroy();
        tex.destroy();
        if (m !== window.m) await m.dispose();
      }
      cam.getTracks().forEach((tr) => tr.stop());
      return out;
    });
    for (const [name, x] of Object.entries(r)) {
      const msg = `${name} at ${x.side}, 640×480 camera frames, medians of 9 interleaved: preprocessing CPU path (pixels ${x.cpuPixels.toFixed(1)} ms + Go resize/crop/normalize) ${x.cpuPre.toFixed(1)} ms, GPU (pixels+upload+WGSL passes waited for+bridge) ${x.gpuPre.toFixed(1)} ms (${(x.gpuPre / x.cpuPre).toFixed(2)}×); classify end to end ${x.cpuE2E.toFixed(0)} ms CPU-preprocessed, ${x.gpuE2E.toFixed(0)} ms GPU-preprocessed`;
      const parts = `${name}: GPU preprocessing per frame, medians: pixels (VideoFrame.copyTo) ${x.pixels.toFixed(1)} ms, upload (writeBuffer) ${x.upload.toFixed(1)} ms, WGSL passes submitted and waited for ${x.passes.toFixed(1)} ms (an empty submit waited for the same way: ${x.emptyRT.toFixed(1)} ms), JS↔Go bridge and promise ${x.bridge.toFixed(1)} ms; copyExternalImageToTexture straight from the video, waited for: ${x.copyVideo.toFixed(1)} ms; the ImageBitmap + copyExternalImageToTexture route ${x.viaBitmap.toFixed(1)} ms (its copy call ${x.bitmapUpload.toFixed(1)} ms)`;
      const fps = `${name}: classifyStream on the camera, 5 s each: ${x.fps_cpu.toFixed(1)} fps (${x.results_cpu} results) with the CPU preprocessing, ${x.fps_gpu.toFixed(1)} fps (${x.results_gpu} results) with the GPU's`;
      for (const line of [msg, parts, fps]) {
        t.diagnostic(line);
        console.log('# ' + line);
      }
      assert.ok(x.gpuPre > 0 && x.cpuPre > 0);
      // The GPU side timed the copyTo route (not its drawImage fallback) on every frame.
      assert.deepEqual(x.routes, ['copyTo'], `${name}: routes of the timed GPU frames`);
      assert.ok(x.results_cpu > 0 && x.results_gpu > 0, 'classifyStream gave no result');
    }
  });
});
