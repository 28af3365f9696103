// lowformer-decoders.wasm: lowformer.wasm decodes JPEG and PNG only; GIF,
// WebP, BMP and TIFF files are decoded by the second, lazily started Go
// module. A JPEG never fetches it; the first rarer file fetches it once; the
// probabilities of each format are those of the PIL reference crop (as
// browser.test.mjs checks a JPEG's); the same in a Worker and in Node (the
// package's Node entry, against the same reference computed there: the PIL
// crop read with harness.mjs's readPNG). On the CPU backend, with b0.
//
//   make web && node --test --test-concurrency=1 web/test/decoders.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, openAsBlob } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';

const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);
const noB0 = existsSync(join(h.sharedDir, 'b0', 'evalmodel.pt')) ? false : `no reference data at ${join(h.sharedDir, 'b0')}`;
const noDecoders = existsSync(join(h.distDir, 'lowformer-decoders.wasm')) ? false : 'web/dist/lowformer-decoders.wasm is not built (run make web)';

// The rarer formats' fixtures (each with a PIL 224 crop in preprocess/testdata/expected).
const RARE = ['chelsea_anim.gif', 'offset_frame_trns.gif', 'coffee_lossy.webp', 'rocket_lossless.webp', 'coffee.bmp', 'rocket_lzw.tif'];
const PROB_TOL = 1e-6;

/** In the page: classify every file (blob URLs) and the top-5 of the PIL reference crop's logits. */
async function classifyFiles(names, opts) {
  const m = window.m;
  const out = {};
  for (const name of names) {
    const got = await m.classify(await (await fetch('/images/' + name)).blob(), { topK: 5 });
    const ref = await window.referenceTop5(m, name);
    out[name] = { got, ref };
  }
  return out;
}

function assertMatchesReference(results) {
  for (const [name, { got, ref }] of Object.entries(results)) {
    assert.equal(got.decoder, 'go', name);
    assert.deepEqual(got.predictions.map((p) => p.index), ref.map((p) => p.index), name);
    for (const [i, p] of got.predictions.entries()) {
      assert.ok(Math.abs(p.probability - ref[i].probability) <= PROB_TOL, `${name} prediction ${i}: ${p.probability} vs ${ref[i].probability}`);
    }
    assert.ok(got.timings.decode >= 0 && got.width > 0 && got.height > 0, `${name}: ${JSON.stringify(got.timings)} ${got.width}×${got.height}`);
  }
}

const decodersFetches = (page) => page.wasm.filter((f) => f === 'lowformer-decoders.wasm').length;

describe('lowformer-decoders.wasm in Chromium', { skip: why || noB0 || noDecoders || false }, () => {
  const browser = h.useBrowser();

  async function open() {
    const page = await h.openPage(browser.ctx, `${browser.srv.url}/test.html`, {
      setup: (p) => {
        p.wasm = [];
        p.on('request', (r) => { if (r.url().endsWith('.wasm')) p.wasm.push(r.url().split('/').pop()); });
      },
    });
    await page.evaluate(`window.classifyFiles = ${classifyFiles.toString()}`);
    return page;
  }

  for (const worker of [false, true]) {
    it(`${worker ? 'in a Worker' : 'main thread'}: a JPEG does not fetch it, the rarer formats fetch it once and match the reference`, { timeout: 300000 }, async (t) => {
      const page = await open();
      try {
        const jpeg = await page.evaluate(async (worker) => {
          window.m = await LowFormer.load({ weights: '/shared/b0/evalmodel.pt', backend: 'cpu', cache: false, worker });
          return classifyFiles(['chelsea_420.jpg', 'astronaut_rgba.png']);
        }, worker);
        assertMatchesReference(jpeg);
        assert.equal(decodersFetches(page), 0, `JPEG and PNG fetched ${page.wasm.join(', ')}`);
        const rare = await page.evaluate(() => classifyFiles(['chelsea_anim.gif', 'offset_frame_trns.gif', 'coffee_lossy.webp', 'rocket_lossless.webp', 'coffee.bmp', 'rocket_lzw.tif']));
        assertMatchesReference(rare);
        assert.equal(decodersFetches(page), 1, `fetched ${page.wasm.join(', ')}`);
        const first = rare['chelsea_anim.gif'].got.timings;
        assert.ok(first.decodersLoad > 0, `the first rarer file's timings ${JSON.stringify(first)}`);
        assert.equal(rare['coffee.bmp'].got.timings.decodersLoad, undefined, 'only the first call starts the module');
        const more = await page.evaluate(async () => {
          const blob = async (n) => (await fetch('/images/' + n)).blob();
          const [jpg, gif, tif] = await Promise.all(['chelsea_420.jpg', 'chelsea_anim.gif', 'rocket_lzw.tif'].map(blob));
          const batch = await window.m.classify([jpg, gif], { topK: 5 });
          const one = [await window.m.classify(jpg, { topK: 5 }), await window.m.classify(gif, { topK: 5 })];
          const emb = await window.m.embed(tif);
          const buf = await tif.arrayBuffer();
          const corrupt = await outcome(window.m.classify(new Blob([buf.slice(0, 8), new Uint8Array(64)])));
          const truncated = await outcome(window.m.classify(new Blob([buf.slice(0, buf.byteLength / 3)])));
          const still = await window.m.classify(gif, { topK: 1 });
          await window.m.dispose();
          return { batch, one, emb: { decoder: emb.decoder, width: emb.width, height: emb.height, n: emb.embedding.length }, corrupt, truncated, still };
        });
        for (const i of [0, 1]) assert.deepEqual(more.batch[i].predictions, more.one[i].predictions, `batch image ${i}`);
        assert.deepEqual([more.batch[0].decoder, more.batch[1].decoder], ['go', 'go']);
        assert.deepEqual([more.emb.decoder, more.emb.width, more.emb.height], ['go', 107, 160]);
        assert.ok(more.emb.n > 0);
        for (const k of ['corrupt', 'truncated']) {
          assert.equal(more[k].ok, false, `${k} TIFF resolved`);
          assert.match(more[k].message, /^lowformer: .*unreadable image.*TIFF/, `${k} TIFF: ${more[k].message}`);
        }
        assert.equal(more.still.predictions[0].index, rare['chelsea_anim.gif'].got.predictions[0].index, 'the model works after the errors');
        assert.equal(decodersFetches(page), 1, `fetched ${page.wasm.join(', ')}`);
        assert.ok(page.log.every((l) => !l.startsWith('[pageerror]') && !/panic:|fatal error/.test(l)), page.log.join('\n'));
        t.diagnostic(`decodersLoad ${first.decodersLoad.toFixed(0)} ms; decode ${Object.entries(rare).map(([n, r]) => `${n} ${r.got.timings.decode.toFixed(1)} ms`).join(', ')}`);
      } finally {
        await page.close();
      }
    });
  }
});

describe('lowformer-decoders.wasm in Node', { skip: noB0 || noDecoders || false }, () => {
  it('reads it once, for the first rarer file, and gives the probabilities of the PIL reference', { timeout: 300000 }, async () => {
    const { LowFormer, _internal } = await import('../dist/lowformer-node.js');
    const read = _internal.files.read;
    const reads = [];
    _internal.files.read = (ref) => {
      reads.push(String(ref).split('/').pop());
      return read(ref);
    };
    try {
      const m = await LowFormer.load({ weights: join(h.sharedDir, 'b0', 'evalmodel.pt'), backend: 'cpu' });
      try {
        const jpg = await m.classify(await openAsBlob(join(h.imagesDir, 'chelsea_420.jpg')), { topK: 5 });
        assert.equal(jpg.decoder, 'go');
        assert.ok(!reads.includes('lowformer-decoders.wasm'), `read ${reads.join(', ')}`);
        const got = {};
        for (const name of RARE) got[name] = await m.classify(await openAsBlob(join(h.imagesDir, name)), { topK: 5 });
        assert.equal(reads.filter((f) => f === 'lowformer-decoders.wasm').length, 1, `read ${reads.join(', ')}`);
        const results = {};
        for (const [name, r] of Object.entries(got)) {
          const png = h.readPNG(join(h.imagesDir, 'expected', `${name}.r224.png`));
          results[name] = { got: r, ref: await h.top5FromPixels(m, png.data, png.channels) };
        }
        assertMatchesReference(results);
        const tif = new Uint8Array(await (await openAsBlob(join(h.imagesDir, 'rocket_lzw.tif'))).arrayBuffer());
        await assert.rejects(m.classify(new Blob([tif.slice(0, 100)])), /^Error: lowformer: .*unreadable image.*TIFF/);
      } finally {
        await m.dispose();
      }
    } finally {
      _internal.files.read = read;
    }
  });
});
