// The demo page (web/index.html) served by the real dev server of
// `make demo`: it loads the embedded Fashion-MNIST model on its first sample
// by itself, shows predictions and timings, survives bad files, and warns
// when WebGPU is missing. Screenshots go to web/test/out/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';

const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);

const shot = (page, name) => page.screenshot({ path: join(h.outDir, name), fullPage: true });

describe('demo page', { skip: why || false }, () => {
  let srv;
  let ctx;

  before(async () => {
    const b0 = join(h.sharedDir, 'b0', 'evalmodel.pt');
    const chelsea = join(h.imagesDir, 'chelsea_420.jpg');
    srv = await h.startDevServer(['-weights', existsSync(b0) ? b0 : '', '-images', existsSync(chelsea) ? chelsea : '']);
    ctx = await h.launchBrowser();
  });

  after(async () => {
    await ctx?.close();
    srv?.stop();
  });

  it('loads the embedded model on its first sample, shows predictions and timings, benchmarks', { timeout: 300000 }, async (t) => {
    const page = await h.openPage(ctx, `${srv.url}/`, { waitReady: false });
    await page.waitForFunction(() => window.demo?.state.model && document.querySelectorAll('#predictions .pred').length > 0, null, { timeout: 240000 });
    await page.evaluate(() => window.demo.idle());
    const r = await page.evaluate(() => ({
      preds: [...document.querySelectorAll('#predictions .pred')].map((li) => ({
        label: li.querySelector('.label').firstChild.textContent, pct: li.querySelector('.pct').textContent,
        width: parseFloat(li.querySelector('.bar > div').style.width),
      })),
      adapter: document.getElementById('stat-adapter').textContent,
      load: document.getElementById('stat-load').textContent,
      first: document.getElementById('stat-first').textContent,
      chip: document.getElementById('gpu-chip').textContent,
      banner: document.getElementById('banner').hidden,
      truth: document.getElementById('truth').textContent,
      info: document.getElementById('model-info').textContent,
      labels: window.demo.state.model.info.labels,
      backend: window.demo.state.model.info.backend,
    }));
    t.diagnostic(`adapter ${r.adapter}; load ${r.load}; first run ${r.first}; top: ${r.preds.map((p) => `${p.label} ${p.pct}`).join(', ')}; ${r.truth}`);
    assert.equal(r.backend, 'gpu');
    assert.match(r.chip, /^WebGPU: /);
    // A short adapter name, the full string on hover.
    const full = await page.evaluate(() => window.demo.state.model.info.adapter);
    assert.ok(r.adapter.length <= 32 && !r.adapter.includes('('), `short adapter name: ${r.adapter}`);
    assert.equal(await page.getAttribute('#stat-adapter', 'title'), full);
    const runsOnTitle = await page.evaluate(() => [...document.querySelectorAll('#model-info dt')]
      .find((dt) => dt.textContent === 'Runs on')?.nextElementSibling?.title ?? null);
    assert.equal(runsOnTitle, full);
    assert.ok(r.banner, 'no error banner');
    assert.equal(r.preds.length, 5);
    for (const p of r.preds) assert.ok(r.labels.includes(p.label), `${p.label} is a class name`);
    assert.deepEqual([...r.preds].sort((a, b) => b.width - a.width), r.preds, 'bars sorted by probability');
    assert.match(r.truth, /^True class: /);
    assert.match(r.info, /Fashion|custom/i);
    for (const v of [r.load, r.first]) assert.match(v, /\d/);
    await shot(page, 'demo.png');

    await page.click('#bench-btn');
    await page.waitForFunction(() => window.demo.state.runs.length >= 6 && !document.getElementById('bench-btn').disabled, null, { timeout: 120000 });
    const steady = await page.textContent('#stat-steady');
    t.diagnostic(`steady state ${steady}`);
    assert.match(steady, /\d/);
    await page.close();
  });

  it('sends Chromium lowformer.wasm precompressed (brotli), which still compiles', { timeout: 120000 }, async () => {
    const page = await h.openPage(ctx, `${srv.url}/favicon.svg`, { waitReady: false });
    const r = await page.evaluate(async () => {
      const out = {};
      for (const f of ['lowformer.wasm', 'lowformer-cpu.wasm', 'lowformer-scalar.wasm', 'lowformer-decoders.wasm']) {
        const res = await fetch(f, { cache: 'no-store' });
        const buf = await res.arrayBuffer();
        await WebAssembly.compile(buf);
        const e = performance.getEntriesByType('resource').filter((x) => x.name.endsWith('/' + f)).pop();
        out[f] = { encoding: res.headers.get('content-encoding'), type: res.headers.get('content-type'),
          vary: res.headers.get('vary'), decoded: buf.byteLength, encoded: e?.encodedBodySize ?? 0 };
      }
      return out;
    });
    for (const [f, v] of Object.entries(r)) {
      assert.equal(v.encoding, 'br', `${f} Content-Encoding`);
      assert.equal(v.type, 'application/wasm', `${f} Content-Type`);
      assert.match(v.vary ?? '', /Accept-Encoding/i, `${f} Vary`);
      assert.ok(v.encoded > 0 && v.encoded < v.decoded / 2, `${f}: ${v.encoded} bytes on the wire for ${v.decoded}`);
    }
    await page.close();
  });

  it('the predictions card says loading while the page loads, and where to get real checkpoints', async () => {
    const html = await (await fetch(`${srv.url}/`)).text();
    assert.match(html, /<li class="placeholder">Loading the model…<\/li>/);
    assert.doesNotMatch(html, /Load weights and pick an image/);
    assert.match(html, /href="https:\/\/github.com\/altair199797\/LowFormer#readme"/);
  });

  it('bad files show clear messages and the page keeps working', { timeout: 300000 }, async () => {
    const page = await h.openPage(ctx, `${srv.url}/`, { waitReady: false });
    await page.waitForFunction(() => window.demo?.state.model && document.querySelectorAll('#predictions .pred').length > 0, null, { timeout: 240000 });
    await page.evaluate(() => window.demo.idle());
    const banner = async () => page.evaluate(() => !document.getElementById('banner').hidden && document.getElementById('banner').textContent);

    await page.setInputFiles('#weights-file', { name: 'notes.pt', mimeType: 'application/octet-stream', buffer: Buffer.from('definitely not a checkpoint') });
    await page.waitForFunction(() => !document.getElementById('banner').hidden, null, { timeout: 60000 });
    await page.evaluate(() => window.demo.idle());
    assert.match(await banner(), /Could not load notes\.pt\..*lowformer|Could not load notes\.pt\./s);
    await shot(page, 'demo-error.png');

    await page.setInputFiles('#image-file', { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]) });
    await page.waitForFunction(() => /Could not classify/.test(document.getElementById('banner').textContent), null, { timeout: 60000 });
    await page.setInputFiles('#image-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.waitForFunction(() => /notes\.txt is not an image/.test(document.getElementById('banner').textContent), null, { timeout: 10000 });

    // The model loaded first is still there and classifies the next sample.
    const before = await page.evaluate(() => window.demo.state.runs.length);
    await page.click('#samples button:nth-child(2)');
    await page.waitForFunction((n) => window.demo.state.runs.length > n, before, { timeout: 120000 });
    await page.evaluate(() => window.demo.idle());
    assert.equal(await page.locator('#predictions .pred').count(), 5);
    assert.ok(page.log.every((l) => !l.startsWith('[pageerror]')), page.log.join('\n'));
    await page.close();
  });

  it('without WebGPU the page says so and runs on the CPU', { timeout: 300000 }, async () => {
    const page = await ctx.newPage();
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    await page.goto(`${srv.url}/`);
    await page.waitForFunction(() => window.demo?.state.model && document.querySelectorAll('#predictions .pred').length > 0, null, { timeout: 240000 });
    await page.evaluate(() => window.demo.idle());
    const r = await page.evaluate(() => ({
      chip: document.getElementById('gpu-chip').textContent,
      banner: !document.getElementById('banner').hidden && document.getElementById('banner').textContent,
      backend: window.demo.state.model.info.backend,
      adapter: document.getElementById('stat-adapter').textContent,
      info: document.getElementById('model-info').textContent,
      first: document.getElementById('stat-first').textContent,
      detail: document.getElementById('run-detail').textContent,
      preds: document.querySelectorAll('#predictions .pred').length,
    }));
    assert.match(r.chip, /No WebGPU/);
    assert.match(r.banner, /WebGPU is not available in this browser/);
    assert.equal(r.backend, 'cpu');
    assert.equal(r.adapter, 'CPU — no WebGPU in this browser');
    assert.match(r.info, /Runs onCPU — no WebGPU in this browser \(pure Go, WebAssembly SIMD\)/);
    assert.match(r.first, /\d/, 'the first run\'s time');
    assert.match(r.detail, /inference \d/, 'the timings of the last run');
    assert.equal(r.preds, 5);
    await shot(page, 'demo-no-webgpu.png');
    await page.close();
  });

  it('with the CPU backend chosen the page says CPU', { timeout: 300000 }, async () => {
    const page = await h.openPage(ctx, `${srv.url}/`, { waitReady: false });
    await page.waitForFunction(() => window.demo?.state.model && document.querySelectorAll('#predictions .pred').length > 0, null, { timeout: 240000 });
    await page.evaluate(() => window.demo.idle());
    await page.selectOption('#backend', 'cpu');
    const before = await page.evaluate(() => window.demo.state.runs.length);
    await page.click('#preset-list button'); // the embedded model again, now on the CPU
    await page.waitForFunction(() => window.demo.state.model?.info.backend === 'cpu' && window.demo.state.runs.length > 0, null, { timeout: 240000 });
    await page.evaluate(() => window.demo.idle());
    const r = await page.evaluate(() => ({
      adapter: document.getElementById('stat-adapter').textContent,
      info: document.getElementById('model-info').textContent,
      first: document.getElementById('stat-first').textContent,
      preds: document.querySelectorAll('#predictions .pred').length,
      banner: document.getElementById('banner').hidden,
    }));
    assert.ok(before > 0);
    assert.equal(r.adapter, 'CPU');
    assert.match(r.info, /Runs onCPU \(pure Go, WebAssembly SIMD\)/);
    assert.match(r.first, /\d/);
    assert.equal(r.preds, 5);
    assert.ok(r.banner, 'no error banner');
    await page.close();
  });

  it('the minimal example classifies a chosen image', { timeout: 300000 }, async () => {
    // Without ?weights= the page loads the built-in Fashion-MNIST model.
    const page = await h.openPage(ctx, `${srv.url}/example.html`, { waitReady: false });
    await page.waitForFunction(() => /^ready: /.test(document.getElementById('status').textContent), null, { timeout: 240000 });
    assert.match(await page.textContent('#status'), /^ready: LowFormer-custom on /);
    const png = await (await fetch(`${srv.url}/samples/pretrained/fashion-01.png`)).arrayBuffer();
    await page.setInputFiles('#file', { name: 'pullover.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await page.waitForFunction(() => document.querySelectorAll('#out li').length === 5, null, { timeout: 120000 });
    const items = await page.locator('#out li').allTextContents();
    assert.ok(items.every((t) => / — \d+\.\d %$/.test(t)), items.join('\n'));
    assert.match(await page.textContent('#status'), /classified in \d+ ms/);
    await page.close();
  });
});
