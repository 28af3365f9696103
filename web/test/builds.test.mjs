// One wasm build per backend (web/build.sh): lowformer.wasm (WebGPU, no CPU
// kernels), lowformer-cpu.wasm (CPU, wasm SIMD), lowformer-scalar.wasm (CPU,
// no SIMD). lowformer.js must fetch only the build the backend needs, pick
// a CPU build for 'auto' without WebGPU, fall back to one when the WebGPU
// build cannot open a device, and run models on both builds in one page.
// Each page records the .wasm files it (and its workers) fetch.
//
//   make web && node --test --test-concurrency=1 web/test/builds.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

const TOL = 2e-4; // max-abs logits tolerance of the spec
const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);

const WEIGHTS = '/pretrained/fashion_mnist.safetensors';

// A browser without WebGPU (as with WebGPU disabled): navigator.gpu gone before any script runs.
function noWebGPU() {
  Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  if (globalThis.WorkerNavigator) Object.defineProperty(WorkerNavigator.prototype, 'gpu', { get: () => undefined, configurable: true });
}

// An adapter whose device never opens (a GPU process that fails): lowformer.js finds the
// adapter, the WebGPU build's Open fails, and 'auto' must still give results.
function failingDevice() {
  GPUAdapter.prototype.requestDevice = () => Promise.reject(new DOMException('device creation disabled by the test', 'OperationError'));
}

describe('one wasm build per backend', { skip: why || false }, () => {
  const browser = h.useBrowser();

  /** The test page with init scripts run first; page.wasm lists the .wasm files fetched. */
  async function open(...scripts) {
    return h.openPage(browser.ctx, `${browser.srv.url}/test.html`, {
      setup: (page) => {
        page.wasm = [];
        page.on('request', (r) => { if (r.url().endsWith('.wasm')) page.wasm.push(r.url().split('/').pop()); });
        for (const s of scripts) page.addInitScript(s);
      },
    });
  }

  /** Loads the Fashion-MNIST model with opts and returns its info and logits of one fixed 32×32 input. */
  const run = (page, opts) => page.evaluate(async ({ weights, opts }) => {
    const m = await LowFormer.load({ weights, cache: false, ...opts });
    try {
      const x = new Float32Array(3 * 32 * 32).map((_, i) => Math.sin(i * 0.37));
      const y = await m.logits(x, [1, 3, 32, 32]);
      const { backend, wasm, fallback, warnings } = m.info;
      return { backend, wasm, fallback, warnings, y: [...y] };
    } finally {
      await m.dispose();
    }
  }, { weights: WEIGHTS, opts });

  const noPageErrors = (page) => assert.ok(page.log.every((l) => !l.startsWith('[pageerror]')), page.log.join('\n'));

  it("'auto' without WebGPU loads the CPU build alone", { timeout: 300000 }, async () => {
    // (Init scripts do not reach workers, so the worker case runs where WebGPU is: the same
    // Local.load decides there.)
    const page = await open(noWebGPU);
    try {
      const r = await run(page, { backend: 'auto' });
      assert.deepEqual([r.backend, r.wasm, r.fallback], ['cpu', 'simd', true]);
      assert.match(r.warnings.join('\n'), /no WebGPU device \(navigator\.gpu is missing/);
      assert.equal(r.y.length, 10);
      const w = await run(page, { backend: 'cpu', worker: true });
      assert.deepEqual([w.backend, w.wasm], ['cpu', 'simd'], "backend 'cpu' in a worker");
      assert.deepEqual(page.wasm, ['lowformer-cpu.wasm', 'lowformer-cpu.wasm'], 'the page and the worker each fetched the CPU build, nothing else');
      assert.ok(h.maxAbsDiff(r.y, w.y) <= TOL, `page and worker differ by ${h.maxAbsDiff(r.y, w.y)}`);
      noPageErrors(page);
    } finally {
      await page.close();
    }
  });

  it("'gpu' fetches the WebGPU build alone, 'cpu' the CPU build alone; both run in one page with the same logits", { timeout: 300000 }, async () => {
    const page = await open();
    try {
      const g = await run(page, { backend: 'gpu' });
      assert.deepEqual([g.backend, g.wasm, g.fallback], ['gpu', 'gpu', false]);
      assert.deepEqual(page.wasm, ['lowformer.wasm'], "backend 'gpu' fetched only lowformer.wasm");
      const c = await run(page, { backend: 'cpu' });
      assert.deepEqual([c.backend, c.wasm, c.fallback], ['cpu', 'simd', false]);
      assert.deepEqual(page.wasm, ['lowformer.wasm', 'lowformer-cpu.wasm'], "backend 'cpu' fetched only lowformer-cpu.wasm");
      assert.ok(h.maxAbsDiff(g.y, c.y) <= TOL, `GPU and CPU builds differ by ${h.maxAbsDiff(g.y, c.y)}`);
      // Both at once: a model on each build, used in turn, each still right.
      const both = await page.evaluate(async (weights) => {
        const [g, c] = await Promise.all([LowFormer.load({ weights, cache: false, backend: 'gpu' }), LowFormer.load({ weights, cache: false, backend: 'cpu' })]);
        try {
          const x = new Float32Array(3 * 32 * 32).map((_, i) => Math.cos(i * 0.11));
          const [yg, yc] = await Promise.all([g.logits(x, [1, 3, 32, 32]), c.logits(x, [1, 3, 32, 32])]);
          return { wasm: [g.info.wasm, c.info.wasm], d: Math.max(...Array.from(yg, (v, i) => Math.abs(v - yc[i]))) };
        } finally {
          await g.dispose();
          await c.dispose();
        }
      }, WEIGHTS);
      assert.deepEqual(both.wasm, ['gpu', 'simd']);
      assert.ok(both.d <= TOL, `two models at once differ by ${both.d}`);
      assert.deepEqual(page.wasm, ['lowformer.wasm', 'lowformer-cpu.wasm'], 'each build fetched once per page');
      noPageErrors(page);
    } finally {
      await page.close();
    }
  });

  it("'auto' with an adapter whose device fails falls back to the CPU build", { timeout: 300000 }, async () => {
    const page = await open(failingDevice);
    try {
      const r = await run(page, { backend: 'auto' });
      assert.deepEqual([r.backend, r.wasm, r.fallback], ['cpu', 'simd', true]);
      assert.match(r.warnings.join('\n'), /no WebGPU device \(.*device creation disabled by the test/);
      assert.deepEqual(page.wasm, ['lowformer.wasm', 'lowformer-cpu.wasm']);
      // 'gpu' fails with the device's error, and loads no CPU build.
      const g = await page.evaluate(async (weights) => outcome(LowFormer.load({ weights, cache: false, backend: 'gpu' })), WEIGHTS);
      assert.equal(g.ok, false);
      assert.match(g.message, /device creation disabled by the test/);
      assert.deepEqual(page.wasm, ['lowformer.wasm', 'lowformer-cpu.wasm']);
      noPageErrors(page);
    } finally {
      await page.close();
    }
  });
});
