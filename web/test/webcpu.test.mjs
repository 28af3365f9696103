// The CPU path of lowformer.js: the wasm SIMD detection that picks
// lowformer.wasm (SIMD128) or lowformer-scalar.wasm, the scalar build's
// logits, and CPU batches spread over several Workers (workers: N).
//
//   make web && node --test --test-concurrency=1 web/test/webcpu.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';

const TOL = 2e-4; // max-abs logits tolerance of the spec
const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);
// The built module (web/dist): lowformer.js imports Go's wasm_exec.js, which make web puts next to it.
const noDist = existsSync(join(h.distDir, 'wasm_exec.js')) ? false : 'web/dist is not built (run make web)';
const { SIMD_PROBE, hasWasmSIMD } = noDist ? {} : await import('../dist/lowformer.js');
const noB0 = existsSync(join(h.sharedDir, 'b0', 'evalmodel.pt')) ? false : `no reference data at ${join(h.sharedDir, 'b0')}`;

// The same module as SIMD_PROBE without SIMD: () -> i32 {i32.const 0}.
const PLAIN = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b]);

// An engine without wasm SIMD, as far as detection goes: WebAssembly.validate
// rejects any module that mentions the v128 type (0x7b) or a 0xfd-prefixed
// instruction. Used in Node below and in the page (addInitScript).
function stubNoSIMD() {
  const validate = WebAssembly.validate;
  WebAssembly.validate = function (bytes) {
    const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (b.includes(0xfd) || b.includes(0x7b)) return false;
    return validate.call(WebAssembly, bytes);
  };
  return () => { WebAssembly.validate = validate; };
}

describe('wasm SIMD detection', { skip: noDist }, () => {
  it('accepts the SIMD probe and a plain module where the engine has SIMD', () => {
    assert.equal(WebAssembly.validate(SIMD_PROBE), true, 'the probe is a valid SIMD module');
    assert.equal(hasWasmSIMD(), true);
    assert.equal(hasWasmSIMD(SIMD_PROBE), true);
    assert.equal(hasWasmSIMD(PLAIN), true);
    assert.equal(hasWasmSIMD(new Uint8Array([1, 2, 3])), false, 'garbage is no module');
  });

  it('rejects the SIMD probe, not a plain module, without SIMD', () => {
    const restore = stubNoSIMD();
    try {
      assert.equal(hasWasmSIMD(), false);
      assert.equal(hasWasmSIMD(SIMD_PROBE), false);
      assert.equal(hasWasmSIMD(PLAIN), true);
    } finally {
      restore();
    }
  });
});

describe('the CPU path in Chromium', { skip: why || noB0 || false }, () => {
  const browser = h.useBrowser();

  /** A test page; noSIMD stubs WebAssembly.validate first. Records the .wasm files it fetches. */
  async function open(noSIMD) {
    const page = await browser.ctx.newPage();
    page.log = [];
    page.wasm = [];
    page.on('console', (m) => page.log.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => page.log.push(`[pageerror] ${e.message}`));
    page.on('request', (r) => { if (r.url().endsWith('.wasm')) page.wasm.push(r.url().split('/').pop()); });
    if (noSIMD) await page.addInitScript(stubNoSIMD);
    await page.goto(`${browser.srv.url}/test.html`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
    return page;
  }

  /** Logits of the b0 reference batch (2 images) on the CPU, and which build ran. */
  const cpuLogits = (page, opts) => page.evaluate(async (opts) => {
    const m = await LowFormer.load({ weights: '/shared/b0/evalmodel.pt', backend: 'cpu', cache: false, ...opts });
    try {
      const x = await f32('/shared/b0/input.bin');
      const y = await m.logits(x, [2, 3, 224, 224]);
      return { wasm: m.info.wasm, backend: m.info.backend, detected: (await import('/lowformer.js')).hasWasmSIMD(), y: [...y] };
    } finally {
      await m.dispose();
    }
  }, opts);

  it('the scalar build, picked where WebAssembly.validate rejects SIMD, gives the SIMD build\'s logits', { timeout: 300000 }, async (t) => {
    const ref = await h.readF32(join(h.sharedDir, 'b0', 'logits.bin'));
    const simdPage = await open(false);
    const scalarPage = await open(true);
    try {
      const s = await cpuLogits(simdPage, {});
      const c = await cpuLogits(scalarPage, {});
      t.diagnostic(`SIMD build: ${simdPage.wasm.join(', ')}; scalar: ${scalarPage.wasm.join(', ')}; |simd − scalar| ${h.maxAbsDiff(s.y, c.y)}`);
      assert.deepEqual([s.detected, s.wasm, s.backend], [true, 'simd', 'cpu']);
      assert.deepEqual([c.detected, c.wasm, c.backend], [false, 'scalar', 'cpu']);
      assert.deepEqual(simdPage.wasm, ['lowformer-cpu.wasm'], "backend 'cpu' fetches the CPU build alone");
      assert.deepEqual(scalarPage.wasm, ['lowformer-scalar.wasm']);
      assert.ok(h.maxAbsDiff(s.y, ref) <= TOL, `SIMD build max |Δ| ${h.maxAbsDiff(s.y, ref)}`);
      assert.ok(h.maxAbsDiff(c.y, ref) <= TOL, `scalar build max |Δ| ${h.maxAbsDiff(c.y, ref)}`);
      assert.ok(h.maxAbsDiff(s.y, c.y) <= 1e-4, `the two builds differ by ${h.maxAbsDiff(s.y, c.y)}`);
      for (const p of [simdPage, scalarPage]) assert.ok(p.log.every((l) => !l.startsWith('[pageerror]')), p.log.join('\n'));
    } finally {
      await simdPage.close();
      await scalarPage.close();
    }
  });

  it('simd: false loads the scalar build in a Worker too', { timeout: 300000 }, async () => {
    const page = await open(false);
    try {
      const r = await cpuLogits(page, { worker: true, simd: false });
      assert.equal(r.wasm, 'scalar');
      assert.ok(h.maxAbsDiff(r.y, await h.readF32(join(h.sharedDir, 'b0', 'logits.bin'))) <= TOL);
    } finally {
      await page.close();
    }
  });

  it('workers: 2 spreads a batch of 4 and gives the logits of workers: 1, in order', { timeout: 300000 }, async (t) => {
    const page = await open(false);
    try {
      const r = await page.evaluate(async () => {
        const x2 = await f32('/shared/b0/input.bin');
        const per = x2.length / 2;
        const x = new Float32Array(4 * per); // images 0, 1, 1, 0
        x.set(x2.subarray(0, per), 0);
        x.set(x2.subarray(per), per);
        x.set(x2.subarray(per), 2 * per);
        x.set(x2.subarray(0, per), 3 * per);
        const out = {};
        for (const workers of [1, 2]) {
          const m = await LowFormer.load({ weights: '/shared/b0/evalmodel.pt', backend: 'cpu', cache: false, worker: true, workers });
          try {
            const t0 = performance.now();
            const y = await m.logits(x, [4, 3, 224, 224]);
            out[workers] = { y: [...y], ms: performance.now() - t0, info: { workers: m.info.workers, worker: m.info.worker, backend: m.info.backend } };
            out[workers].one = (await m.classify(new ImageData(32, 32), { topK: 1 })).predictions.length;
          } finally {
            await m.dispose();
          }
        }
        const bad = await outcome(LowFormer.load({ weights: '/shared/b0/evalmodel.pt', workers: 2 }));
        return { out, bad };
      });
      const [one, two] = [r.out[1], r.out[2]];
      t.diagnostic(`batch 4: 1 worker ${one.ms.toFixed(0)} ms, 2 workers ${two.ms.toFixed(0)} ms`);
      assert.deepEqual(two.info, { workers: 2, worker: true, backend: 'cpu' });
      assert.equal(one.y.length, 4000);
      assert.deepEqual(two.y, one.y, 'the same logits in the same order');
      const ref = await h.readF32(join(h.sharedDir, 'b0', 'logits.bin'));
      assert.ok(h.maxAbsDiff(two.y.slice(3000), ref.slice(0, 1000)) <= TOL, 'image 3 is reference image 0');
      assert.ok(h.maxAbsDiff(two.y.slice(1000, 2000), ref.slice(1000)) <= TOL, 'image 1 is reference image 1');
      assert.equal(two.one, 1, 'single images classify on the pool');
      assert.equal(r.bad.ok, false);
      assert.match(r.bad.message, /workers: 2 needs backend: 'cpu'/);
    } finally {
      await page.close();
    }
  });
});
