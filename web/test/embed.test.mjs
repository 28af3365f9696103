// Embeddings and multi-scale features in the browser: m.embeddings and
// m.features of the reference batch against PyTorch's activations
// (head.fc1, stage0..stage4) within 1e-4 of the reference's max-abs, on the
// GPU, on the CPU path and in a Worker; m.embed of images, with
// cosineSimilarity.
//
//   make web && node --test --test-concurrency=1 web/test/embed.test.mjs

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';

const REL = 1e-4; // max-abs tolerance, relative to the reference's max-abs
const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);
// The built module (web/dist): lowformer.js imports Go's wasm_exec.js, which make web puts next to it.
const noDist = existsSync(join(h.distDir, 'wasm_exec.js')) ? false : 'web/dist is not built (run make web)';
const { cosineSimilarity } = noDist ? {} : await import('../dist/lowformer.js');
const noShared = (v) => (existsSync(join(h.sharedDir, v, 'act', 'head.fc1.bin')) ? false : `no reference activations at ${join(h.sharedDir, v, 'act')}`);

// In the page: runs the embeddings and every stage of the reference batch
// and compares them with the reference activations:
// {name: {maxAbs, scale, shape}} plus the info.
async function compareInPage([variant, load]) {
  const m = await LowFormer.load({ weights: `/shared/${variant}/evalmodel.pt`, cache: false, warmup: false, ...load });
  try {
    const x = await f32(`/shared/${variant}/input.bin`);
    const side = Math.sqrt(x.length / 6);
    const shape = [2, 3, side, side];
    const cmp = (got, want) => {
      let maxAbs = got.length === want.length ? 0 : Infinity;
      let scale = 0;
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(got[i] - want[i]);
        if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
        scale = Math.max(scale, Math.abs(want[i]));
      }
      return { maxAbs, scale };
    };
    const out = {};
    const t0 = performance.now();
    const emb = await m.embeddings(x, shape);
    out.embedMs = performance.now() - t0;
    out['head.fc1'] = { ...cmp(emb, await f32(`/shared/${variant}/act/head.fc1.bin`)), shape: [2, emb.length / 2] };
    const { features } = await m.features(x, { shape, stages: [0, 1, 2, 3, 4] });
    for (const f of features) {
      out[`stage${f.stage}`] = { ...cmp(f.data, await f32(`/shared/${variant}/act/stage${f.stage}.bin`)), shape: f.shape };
    }
    out.info = { backend: m.info.backend, worker: m.info.worker, embeddingSize: m.info.embeddingSize, stageChannels: m.info.stageChannels };
    return out;
  } finally {
    await m.dispose();
  }
}

function checkAll(t, variant, where, r) {
  for (const name of ['head.fc1', 'stage0', 'stage1', 'stage2', 'stage3', 'stage4']) {
    const { maxAbs, scale, shape } = r[name];
    t.diagnostic(`${variant} ${where} ${name} [${shape}]: max |Δ| ${maxAbs.toExponential(2)} (${(maxAbs / scale).toExponential(1)} of max-abs ${scale.toFixed(3)})`);
    console.log(`# ${variant} ${where} ${name}: max |Δ| ${maxAbs.toExponential(2)}, ${(maxAbs / scale).toExponential(1)} of the reference's max-abs`);
    assert.ok(maxAbs <= REL * scale, `${name}: max |Δ| ${maxAbs} > ${REL} × ${scale}`);
  }
  assert.equal(r['head.fc1'].shape[1], r.info.embeddingSize);
  for (let s = 0; s < 5; s++) assert.equal(r[`stage${s}`].shape[1], r.info.stageChannels[s]);
}

describe('embeddings and features in Chromium', { skip: why || noDist || false }, () => {
  const s = h.usePage();

  for (const variant of ['b0', 'E1']) {
    it(`${variant}: GPU embeddings and stage outputs match PyTorch's`, { skip: noShared(variant), timeout: 300000 }, async (t) => {
      const r = await s.page.evaluate(compareInPage, [variant, {}]);
      assert.equal(r.info.backend, 'gpu');
      checkAll(t, variant, 'gpu', r);
    });
    it(`${variant}: CPU-path embeddings and stage outputs match PyTorch's`, { skip: noShared(variant), timeout: 300000 }, async (t) => {
      const r = await s.page.evaluate(compareInPage, [variant, { backend: 'cpu' }]);
      assert.equal(r.info.backend, 'cpu');
      checkAll(t, variant, 'cpu', r);
    });
  }

  it('b0 in a Worker: GPU embeddings and stage outputs match', { skip: noShared('b0'), timeout: 300000 }, async (t) => {
    const r = await s.page.evaluate(compareInPage, ['b0', { worker: true }]);
    assert.equal(r.info.worker, true);
    checkAll(t, 'b0', 'worker', r);
  });

  it('embed of images: Go- and browser-decoded, normalized, compared by cosine similarity', { skip: noShared('b0'), timeout: 300000 }, async () => {
    const r = await s.page.evaluate(async () => {
      const m = await LowFormer.load({ weights: '/shared/b0/evalmodel.pt', cache: false, warmup: false });
      try {
        const blob = async (u) => (await fetch(u)).blob();
        const cat = await blob('/images/chelsea_420.jpg');
        const cup = await blob('/images/coffee.bmp');
        const a = await m.embed(cat);
        const an = await m.embed(cat, { normalize: true });
        const ab = await m.embed(cat, { decoder: 'browser' });
        const b = await m.embed(cup);
        const bmp = await createImageBitmap(cat);
        const ai = await m.embed(bmp);
        const feats = await m.features(cat, { stages: [2, 4] });
        let norm = 0;
        for (const v of an.embedding) norm += v * v;
        const cos = LowFormer.cosineSimilarity;
        return {
          len: a.embedding.length, size: m.info.embeddingSize, norm, decoder: a.decoder, timings: a.timings,
          self: cos(a.embedding, an.embedding), decoders: cos(a.embedding, ab.embedding), bitmap: cos(a.embedding, ai.embedding),
          other: cos(a.embedding, b.embedding), feats: feats.features.map((f) => ({ stage: f.stage, shape: f.shape, n: f.data.length })),
          zeroErr: (() => { try { cos([0, 0], [1, 1]); return null; } catch (e) { return e.message; } })(),
          badStage: await outcome(m.features(cat, { stages: [7] })),
        };
      } finally {
        await m.dispose();
      }
    });
    console.log(`# embed: cos(cat, cat normalized) ${r.self.toFixed(6)}, cos(go, browser decode) ${r.decoders.toFixed(6)}, cos(cat, coffee) ${r.other.toFixed(4)}; timings ${JSON.stringify(r.timings)}`);
    assert.equal(r.len, 1600);
    assert.equal(r.size, 1600);
    assert.equal(r.decoder, 'go');
    assert.ok(Math.abs(r.norm - 1) < 1e-5, `normalized embedding has squared norm ${r.norm}`);
    assert.ok(Math.abs(r.self - 1) < 1e-6);
    assert.ok(r.decoders > 0.99 && r.bitmap > 0.99, `the same picture decoded differently: cosines ${r.decoders}, ${r.bitmap}`);
    assert.ok(r.other < r.decoders, `a cat and a cup are more alike (${r.other}) than the cat with itself`);
    assert.deepEqual(r.feats, [{ stage: 2, shape: [1, 64, 28, 28], n: 64 * 28 * 28 }, { stage: 4, shape: [1, 256, 7, 7], n: 256 * 49 }]);
    assert.match(r.zeroErr, /all zeros/);
    assert.equal(r.badStage.ok, false);
    assert.match(r.badStage.message, /stage 7 does not exist/);
  });
});

describe('cosineSimilarity', { skip: noDist }, () => {
  it('gives the cosine and refuses vectors it cannot compare', () => {
    assert.equal(cosineSimilarity([1, 0], [0, 1]), 0);
    assert.ok(Math.abs(cosineSimilarity(new Float32Array([3, 4]), new Float32Array([4, 3])) - 24 / 25) < 1e-12);
    assert.equal(cosineSimilarity([1, 2], [-2, -4]), -1);
    assert.throws(() => cosineSimilarity([1], [1, 2]), /same, non-zero length/);
    assert.throws(() => cosineSimilarity([], []), /same, non-zero length/);
    assert.throws(() => cosineSimilarity([0, 0], [1, 2]), /all zeros/);
  });
});
