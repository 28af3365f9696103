// The demo's live camera mode (model.classifyStream with the GPU preprocessing, fps and
// per-frame timings shown) and its embeddings tab (two images compared by cosine similarity), in
// Chromium with a fake camera. Screenshots go to LOWFORMER_SHOTS (default
// /tmp/lowformer-demo-shots), outside the checkout.
//
//   make web && node --test --test-concurrency=1 web/test/demolive.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';

const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);
const shots = process.env.LOWFORMER_SHOTS || '/tmp/lowformer-demo-shots';
const CAMERA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

describe('demo: live camera and embeddings', { skip: why || false }, () => {
  let srv;
  let ctx;
  let page;
  const b0 = join(h.sharedDir, 'b0', 'evalmodel.pt');

  before(async () => {
    mkdirSync(shots, { recursive: true });
    srv = await h.startDevServer(['-weights', existsSync(b0) ? b0 : '', '-images', join(h.imagesDir, 'chelsea_420.jpg')]);
    ctx = await h.launchBrowser({ args: CAMERA });
    page = await h.openPage(ctx, `${srv.url}/`, { waitReady: false });
    await page.waitForFunction(() => window.demo?.state.model && document.querySelectorAll('#predictions .pred').length > 0, null, { timeout: 240000 });
    await page.evaluate(() => window.demo.idle());
  });

  after(async () => {
    const errors = page ? page.log.filter((l) => l.startsWith('[pageerror]') || /fatal error|panic:|\[gpu-uncaptured\]/.test(l)) : [];
    await ctx?.close();
    srv?.stop();
    assert.deepEqual(errors, [], 'the page logged uncaught errors, uncaptured WebGPU errors or a Go panic');
  });

  async function live(t, what, seconds) {
    await page.click('#camera-btn');
    await page.waitForFunction(() => !document.getElementById('live-wrap').hidden, null, { timeout: 30000 });
    await page.click('#live');
    await page.waitForFunction(() => /fps/.test(document.getElementById('live-stats').textContent), null, { timeout: 120000 });
    const samples = [];
    for (let i = 0; i < seconds; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      samples.push(await page.evaluate(() => document.getElementById('live-stats').textContent));
    }
    const stats = await page.evaluate(() => ({ ...window.demo.state.liveHandle.stats(), preds: document.querySelectorAll('#predictions .pred').length }));
    const file = join(shots, `live-${what}.png`);
    await page.screenshot({ path: file, fullPage: true });
    await page.click('#live');
    await page.click('#camera-btn');
    const line = `demo live (${what}): ${stats.frames} frames, ${stats.dropped} dropped, last: ${samples.at(-1)}; screenshot ${file}`;
    t.diagnostic(line);
    console.log('# ' + line);
    assert.ok(stats.frames >= 3, `only ${stats.frames} frames classified`);
    assert.ok(stats.preds > 0);
    assert.match(samples.at(-1), /^\d+(\.\d+)? fps · latency .* · gpu preprocessing .* · inference .* frames dropped$/);
    const lat = samples.map((x) => Number(/latency ([\d.]+) ms/.exec(x)?.[1] ?? /latency ([\d.]+) s/.exec(x)?.[1] * 1000)).filter(Number.isFinite);
    return lat;
  }

  it('live mode with the built-in model: classifyStream, GPU preprocessing, fps and per-frame timings', { timeout: 300000 }, async (t) => {
    await live(t, 'builtin', 8);
  });

  it('live mode with B0', { skip: existsSync(b0) ? false : 'no b0 reference checkpoint', timeout: 400000 }, async (t) => {
    await page.evaluate(async () => {
      const list = await (await fetch('weights.json')).json();
      const w = list.find((x) => /evalmodel|b0/i.test(x.name + x.url));
      await window.demo.loadWeights(w.url, w.name);
      await window.demo.idle();
    });
    assert.equal(await page.evaluate(() => window.demo.state.model.info.variant), 'B0');
    await live(t, 'b0', 10);
  });

  it('embeddings tab: two images compared by cosine similarity', { timeout: 300000 }, async (t) => {
    await page.click('.tabs button[data-tab="embeddings"]');
    assert.equal(await page.isVisible('#embed-card'), true);
    assert.equal(await page.isVisible('#image-card'), false);
    const cosine = async (b) => {
      const prev = await page.evaluate(() => document.querySelector('#embed-result .cosine')?.textContent ?? null);
      await page.setInputFiles('#embed-b-file', join(h.imagesDir, b));
      await page.waitForFunction((p) => document.querySelector('#embed-result .cosine') && window.demo && document.querySelector('#embed-result .cosine').textContent !== p, prev, { timeout: 120000 });
      await page.evaluate(() => window.demo.idle());
      return Number(await page.textContent('#embed-result .cosine'));
    };
    await page.setInputFiles('#embed-a-file', join(h.imagesDir, 'chelsea_420.jpg'));
    const same = await cosine('chelsea_420.jpg');
    const similar = await cosine('chelsea_palette_trns.png'); // the same cat, half size, 256 colours
    await page.screenshot({ path: join(shots, 'embeddings-similar.png'), fullPage: true });
    const other = await cosine('coffee_444_progressive.jpg');
    await page.screenshot({ path: join(shots, 'embeddings-different.png'), fullPage: true });
    const line = `demo embeddings (${await page.evaluate(() => window.demo.state.model.info.variant)}): cat vs the same file ${same}, vs the same cat half size in 256 colours ${similar}, vs a coffee cup ${other}; screenshots ${shots}/embeddings-{similar,different}.png`;
    t.diagnostic(line);
    console.log('# ' + line);
    assert.equal(same, 1, 'the same file: cosine 1');
    assert.ok(other < similar, `the cup (${other}) is closer to the cat than the same cat resized (${similar})`);
    await page.click('.tabs button[data-tab="classify"]');
    assert.equal(await page.isVisible('#image-card'), true);
  });
});
