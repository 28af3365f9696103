// Browser tests of the JS API (web/lowformer.js + lowformer.wasm) in headless
// Chromium on a real WebGPU adapter: reference logits from .pt and
// .safetensors on the main thread, in a Worker and on the CPU path,
// classification against the PIL reference crop, every image source kind,
// the Cache API, and clear rejections for bad weights, images and calls.
//
//   make web && node --test --test-concurrency=1 web/test/*.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';

const TOL = 2e-4; // max-abs logits tolerance of the spec
const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);
const haveShared = (v) => existsSync(join(h.sharedDir, v, 'evalmodel.pt'));
const noShared = (v) => (haveShared(v) ? false : `no reference data at ${join(h.sharedDir, v)} (../shared relative to the repository)`);
const noImages = existsSync(join(h.imagesDir, 'chelsea_420.jpg')) ? false : `no fixture images in ${h.imagesDir}`;

describe('lowformer.js in Chromium', { skip: why || false }, () => {
  let srv;
  let ctx;
  let page; // main-thread page holding the b0 model (window.m)

  before(async () => {
    h.ensureSafetensors(['b0', 'E1']);
    srv = await h.startServer();
    ctx = await h.launchBrowser();
    page = await h.openPage(ctx, `${srv.url}/test.html`);
    const adapter = await h.adapterInfo(page);
    console.log(`# WebGPU adapter: ${adapter ?? 'none'} (${process.env.LOWFORMER_WEBGPU_ADAPTER || 'lavapipe'} flags)`);
    assert.ok(adapter, 'Chromium offers no WebGPU adapter: the GPU tests need one');
  });

  after(async () => {
    if (page) {
      const errors = page.log.filter((l) => l.startsWith('[pageerror]') || /fatal error|panic:|\[gpu-uncaptured\]/.test(l));
      assert.deepEqual(errors, [], 'the page logged uncaught errors, uncaptured WebGPU errors or a Go panic');
    }
    await ctx?.close();
    await srv?.close();
  });

  describe('main thread', () => {
    it('b0 .pt: GPU logits of the reference batch match, from page load to first logits', { skip: noShared('b0'), timeout: 300000 }, async (t) => {
      const r = await page.evaluate(async () => {
        const t0 = performance.now();
        const phases = new Set();
        window.m = await LowFormer.load({ weights: '/shared/b0/evalmodel.pt', onProgress: (p) => phases.add(p.phase) });
        const loaded = performance.now();
        const loadInfo = { start: window.m.info.start, phase: window.m.info.phase };
        const c = await checkLogits(window.m, 'b0', 2);
        const first = performance.now();
        const again = await checkLogits(window.m, 'b0', 2);
        // The progressive start's swap: the specialized plans give the same logits.
        await window.m.waitSpecialized();
        const swapped = performance.now();
        const spec = await checkLogits(window.m, 'b0', 2);
        return { info: { ...window.m.info, labels: window.m.info.labels.length }, loadInfo, c, again, spec, sincePageLoad: first, load: loaded - t0,
          specializedAfter: swapped - t0, phases: [...phases], timings: window.m.timings };
      });
      t.diagnostic(`adapter ${r.info.adapter}; load ${r.load.toFixed(0)} ms; page load → first logits ${r.sincePageLoad.toFixed(0)} ms; first batch-2 run ${r.c.ms.toFixed(0)} ms, second ${r.again.ms.toFixed(0)} ms; max |Δ| ${r.c.maxAbs.toExponential(2)}`);
      console.log(`# b0 main: page load → first logits ${(r.sincePageLoad / 1000).toFixed(1)} s, steady batch-2 ${r.again.ms.toFixed(0)} ms, max |Δ| ${r.c.maxAbs.toExponential(2)}, adapter ${r.info.adapter}; specialized ${(r.specializedAfter / 1000).toFixed(1)} s after load began, then batch-2 ${r.spec.ms.toFixed(0)} ms, max |Δ| ${r.spec.maxAbs.toExponential(2)}`);
      assert.equal(r.info.backend, 'gpu', 'Auto should pick the WebGPU adapter');
      assert.deepEqual(r.phases, ['download', 'init', 'compile', 'specializing', 'ready', 'specialized'],
        'load warms the generic pipelines up by default, the specialized ones follow in the background');
      assert.deepEqual(r.loadInfo, { start: 'progressive', phase: 'specializing' }, 'after the warm-up the specialized pipelines compile');
      assert.equal(r.info.phase, 'specialized', 'info.phase after waitSpecialized');
      assert.ok(r.spec.maxAbs <= TOL, `after the swap: max |Δ| = ${r.spec.maxAbs} > ${TOL}`);
      assert.ok(r.spec.argmaxOk);
      assert.ok(r.timings.warmup > 0 && r.timings.total >= r.timings.warmup, `timings ${JSON.stringify(r.timings)}`);
      assert.match(r.info.adapter, /\S/);
      assert.equal(r.info.variant, 'B0');
      assert.equal(r.info.classes, 1000);
      assert.equal(r.info.labels, 1000);
      assert.equal(r.info.format, 'pytorch');
      assert.equal(r.c.length, 2000);
      assert.ok(r.c.maxAbs <= TOL, `max |Δ| = ${r.c.maxAbs} > ${TOL}`);
      assert.ok(r.c.argmaxOk);
      assert.ok(r.again.maxAbs <= TOL, `second run: max |Δ| = ${r.again.maxAbs}`);
    });

    // kernels: the GPU kernel set ('gpu' forces the GPU-shaped one; auto picks 'cpu' on lavapipe).
    // start: 'specialized' compiles the specialized pipelines before the first result.
    for (const [variant, file, kernels, start] of [['b0', 'b0.safetensors'], ['E1', 'evalmodel.pt'], ['E1', 'E1.safetensors'], ['b0', 'b0.safetensors', 'gpu'], ['E1', 'E1.safetensors', 'gpu'], ['E1', 'E1.safetensors', undefined, 'specialized']]) {
      it(`${variant} ${file}${kernels ? `, kernels ${kernels}` : ''}${start ? `, start ${start}` : ''}: GPU logits match`, { skip: noShared(variant), timeout: 300000 }, async (t) => {
        const url = file.endsWith('.pt') ? `/shared/${variant}/${file}` : `/fixtures/${file}`;
        const r = await page.evaluate(async ([url, variant, kernels, start]) => {
          const phases = new Set();
          const m = await LowFormer.load({ weights: url, cache: false, warmup: false, kernels, start, onProgress: (p) => phases.add(p.phase) });
          try {
            const info = { ...m.info, labels: 0 };
            const c = await checkLogits(m, variant, 2);
            return { info, c, phases: [...phases], phaseAfter: m.info.phase };
          } finally {
            await m.dispose();
          }
        }, [url, variant, kernels, start]);
        t.diagnostic(`${r.info.variant} ${r.info.format} on ${r.info.adapter}, kernels ${r.info.kernels} (${r.info.kernelsReason}): ${r.c.ms.toFixed(0)} ms, max |Δ| ${r.c.maxAbs.toExponential(2)}`);
        assert.equal(r.info.backend, 'gpu');
        if (kernels) {
          assert.equal(r.info.kernels, kernels);
          assert.match(r.info.kernelsReason, /^forced by Options\.Kernels/);
        } else {
          assert.equal(r.info.kernels, 'cpu', `auto on a CPU adapter: ${r.info.kernelsReason}`);
          assert.match(r.info.kernelsReason, /^auto: /);
        }
        assert.ok(!r.phases.includes('compile'), `warmup: false still compiled during load: ${r.phases}`);
        assert.equal(r.info.prestarted, true, 'the load took the device and pipelines prestarted while the weights downloaded');
        assert.deepEqual([r.info.start, r.info.phase], start ? ['specialized', 'specialized'] : ['progressive', 'generic'], 'start and phase after a load without warm-up');
        if (!start) {
          // The first result started the specialization: info.phase and the events say so.
          assert.ok(['specializing', 'specialized'].includes(r.phaseAfter), `info.phase ${r.phaseAfter} after the first result`);
          assert.ok(r.phases.includes('specializing'), `no 'specializing' event after the first result: ${r.phases}`);
        }
        assert.equal(r.info.variant.toLowerCase(), variant.toLowerCase());
        assert.equal(r.info.format, file.endsWith('.pt') ? 'pytorch' : 'safetensors');
        assert.ok(r.c.maxAbs <= TOL, `max |Δ| = ${r.c.maxAbs} > ${TOL}`);
        assert.ok(r.c.argmaxOk);
      });
    }

    it('the Cache API keeps downloaded weights keyed by URL and size', { skip: noShared('b0') }, async () => {
      const keys = await page.evaluate(async () => (await (await caches.open('lowformer-weights-v1')).keys()).map((r) => r.url));
      assert.equal(keys.length, 1, `cache keys: ${keys}`);
      assert.match(keys[0], /\/shared\/b0\/evalmodel\.pt\?lowformer-size=56570373$/);
    });

    it('CPU backend (pure Go in wasm), batch 1, from the cache; then clearCache', { skip: noShared('b0'), timeout: 300000 }, async (t) => {
      const r = await page.evaluate(async () => {
        const phases = new Set();
        const m = await LowFormer.load({ weights: '/shared/b0/evalmodel.pt', backend: 'cpu', onProgress: (p) => phases.add(p.phase) });
        try {
          const c = await checkLogits(m, 'b0', 1);
          const cleared = await LowFormer.clearCache();
          const left = (await (await caches.open('lowformer-weights-v1')).keys()).length;
          return { backend: m.info.backend, source: m.info.weightsSource, phases: [...phases], c, cleared, left };
        } finally {
          await m.dispose();
        }
      });
      t.diagnostic(`CPU batch-1 forward ${r.c.ms.toFixed(0)} ms, max |Δ| ${r.c.maxAbs.toExponential(2)}`);
      assert.equal(r.backend, 'cpu');
      assert.equal(r.source, 'cache');
      assert.deepEqual(r.phases, ['cache', 'init', 'ready']);
      assert.ok(r.c.maxAbs <= TOL, `max |Δ| = ${r.c.maxAbs}`);
      assert.equal(r.cleared, true);
      assert.equal(r.left, 0);
    });
  });

  describe('classify', { skip: noShared('b0') || noImages }, () => {
    it('a JPEG decoded in Go gives the probabilities of the PIL reference crop', async () => {
      const r = await page.evaluate(async () => {
        const blob = await (await fetch('/images/chelsea_420.jpg')).blob();
        const got = await window.m.classify(blob, { topK: 5 });
        // The reference: PIL's 224×224 crop, normalized as torch does, through logits.
        const ref = await window.referenceTop5(window.m, 'chelsea_420.jpg');
        return { got, ref, labels: window.m.info.labels };
      });
      assert.equal(r.got.decoder, 'go');
      assert.deepEqual([r.got.width, r.got.height], [451, 300]);
      assert.equal(r.got.predictions.length, 5);
      for (const [i, p] of r.got.predictions.entries()) {
        assert.equal(p.index, r.ref[i].index, `prediction ${i}`);
        assert.equal(p.label, r.labels[p.index]);
        assert.ok(Math.abs(p.probability - r.ref[i].probability) <= 1e-6, `prediction ${i}: ${p.probability} vs ${r.ref[i].probability}`);
      }
      for (const k of ['decode', 'preprocess', 'inference', 'postprocess', 'total']) {
        assert.ok(r.got.timings[k] >= 0, `timings.${k} = ${r.got.timings[k]}`);
      }
    });

    it('every image source kind gives the same result as the Go decoder on a lossless image', async () => {
      const r = await page.evaluate(async () => {
        const blob = await (await fetch('/images/rocket_lossless.webp')).blob();
        const m = window.m;
        const ref = await m.classify(blob, { topK: 3 });
        const img = new Image();
        img.src = URL.createObjectURL(blob);
        await img.decode();
        const bmp = await createImageBitmap(blob);
        const canvas = document.createElement('canvas');
        canvas.width = bmp.width;
        canvas.height = bmp.height;
        canvas.getContext('2d').drawImage(bmp, 0, 0);
        const off = new OffscreenCanvas(bmp.width, bmp.height);
        off.getContext('2d').drawImage(bmp, 0, 0);
        const data = canvas.getContext('2d').getImageData(0, 0, bmp.width, bmp.height);
        const sources = { browserDecoder: [blob, { decoder: 'browser' }], HTMLImageElement: [img], ImageBitmap: [bmp], HTMLCanvasElement: [canvas], OffscreenCanvas: [off], ImageData: [data] };
        const out = {};
        for (const [k, [src, o]] of Object.entries(sources)) out[k] = await m.classify(src, { topK: 3, ...o });
        return { ref, out };
      });
      assert.equal(r.ref.decoder, 'go');
      for (const [k, got] of Object.entries(r.out)) {
        assert.deepEqual([got.width, got.height], [107, 160], k);
        assert.deepEqual(got.predictions.map((p) => p.index), r.ref.predictions.map((p) => p.index), k);
        for (const [i, p] of got.predictions.entries()) {
          assert.ok(Math.abs(p.probability - r.ref.predictions[i].probability) <= 1e-6, `${k}: ${p.probability} vs ${r.ref.predictions[i].probability}`);
        }
      }
    });

    it('formats Go cannot read fall back to the browser decoder', async () => {
      const r = await page.evaluate(async () => {
        // An .ico holding a PNG: Chromium decodes it, Go does not.
        const c = new OffscreenCanvas(64, 48);
        const g = c.getContext('2d');
        g.fillStyle = '#d84'; g.fillRect(0, 0, 64, 48); g.fillStyle = '#248'; g.fillRect(16, 12, 32, 24);
        const png = new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
        const ico = new Uint8Array(22 + png.length);
        const dv = new DataView(ico.buffer);
        dv.setUint16(2, 1, true); dv.setUint16(4, 1, true);
        ico[6] = 64; ico[7] = 48; dv.setUint16(10, 1, true); dv.setUint16(12, 32, true);
        dv.setUint32(14, png.length, true); dv.setUint32(18, 22, true);
        ico.set(png, 22);
        const viaIco = await window.m.classify(new Blob([ico], { type: 'image/x-icon' }));
        const viaPng = await window.m.classify(new Blob([png], { type: 'image/png' }));
        return { viaIco, viaPng };
      });
      assert.equal(r.viaIco.decoder, 'browser');
      assert.equal(r.viaPng.decoder, 'go');
      assert.deepEqual(r.viaIco.predictions.map((p) => p.index), r.viaPng.predictions.map((p) => p.index));
    });
  });

  describe('errors reject with clear messages and the page keeps working', { skip: noShared('b0') || noImages }, () => {
    const cases = [
      ['weights of random bytes', `LowFormer.load({ weights: new Uint8Array(4096).map((_, i) => (i * 7919) % 251) })`, /lowformer: .*(not|unknown|format|checkpoint)/i],
      ['an image given as weights', `fetch('/images/chelsea_420.jpg').then((r) => r.blob()).then((b) => LowFormer.load({ weights: b }))`, /lowformer: /],
      ['a truncated checkpoint', `fetch('/shared/b0/evalmodel.pt').then((r) => r.arrayBuffer()).then((b) => LowFormer.load({ weights: b.slice(0, 1 << 20) }))`, /lowformer: /],
      ['empty weights', `LowFormer.load({ weights: new ArrayBuffer(0) })`, /lowformer: the weights are empty/],
      ['a missing weights URL', `LowFormer.load({ weights: '/shared/nope/evalmodel.pt' })`, /lowformer: cannot download .*HTTP 404/],
      ['weights of a wrong type', `LowFormer.load({ weights: 42 })`, /weights must be a URL string, File, Blob/],
      ['no options', `LowFormer.load()`, /needs options.weights/],
      ['an unknown backend', `LowFormer.load({ weights: new Uint8Array(8), backend: 'tpu' })`, /unknown backend "tpu"/],
      ['an unknown kernel set', `LowFormer.load({ weights: new Uint8Array(8), kernels: 'fast' })`, /unknown kernel set "fast" \(want auto, cpu or gpu\)/],
      ['a corrupt JPEG', `fetch('/images/chelsea_420.jpg').then((r) => r.arrayBuffer()).then((b) => m.classify(new Blob([b.slice(0, 2000)], { type: 'image/jpeg' })))`, /lowformer: .*(unreadable|truncated|EOF)/i],
      ['bytes that are no image', `m.classify(new Blob([new Uint8Array(500).fill(7)]))`, /lowformer: the browser cannot decode this image/],
      ['an empty canvas', `m.classify(Object.assign(document.createElement('canvas'), { width: 0, height: 0 }))`, /0×0 pixels/],
      ['an image without src', `m.classify(new Image())`, /0×0 pixels/],
      ['a plain object', `m.classify({})`, /the image must be an HTMLImageElement/],
      ['a negative topK', `fetch('/images/coffee.bmp').then((r) => r.blob()).then((b) => m.classify(b, { topK: -2 }))`, /topK must be a positive integer/],
      ['a fractional topK', `m.classify(new ImageData(8, 8), { topK: 1.5 })`, /topK: want an integer/],
      ['logits with a 3-number shape', `m.logits(new Float32Array(3 * 64 * 64), [3, 64, 64])`, /shape must be \[n,3,h,w\]/],
      ['logits with a wrong length', `m.logits(new Float32Array(100), [1, 3, 224, 224])`, /needs 150528 values, the input has 100/],
      ['logits with NaN', `m.logits(new Float32Array(3 * 64 * 64).fill(NaN), [1, 3, 64, 64])`, /input value 0 .*is NaN; inputs must be finite/],
      ['logits with a tiny image', `m.logits(new Float32Array(3 * 8 * 8), [1, 3, 8, 8])`, /h, w ≥ 32/],
      ['logits of a Float64Array', `m.logits(new Float64Array(3 * 64 * 64), [1, 3, 64, 64])`, /must be a Float32Array/],
      ['Go: zero-size pixels', `__lowformer.classify(m.__id ?? 1, new Uint8Array(0), 0, 0)`, /at least 1×1/],
      ['Go: short pixel buffer', `__lowformer.classify(1, new Uint8Array(10), 4, 4)`, /need 64 bytes, got 10/],
      ['Go: unknown handle', `__lowformer.logits(999, new Float32Array(12), [1, 3, 2, 2])`, /no model with handle 999/],
      ['Go: missing arguments', `__lowformer.load()`, /usage: load/],
      ['Go: a string as weights', `__lowformer.load('evalmodel.pt')`, /weights must be a Uint8Array.*got a string/],
    ];
    for (const [name, expr, want] of cases) {
      it(name, async () => {
        const r = await page.evaluate(`outcome((async () => ${expr})())`);
        assert.equal(r.ok, false, `${name}: resolved instead of rejecting`);
        assert.match(r.message, want, `${name}: message ${JSON.stringify(r.message)}`);
      });
    }

    it('after all of them the model still classifies, and a disposed model says so', async () => {
      const r = await page.evaluate(async () => {
        const blob = await (await fetch('/images/coffee.bmp')).blob();
        const ok = await outcome(window.m.classify(blob));
        const m2 = await LowFormer.load({ weights: '/fixtures/b0.safetensors', backend: 'cpu', cache: false });
        await m2.dispose();
        await m2.dispose(); // twice is fine
        const afterDispose = await outcome(m2.logits(new Float32Array(3 * 32 * 32), [1, 3, 32, 32]));
        const goDisposed = await outcome(__lowformer.logits(2, new Float32Array(3 * 32 * 32), [1, 3, 32, 32]));
        return { ok, afterDispose, goDisposed };
      });
      assert.equal(r.ok.ok, true, r.ok.message);
      assert.equal(r.ok.value.predictions.length, 5);
      assert.match(r.afterDispose.message, /has been disposed/);
      assert.equal(r.goDisposed.ok, false);
      assert.match(r.goDisposed.message, /(has been disposed|no model with handle)/);
    });
  });

  describe('worker', { skip: noShared('b0') || noImages }, () => {
    it('b0 .safetensors in a Worker: logits, classify, errors, dispose', { timeout: 300000 }, async (t) => {
      const r = await page.evaluate(async () => {
        const progress = [];
        const w = await LowFormer.load({ weights: '/fixtures/b0.safetensors', worker: true, onProgress: (p) => progress.push(p.phase) });
        const c = await checkLogits(w, 'b0', 2);
        const blob = await (await fetch('/images/rocket_lossless.webp')).blob();
        const img = new Image();
        img.src = URL.createObjectURL(blob);
        await img.decode();
        const inWorker = await w.classify(blob, { topK: 3 });
        const fromElement = await w.classify(img, { topK: 3 });
        const onMain = await window.m.classify(blob, { topK: 3 });
        const bad = await outcome(w.logits(new Float32Array(10), [1, 3, 224, 224]));
        const badImage = await outcome(w.classify(new Blob([new Uint8Array(64)])));
        const stillOk = await outcome(w.classify(blob, { topK: 1 }));
        await w.dispose();
        const afterDispose = await outcome(w.classify(blob));
        return { info: { ...w.info, labels: w.info.labels.length }, c, inWorker, fromElement, onMain, bad, badImage, stillOk, afterDispose, progress: [...new Set(progress)] };
      });
      t.diagnostic(`worker on ${r.info.adapter}: batch-2 ${r.c.ms.toFixed(0)} ms, max |Δ| ${r.c.maxAbs.toExponential(2)}`);
      assert.equal(r.info.worker, true);
      assert.equal(r.info.backend, 'gpu');
      assert.equal(r.info.format, 'safetensors');
      assert.equal(r.info.labels, 1000);
      assert.deepEqual(r.progress.filter((p) => p !== 'specialized'), ['download', 'init', 'compile', 'specializing', 'ready']);
      assert.ok(r.c.maxAbs <= TOL, `max |Δ| = ${r.c.maxAbs}`);
      assert.ok(r.c.argmaxOk);
      for (const got of [r.inWorker, r.fromElement]) {
        assert.deepEqual(got.predictions.map((p) => p.index), r.onMain.predictions.map((p) => p.index));
        for (const [i, p] of got.predictions.entries()) assert.ok(Math.abs(p.probability - r.onMain.predictions[i].probability) <= 1e-6);
      }
      assert.equal(r.inWorker.decoder, 'go');
      assert.equal(r.fromElement.decoder, 'pixels');
      assert.match(r.bad.message, /needs 150528 values, the input has 10/);
      assert.match(r.badImage.message, /cannot decode this image/);
      assert.equal(r.stillOk.ok, true, r.stillOk.message);
      assert.match(r.afterDispose.message, /has been disposed/);
    });

    it('E1 .pt in a Worker: logits match', { skip: noShared('E1'), timeout: 300000 }, async (t) => {
      const r = await page.evaluate(async () => {
        const w = await LowFormer.load({ weights: '/shared/E1/evalmodel.pt', worker: true, cache: false });
        try {
          return { info: { ...w.info, labels: 0 }, c: await checkLogits(w, 'E1', 2) };
        } finally {
          await w.dispose();
        }
      });
      t.diagnostic(`E1 worker: batch-2 ${r.c.ms.toFixed(0)} ms, max |Δ| ${r.c.maxAbs.toExponential(2)}`);
      assert.equal(r.info.variant, 'E1');
      assert.equal(r.info.worker, true);
      assert.ok(r.c.maxAbs <= TOL, `max |Δ| = ${r.c.maxAbs}`);
    });

    it('a worker script that cannot start rejects clearly', async () => {
      const r = await page.evaluate(() => outcome(LowFormer.load({ weights: new Uint8Array(8), worker: true, workerURL: '/nope-worker.js' })));
      assert.equal(r.ok, false);
      assert.match(r.message, /lowformer: the worker failed/);
    });
  });
});
