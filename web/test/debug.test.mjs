// LowFormer.load({debug: {dumpWGSL}}) in headless Chromium on the real
// WebGPU adapter, with the small embedded Fashion-MNIST model: true logs
// one collapsed console group "lowformer: WGSL <label>" holding the source
// per compute pipeline, a function receives (label, wgsl), the worker
// forwards them to the page, and a new input shape adds its shaders.
//
//   make web && cd web && node --test test/debug.test.mjs

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';

const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);
const noModel = existsSync(join(h.pretrainedDir, 'fashion_mnist.safetensors')) ? false : `no ${join(h.pretrainedDir, 'fashion_mnist.safetensors')}`;
const WEIGHTS = '/pretrained/fashion_mnist.safetensors';
const GROUP = 'lowformer: WGSL ';

/** The shaders logged in page.log from index `from` on: [[label, source]], in order. */
function loggedShaders(log, from = 0) {
  const out = [];
  for (let i = from; i < log.length; i++) {
    if (!log[i].startsWith(`[startGroupCollapsed] ${GROUP}`)) continue;
    assert.ok(log[i + 1]?.startsWith('[log] ') && log[i + 2]?.startsWith('[endGroup]'),
      `a WGSL group is its source and its end: ${JSON.stringify(log.slice(i, i + 3)).slice(0, 300)}`);
    out.push([log[i].slice(`[startGroupCollapsed] ${GROUP}`.length), log[i + 1].slice('[log] '.length)]);
  }
  return out;
}

/** Checks that shaders look like the kernels' WGSL, one per label. */
function checkShaders(shaders, what) {
  assert.ok(shaders.length >= 3, `${what}: ${shaders.length} shaders`);
  const labels = shaders.map(([l]) => l);
  assert.equal(new Set(labels).size, labels.length, `${what}: a label twice: ${labels}`);
  for (const [label, src] of shaders) {
    assert.match(label, /^[a-z0-9_]+$/, `${what}: label ${label} is not a plain file name`);
    assert.match(src, /@compute/, `${what}: ${label} has no compute entry point`);
    assert.match(src, /fn main\(/, `${what}: ${label} has no main`);
  }
}

describe('debug.dumpWGSL', { skip: why || noModel }, () => {
  const s = h.usePage();

  it('true logs every shader; a function gets the same; the worker forwards them; new shapes add theirs', { timeout: 240000 }, async () => {
    const from = s.page.log.length;
    const r = await s.page.evaluate(async (weights) => {
      // Specialized starts: a progressive one would serve a new shape from
      // its generic pipelines and dump the specialized ones whenever the
      // background compile gets to them.
      const load = (opts) => LowFormer.load({ weights, cache: false, start: 'specialized', ...opts });
      const logged = await load({ debug: { dumpWGSL: true } });
      const backend = logged.info.backend;
      await logged.dispose();
      const viaFn = [];
      const m = await load({ debug: { dumpWGSL: (label, wgsl) => viaFn.push([label, wgsl]) } });
      const atLoad = viaFn.length;
      await m.logits(new Float32Array(2 * 3 * 64 * 64), [2, 3, 64, 64]); // a new shape: more pipelines
      const afterShape = viaFn.slice(atLoad);
      await m.logits(new Float32Array(2 * 3 * 64 * 64), [2, 3, 64, 64]); // none new
      const again = viaFn.length - atLoad - afterShape.length;
      await m.dispose();
      const inWorker = [];
      const w = await load({ worker: true, debug: { dumpWGSL: (label, wgsl) => inWorker.push([label, wgsl]) } });
      await w.dispose();
      return { backend, atLoad: viaFn.slice(0, atLoad), afterShape, again, inWorker };
    }, WEIGHTS);
    assert.equal(r.backend, 'gpu');
    const logged = loggedShaders(s.page.log, from);
    checkShaders(logged, 'console');
    // The same model on a fresh device builds the same pipelines: the
    // callback sees exactly what the console showed.
    assert.deepEqual(r.atLoad, logged, 'the function received other shaders than the console showed');
    assert.deepEqual(r.inWorker, logged, 'the worker forwarded other shaders');
    checkShaders(r.afterShape, 'new shape');
    const seen = new Set(logged.map(([l]) => l));
    for (const [l] of r.afterShape) assert.ok(!seen.has(l), `${l} was dumped twice`);
    assert.equal(r.again, 0, 'a second call of the same shape created pipelines');
  });

  it('true in a Worker logs on the page; a throwing function is logged, not fatal; bad values are refused', { timeout: 120000 }, async () => {
    const from = s.page.log.length;
    const r = await s.page.evaluate(async (weights) => {
      const w = await LowFormer.load({ weights, cache: false, worker: true, debug: { dumpWGSL: true } });
      await w.dispose();
      // A callback that throws: the error is logged and inference goes on.
      let calls = 0;
      const m = await LowFormer.load({ weights, cache: false, debug: { dumpWGSL: () => { calls++; throw new Error('boom'); } } });
      const y = await m.logits(new Float32Array(3 * 48 * 48), [1, 3, 48, 48]);
      await m.dispose();
      const bad = [];
      for (const debug of [{ dumpWGSL: 'yes' }, 'dumpWGSL', { dumpWGSL: 1 }]) {
        bad.push(await outcome(LowFormer.load({ weights, cache: false, debug })));
      }
      const off = await outcome(LowFormer.load({ weights, cache: false, debug: { dumpWGSL: false } }).then((m) => m.dispose()));
      return { calls, logits: y.length, bad, off };
    }, WEIGHTS);
    const errors = s.page.log.splice(from).filter((l) => {
      if (l.startsWith('[error] lowformer: debug.dumpWGSL threw')) return false;
      return true;
    });
    checkShaders(loggedShaders(errors), 'worker console');
    assert.ok(r.calls >= 3, `the throwing callback was called ${r.calls} times`);
    assert.equal(r.logits, 10);
    for (const b of r.bad) {
      assert.equal(b.ok, false);
      assert.equal(b.name, 'TypeError');
      assert.match(b.message, /lowformer: options\.debug/);
    }
    assert.equal(r.off.ok, true, r.off.message);
    assert.deepEqual(errors.filter((l) => l.startsWith('[error]')), [], 'unexpected errors');
  });
});
