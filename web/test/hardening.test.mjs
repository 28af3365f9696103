// Hardening of lowformer.js + lowformer.wasm in headless Chromium on the
// real WebGPU adapter, with the small embedded Fashion-MNIST model
// (pretrained/, 4 MB, 48×48; reference: PyTorch's logits of its samples):
//
//   - device loss: after GPUDevice.destroy() the next calls reject with an
//     Error naming the lost device, other models and the Go runtime live
//     on, and a fresh load gives the reference logits again;
//   - bad calls (disposed model, wrong shapes, NaN/±Inf, 0×0 images, Blobs
//     that are no image) reject clearly, concurrent calls (valid and
//     invalid, batch 1 and 2) give the reference results, and the Go
//     runtime never stops;
//   - leaks: 200 classify calls and 20 load/dispose cycles leave the JS
//     heap (after a forced GC), the wasm memory and the live GPU objects
//     flat. GPU objects are counted by wrapping the WebGPU prototypes
//     (gpucount.mjs); every dispose must destroy its device.
//
//   make web && cd web && node --test test/hardening.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';
import { instrumentGPU } from './gpucount.mjs';

const TOL = 1e-4; // max |Δ| of the logits against PyTorch (pretrained/README.md)
const MB = 1 << 20;
const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);
const noModel = existsSync(join(h.pretrainedDir, 'fashion_mnist.safetensors')) ? false : `no ${join(h.pretrainedDir, 'fashion_mnist.safetensors')}`;

// Page-side helpers, installed once the module is ready: the reference data
// and checks that keep the arrays inside the page.
function installHelpers() {
  const side = 48;
  const per = 3 * side * side;
  const classes = 10;
  window.fm = {
    url: '/pretrained/fashion_mnist.safetensors',
    load: (opts = {}) => LowFormer.load({ weights: window.fm.bytes ?? window.fm.url, cache: false, ...opts }),
    async init() {
      // preprocessed.f32: images 0-2 as the engine's preprocessing makes them;
      // torch_logits.f32: PyTorch's logits of all 300 samples.
      window.fm.x = await f32('/pretrained/testdata/preprocessed.f32');
      window.fm.ref = await f32('/pretrained/testdata/torch_logits.f32');
      const r = await fetch('/pretrained/fashion_mnist_samples.bin');
      window.fm.samples = new Uint8Array(await r.arrayBuffer());
      window.fm.bytes = new Uint8Array(await (await fetch(window.fm.url)).arrayBuffer());
    },
    // batch of the preprocessed images idx → [input, shape]
    batch(idx) {
      const x = new Float32Array(idx.length * per);
      idx.forEach((k, i) => x.set(window.fm.x.subarray(k * per, (k + 1) * per), i * per));
      return [x, [idx.length, 3, side, side]];
    },
    // max |Δ| of logits y of images idx against PyTorch (Infinity on a wrong length or NaN)
    maxDiff(y, idx) {
      if (!(y instanceof Float32Array) || y.length !== idx.length * classes) return Infinity;
      let m = 0;
      idx.forEach((k, i) => {
        for (let c = 0; c < classes; c++) {
          const d = Math.abs(y[i * classes + c] - window.fm.ref[k * classes + c]);
          if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
        }
      });
      return m;
    },
    // sample k (28×28 gray) as RGBA ImageData
    image(k) {
      const n = 28 * 28;
      const d = new ImageData(28, 28);
      for (let i = 0; i < n; i++) {
        const g = window.fm.samples[k * n + i];
        d.data.set([g, g, g, 255], 4 * i);
      }
      return d;
    },
    // PyTorch's class and probability for sample k
    expect(k) {
      const row = Array.from(window.fm.ref.subarray(k * classes, (k + 1) * classes));
      const hi = Math.max(...row);
      const e = row.map((v) => Math.exp(v - hi));
      const s = e.reduce((a, b) => a + b, 0);
      const index = row.indexOf(hi);
      return { index, probability: e[index] / s };
    },
    // whether a classify result agrees with PyTorch on sample k
    agrees(r, k) {
      const want = window.fm.expect(k);
      const p = r?.predictions?.[0];
      return !!p && p.index === want.index && Math.abs(p.probability - want.probability) <= 1e-4;
    },
    // The Go heap after a forced Go GC (which also lets Go release the JS
    // objects its dead values held), then the JS heap after forced GCs, the
    // wasm memory and the live GPU objects.
    async measure() {
      const go = await __lowformer.memory();
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      return {
        heap: performance.memory.usedJSHeapSize,
        wasm: globalThis.wasm.instance.exports.mem.buffer.byteLength,
        go,
        gpu: window.__gpu.snapshot(),
      };
    },
  };
  return window.fm.init();
}

describe('hardening of lowformer.js (Fashion-MNIST model)', { skip: why || noModel }, () => {
  let srv;
  let ctx;
  let page;

  before(async () => {
    srv = await h.startServer();
    // --expose-gc: gc() in the page; precise memory info: usedJSHeapSize
    // to the byte instead of coarse buckets.
    ctx = await h.launchBrowser({ args: ['--js-flags=--expose-gc', '--enable-precise-memory-info'] });
    await ctx.addInitScript(instrumentGPU);
    page = await h.openPage(ctx, `${srv.url}/test.html`);
    assert.ok(await h.adapterInfo(page), 'Chromium offers no WebGPU adapter: the GPU tests need one');
    await page.evaluate(installHelpers);
  });

  after(async () => {
    if (page) {
      const errors = page.log.filter((l) => l.startsWith('[pageerror]') || /fatal error|panic|\[gpu-uncaptured\]|Go runtime exited/.test(l));
      assert.deepEqual(errors, [], 'the page logged uncaught errors, uncaptured WebGPU errors or a (recovered) Go panic');
    }
    await ctx?.close();
    await srv?.close();
  });

  it('survives a lost device: clear rejections, other models unaffected, a fresh load works', { timeout: 120000 }, async (t) => {
    const r = await page.evaluate(async () => {
      const [x1, s1] = fm.batch([0]);
      const [x2, s2] = fm.batch([1, 2]);
      const other = await fm.load();
      const m = await fm.load();
      const dev = __gpu.lastDevice; // m's device: loads run one at a time here
      const before = fm.maxDiff(await m.logits(x2, s2), [1, 2]);
      // A call in flight when the device goes, then calls after it.
      const inFlight = outcome(m.logits(x1, s1));
      dev.destroy();
      const lostInfo = await dev.lost;
      const calls = {
        inFlight: await inFlight,
        logits: await outcome(m.logits(x2, s2)),
        classify: await outcome(m.classify(fm.image(0))),
        classifyBlob: await outcome(m.classify(await (async () => {
          const c = new OffscreenCanvas(28, 28);
          c.getContext('2d').putImageData(fm.image(1), 0, 0);
          return c.convertToBlob({ type: 'image/png' });
        })())),
      };
      const otherAfter = fm.maxDiff(await other.logits(x2, s2), [1, 2]);
      const dispose = await outcome(m.dispose());
      const again = await outcome(m.logits(x1, s1));
      const fresh = await fm.load();
      const freshDiff = fm.maxDiff(await fresh.logits(x2, s2), [1, 2]);
      const freshClassify = fm.agrees(await fresh.classify(fm.image(3)), 3);
      await fresh.dispose();
      await other.dispose();
      const strip = (o) => ({ ok: o.ok, message: o.message });
      return {
        before, lost: { reason: lostInfo.reason, message: lostInfo.message }, otherAfter, freshDiff, freshClassify,
        calls: Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, strip(v)])),
        dispose: strip(dispose), again: strip(again), gpu: __gpu.snapshot(),
      };
    });
    for (const [k, v] of Object.entries(r.calls)) t.diagnostic(`${k} after destroy(): ${v.ok ? 'resolved' : v.message}`);
    t.diagnostic(`device lost: ${r.lost.reason} "${r.lost.message}"; other model max |Δ| ${r.otherAfter.toExponential(2)}; fresh load max |Δ| ${r.freshDiff.toExponential(2)}`);
    assert.ok(r.before <= TOL, `before the loss: max |Δ| ${r.before}`);
    assert.equal(r.lost.reason, 'destroyed');
    // The call in flight may have finished before the loss; the later ones must fail.
    if (!r.calls.inFlight.ok) assert.match(r.calls.inFlight.message, /^lowformer: the model's GPU device was lost/);
    for (const k of ['logits', 'classify', 'classifyBlob']) {
      assert.equal(r.calls[k].ok, false, `${k} after the device was destroyed resolved`);
      assert.match(r.calls[k].message, /^lowformer: the model's GPU device was lost or closed \(.*Device was destroyed.*\); dispose the model and load it again$/, k);
    }
    assert.ok(r.otherAfter <= TOL, `a model on another device broke: max |Δ| ${r.otherAfter}`);
    assert.equal(r.dispose.ok, true, `dispose of the model with the lost device: ${r.dispose.message}`);
    assert.match(r.again.message, /has been disposed/);
    assert.ok(r.freshDiff <= TOL, `fresh load after the loss: max |Δ| ${r.freshDiff}`);
    assert.ok(r.freshClassify, 'fresh load after the loss: classify disagrees with PyTorch');
    assert.equal(r.gpu.live.devices, 0, 'devices left open');
  });

  describe('bad calls reject clearly', () => {
    before(() => page.evaluate(async () => { window.bm = await fm.load(); }));
    after(() => page.evaluate(() => bm.dispose()));

    const cases = [
      // shapes
      ['a batch of 0', `bm.logits(new Float32Array(0), [0, 3, 48, 48])`, /shape \[0 3 48 48\]: every dimension must be ≥ 1/],
      ['a negative side', `bm.logits(new Float32Array(3 * 48 * 48), [1, 3, -48, -48])`, /lowformer: .*shape/],
      ['4 channels', `bm.logits(new Float32Array(4 * 48 * 48), [1, 4, 48, 48])`, /lowformer: .*3/],
      ['a fractional batch', `bm.logits(new Float32Array(3 * 48 * 48), [1.5, 3, 48, 48])`, /want an integer, got 1.5/],
      ['a shape of strings', `bm.logits(new Float32Array(3 * 48 * 48), ['1', '3', '48', '48'])`, /want an integer, got a string/],
      ['a shape that overflows', `bm.logits(new Float32Array(3 * 48 * 48), [2 ** 39, 3, 16384, 16384])`, /lowformer: /],
      ['a side beyond the limit', `bm.logits(new Float32Array(3 * 32 * 16385), [1, 3, 32, 16385])`, /≤ 16384/],
      ['one value short', `bm.logits(new Float32Array(3 * 48 * 48 - 1), [1, 3, 48, 48])`, /needs 6912 values, the input has 6911/],
      ['a shape that is no array', `bm.logits(new Float32Array(3 * 48 * 48), { n: 1 })`, /shape must be an array/],
      // non-finite values, anywhere
      ['+Inf in the second image', `(() => { const x = new Float32Array(2 * 3 * 48 * 48); x[6912 + 100] = Infinity; return bm.logits(x, [2, 3, 48, 48]); })()`, /input value 7012 .*is \+Inf; inputs must be finite/],
      ['-Inf in the last value', `(() => { const x = new Float32Array(3 * 48 * 48); x[x.length - 1] = -Infinity; return bm.logits(x, [1, 3, 48, 48]); })()`, /input value 6911 .*is -Inf/],
      ['NaN in the middle', `(() => { const x = new Float32Array(3 * 48 * 48); x[3000] = NaN; return bm.logits(x, [1, 3, 48, 48]); })()`, /input value 3000 .*is NaN/],
      // empty and broken images
      ['a 0×0 ImageData-like object', `bm.classify({ data: new Uint8ClampedArray(0), width: 0, height: 0 })`, /0×0 pixels; it must be at least 1×1/],
      ['a 0×0 OffscreenCanvas', `bm.classify(new OffscreenCanvas(0, 0))`, /0×0 pixels/],
      ['a 0×0 canvas', `bm.classify(Object.assign(document.createElement('canvas'), { width: 0, height: 0 }))`, /0×0 pixels/],
      ['an ImageData-like object with too few bytes', `bm.classify({ data: new Uint8ClampedArray(10), width: 4, height: 4 })`, /need 64 bytes, got 10/],
      ['a huge claimed image', `bm.classify({ data: new Uint8ClampedArray(16), width: 1e6, height: 1e6 })`, /lowformer: /],
      ['an empty Blob', `bm.classify(new Blob([]))`, /lowformer: /],
      ['text in a Blob typed image/png', `bm.classify(new Blob(['not a png at all'], { type: 'image/png' }))`, /lowformer: the browser cannot decode this image/],
      ['a PNG header and nothing else', `bm.classify(new Blob([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10])], { type: 'image/png' }))`, /lowformer: /],
      ['an image size below 32', `bm.classify(fm.image(0), { size: 8 })`, /lowformer: .*size/],
    ];
    for (const [name, expr, want] of cases) {
      it(name, async () => {
        const r = await page.evaluate(`outcome((async () => ${expr})())`);
        assert.equal(r.ok, false, `${name}: resolved instead of rejecting`);
        assert.match(r.message, /^lowformer: /, `${name}: message ${JSON.stringify(r.message)}`);
        assert.match(r.message, want, `${name}: message ${JSON.stringify(r.message)}`);
        assert.equal(r.name === 'Error' || r.name === 'TypeError', true, `${name}: ${r.name}`);
      });
    }

    it('concurrent calls: 8 logits (batch 1 and 2), classify and invalid calls at once give the right outcomes', { timeout: 60000 }, async () => {
      const r = await page.evaluate(async () => {
        const jobs = [];
        for (let i = 0; i < 8; i++) {
          const idx = i % 2 ? [i % 3, (i + 1) % 3] : [i % 3];
          const [x, s] = fm.batch(idx);
          jobs.push(['logits', idx, bm.logits(x, s)]);
        }
        for (let k = 0; k < 4; k++) jobs.push(['classify', k, bm.classify(fm.image(k), { topK: 3 })]);
        const nan = new Float32Array(3 * 48 * 48).fill(NaN);
        jobs.push(['bad', 'NaN', bm.logits(nan, [1, 3, 48, 48])]);
        jobs.push(['bad', 'shape', bm.logits(new Float32Array(5), [1, 3, 48, 48])]);
        jobs.push(['bad', 'image', bm.classify(new Blob([new Uint8Array(64).fill(3)]))]);
        const settled = await Promise.all(jobs.map(([, , p]) => outcome(p)));
        return jobs.map(([kind, what], i) => {
          const o = settled[i];
          if (kind === 'logits') return { kind, what, ok: o.ok, diff: o.ok ? fm.maxDiff(o.value, what) : o.message };
          if (kind === 'classify') return { kind, what, ok: o.ok, agrees: o.ok ? fm.agrees(o.value, what) : o.message };
          return { kind, what, ok: o.ok, message: o.message };
        });
      });
      for (const j of r) {
        if (j.kind === 'logits') {
          assert.equal(j.ok, true, `logits of ${j.what}: ${j.diff}`);
          assert.ok(j.diff <= TOL, `logits of ${j.what} run concurrently: max |Δ| ${j.diff}`);
        } else if (j.kind === 'classify') {
          assert.equal(j.agrees, true, `classify of sample ${j.what} run concurrently: ${j.agrees}`);
        } else {
          assert.equal(j.ok, false, `the bad call (${j.what}) resolved`);
          assert.match(j.message, /^lowformer: /);
        }
      }
    });

    it('calls racing dispose resolve correctly or reject clearly; later calls reject; the runtime lives on', { timeout: 60000 }, async () => {
      const r = await page.evaluate(async () => {
        const m = await fm.load();
        const [x, s] = fm.batch([0, 1]);
        await m.logits(x, s); // plan built: the racing calls are fast
        const racing = [m.logits(x, s), m.classify(fm.image(2)), m.logits(x, s)].map(outcome);
        const disposed = m.dispose();
        const late = [m.logits(x, s), m.classify(fm.image(0)), m.classify(new Blob([new Uint8Array(8)]))].map(outcome);
        await disposed;
        const outcomes = await Promise.all(racing);
        const lateOutcomes = await Promise.all(late);
        const goAfter = await outcome(__lowformer.logits(1e6, x, s));
        const final = fm.maxDiff(await bm.logits(x, s), [0, 1]);
        return {
          racing: outcomes.map((o, i) => (o.ok ? (i === 1 ? fm.agrees(o.value, 2) : fm.maxDiff(o.value, [0, 1])) : o.message)),
          late: lateOutcomes.map((o) => (o.ok ? 'resolved' : o.message)),
          goAfter: goAfter.message, final,
        };
      });
      for (const o of r.racing) {
        if (typeof o === 'string') assert.match(o, /^lowformer: .*(closed|disposed)/);
        else if (typeof o === 'boolean') assert.ok(o, 'a classify racing dispose gave a wrong result');
        else assert.ok(o <= TOL, `a logits call racing dispose: max |Δ| ${o}`);
      }
      for (const m of r.late) assert.match(m, /^lowformer: the model has been disposed$/);
      assert.match(r.goAfter, /no model with handle 1000000/);
      assert.ok(r.final <= TOL, `after everything, max |Δ| ${r.final}`);
    });
  });

  describe('leaks', () => {
    const mb = (b) => (b / MB).toFixed(2);
    const floor = (points, key) => Math.min(...points.map(key));
    const show = (p) => `heap ${mb(p.heap)} MB, Go heap ${mb(p.go.heapAlloc)} MB, ${p.go.goroutines} goroutines, wasm ${(p.wasm / MB).toFixed(1)} MB, live GPU ${JSON.stringify(p.gpu.live)}`;

    it('200 classify calls leave the JS heap, the Go heap, the wasm memory and the live GPU objects flat', { timeout: 120000 }, async (t) => {
      const r = await page.evaluate(async () => {
        const m = await fm.load();
        const blobs = [];
        for (let k = 0; k < 4; k++) {
          const c = new OffscreenCanvas(28, 28);
          c.getContext('2d').putImageData(fm.image(k), 0, 0);
          blobs.push(await c.convertToBlob({ type: 'image/png' }));
        }
        // Warm-up: plans, pipelines, both source paths, and the swap to
        // the specialized pipelines (a progressive start).
        for (let k = 0; k < 4; k++) {
          await m.classify(fm.image(k));
          await m.classify(blobs[k]);
        }
        await m.waitSpecialized();
        const points = [{ calls: 0, ...(await fm.measure()) }];
        let wrong = 0;
        let ms = 0;
        for (let i = 1; i <= 200; i++) {
          const k = i % 4;
          const t0 = performance.now();
          const res = await m.classify(i % 2 ? fm.image(k) : blobs[k]);
          ms += performance.now() - t0;
          if (!fm.agrees(res, k)) wrong++;
          if (i % 20 === 0) points.push({ calls: i, ...(await fm.measure()) });
        }
        await m.dispose();
        return { points, wrong, ms: ms / 200, afterDispose: await fm.measure() };
      });
      const { points } = r;
      const [p0, p100, p200] = [points[0], points[5], points[10]];
      for (const p of points) t.diagnostic(`after ${p.calls} classify: ${show(p)}`);
      t.diagnostic(`${r.ms.toFixed(1)} ms per classify; GPU objects created ${JSON.stringify(p200.gpu.created)}, destroyed ${JSON.stringify(p200.gpu.destroyed)}; after dispose: ${show(r.afterDispose)}`);
      const early = floor(points.slice(0, 6), (p) => p.heap);
      const late = floor(points.slice(6), (p) => p.heap);
      console.log(`# 200 classify (${r.ms.toFixed(1)} ms each): JS heap floor ${mb(early)} → ${mb(late)} MB (range ${mb(floor(points, (p) => p.heap))}–${mb(Math.max(...points.map((p) => p.heap)))}), Go heap ${mb(p0.go.heapAlloc)} → ${mb(p100.go.heapAlloc)} → ${mb(p200.go.heapAlloc)} MB, wasm ${(p0.wasm / MB).toFixed(1)} → ${(p200.wasm / MB).toFixed(1)} MB, live GPU objects ${JSON.stringify(p0.gpu.live)} → ${JSON.stringify(p200.gpu.live)}`);
      assert.equal(r.wrong, 0, `${r.wrong} of 200 classify calls disagree with PyTorch`);
      assert.ok(p0.gpu.created.buffer > 0, 'loading created no GPU buffer: the counting does not see them');
      assert.equal(p200.gpu.created.buffer - p0.gpu.created.buffer, 0, 'classify calls created GPU buffers (an inference should reuse its plan\'s buffers)');
      for (const p of points) {
        assert.deepEqual(p.gpu.live, p0.gpu.live, `after ${p.calls} calls: GPU objects accumulate`);
        // The goroutines of the calls just settled may still be exiting: a few
        // extra ones are fine, one leaked per call is not.
        assert.ok(p.go.goroutines <= p0.go.goroutines + 2, `after ${p.calls} calls: ${p.go.goroutines} goroutines, ${p0.go.goroutines} before`);
      }
      assert.ok(late - early < 0.5 * MB, `the JS heap floor rose by ${mb(late - early)} MB over 100 calls`);
      assert.ok(p200.go.heapAlloc - p100.go.heapAlloc < 0.5 * MB, `the last 100 calls grew the Go heap by ${mb(p200.go.heapAlloc - p100.go.heapAlloc)} MB`);
      assert.ok(p200.wasm - p100.wasm <= 4 * MB, `the last 100 calls grew the wasm memory by ${mb(p200.wasm - p100.wasm)} MB`);
      assert.equal(r.afterDispose.go.models, 0, 'the Go side still holds a model');
      assert.deepEqual(r.afterDispose.gpu.live, { buffer: 0, texture: 0, bindGroup: 0, bytes: 0, devices: 0 }, 'dispose left the device or GPU objects alive');
    });

    it('20 load/dispose cycles leave the JS heap, the Go heap, the wasm memory and the live GPU objects flat', { timeout: 180000 }, async (t) => {
      const r = await page.evaluate(async () => {
        const [x, s] = fm.batch([0, 1]);
        const points = [{ cycle: 0, ...(await fm.measure()) }];
        let worst = 0;
        const t0 = performance.now();
        for (let i = 1; i <= 20; i++) {
          // Odd cycles start specialized; even ones progressive, disposed
          // while their first run's background specialization is going on.
          const m = await fm.load(i % 2 ? { start: 'specialized' } : {});
          worst = Math.max(worst, fm.maxDiff(await m.logits(x, s), [0, 1]));
          const loaded = __gpu.snapshot().live;
          await m.dispose();
          points.push({ cycle: i, loaded, ...(await fm.measure()) });
        }
        return { points, worst, ms: (performance.now() - t0) / 20 };
      });
      const { points } = r;
      const [p0, p10, p20] = [points[0], points[10], points[20]];
      for (const p of points) t.diagnostic(`after ${p.cycle} cycles: ${show(p)}${p.loaded ? `; while loaded ${JSON.stringify(p.loaded)}` : ''}`);
      t.diagnostic(`${(r.ms / 1000).toFixed(2)} s per cycle; devices ${JSON.stringify(p20.gpu.devices)}; objects created ${JSON.stringify(p20.gpu.created)}, destroyed one by one ${JSON.stringify(p20.gpu.destroyed)}, freed by device.destroy ${JSON.stringify(p20.gpu.freedByDevice)}`);
      const early = floor(points.slice(1, 11), (p) => p.heap);
      const late = floor(points.slice(11), (p) => p.heap);
      console.log(`# 20 load/dispose (${(r.ms / 1000).toFixed(2)} s each): JS heap floor cycles 1-10 ${mb(early)} MB, 11-20 ${mb(late)} MB (range ${mb(floor(points, (p) => p.heap))}–${mb(Math.max(...points.map((p) => p.heap)))}), Go heap ${mb(p0.go.heapAlloc)} → ${mb(p10.go.heapAlloc)} → ${mb(p20.go.heapAlloc)} MB, wasm ${(p0.wasm / MB).toFixed(1)} → ${(p10.wasm / MB).toFixed(1)} → ${(p20.wasm / MB).toFixed(1)} MB, devices ${p20.gpu.devices.created - p0.gpu.devices.created} opened / ${p20.gpu.devices.destroyed - p0.gpu.devices.destroyed} destroyed, a loaded model holds ${JSON.stringify(p20.loaded)}`);
      assert.ok(r.worst <= TOL, `a cycle's logits: max |Δ| ${r.worst}`);
      for (const p of points.slice(1)) {
        assert.deepEqual(p.gpu.live, { buffer: 0, texture: 0, bindGroup: 0, bytes: 0, devices: 0 }, `after cycle ${p.cycle}: GPU objects or devices left`);
        // (A progressive start's generic pipelines read their weights from
        // buffers: textures come with the specialized ones.)
        assert.ok(p.loaded.buffer > 0 && (p.cycle % 2 === 0 || p.loaded.texture > 0), `cycle ${p.cycle}: the counting saw no buffers or textures of the loaded model`);
        assert.equal(p.go.models, 0, `after cycle ${p.cycle}: the Go side still holds a model`);
        assert.ok(p.go.goroutines <= p0.go.goroutines + 2, `after cycle ${p.cycle}: ${p.go.goroutines} goroutines, ${p0.go.goroutines} before`);
      }
      assert.equal(p20.gpu.devices.destroyed - p0.gpu.devices.destroyed, 20, 'dispose must destroy the device');
      assert.ok(late - early < 1 * MB, `the JS heap floor rose by ${mb(late - early)} MB over 10 cycles`);
      assert.ok(p20.go.heapAlloc - p10.go.heapAlloc < 1 * MB, `the last 10 cycles grew the Go heap by ${mb(p20.go.heapAlloc - p10.go.heapAlloc)} MB`);
      assert.ok(p20.wasm - p10.wasm <= 8 * MB, `the last 10 cycles grew the wasm memory by ${mb(p20.wasm - p10.wasm)} MB`);
    });

    it('the Go runtime still answers after everything', async () => {
      const r = await page.evaluate(async () => {
        const m = await fm.load();
        const [x, s] = fm.batch([2]);
        const d = fm.maxDiff(await m.logits(x, s), [2]);
        await m.dispose();
        return { d, api: typeof __lowformer.load };
      });
      assert.equal(r.api, 'function');
      assert.ok(r.d <= TOL, `max |Δ| ${r.d}`);
    });
  });
});
