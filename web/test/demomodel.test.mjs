// The demo page says what a checkpoint is and offers samples that fit the
// model: the test-weights note for a checkpoint that records no training,
// the tag on the ../shared test checkpoints in the one-click list,
// Fashion-MNIST samples for the built-in model (photos for a 1000-class
// one), and the one-line hint when a photo meets the clothing model.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';

const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);

const shot = (page, name) => page.screenshot({ path: join(h.outDir, name), fullPage: true });

const NOTE = 'test weights: predictions are meaningless';

describe('demo page: what the model is', { skip: why || false }, () => {
  let srv;
  let ctx;
  const b0 = join(h.sharedDir, 'b0', 'evalmodel.pt');
  const chelsea = join(h.imagesDir, 'chelsea_420.jpg');

  before(async () => {
    srv = await h.startDevServer(['-weights', existsSync(b0) ? b0 : '', '-images', chelsea]);
    ctx = await h.launchBrowser();
  });

  after(async () => {
    await ctx?.close();
    srv?.stop();
  });

  /** Opens the demo and waits until the built-in model has classified its first sample. */
  async function ready() {
    const page = await h.openPage(ctx, `${srv.url}/`, { waitReady: false });
    await page.waitForFunction(() => window.demo?.state.model && document.querySelectorAll('#predictions .pred').length > 0, null, { timeout: 240000 });
    await page.evaluate(() => window.demo.idle());
    return page;
  }

  /** The samples on offer: the domain of each visible one, and how many are hidden. */
  const samples = (page) => page.evaluate(() => {
    const all = [...document.querySelectorAll('#samples button')];
    return { shown: all.filter((b) => !b.hidden).map((b) => b.dataset.domain), hidden: all.filter((b) => b.hidden).length };
  });

  it('the built-in model: its training, Fashion-MNIST samples only, no note; a photo gets the hint', { timeout: 300000 }, async () => {
    const page = await ready();
    const r = await page.evaluate(() => ({
      info: document.getElementById('model-info').textContent,
      note: document.getElementById('weights-note').hidden,
      training: window.demo.state.model.info.training,
      hint: document.getElementById('domain-hint').hidden,
    }));
    assert.match(r.info, /Trainingdataset fashion-mnist, test accuracy \d+\.\d\d%/);
    assert.ok(r.note, 'no test-weights note for the built-in model');
    assert.equal(r.training.known, true);
    assert.equal(r.training.dataset, 'fashion-mnist');
    assert.ok(r.hint, 'no hint on a Fashion-MNIST sample');
    const s = await samples(page);
    assert.ok(s.shown.length >= 4 && s.shown.every((d) => d === 'fashion-mnist'), `shown: ${s.shown}`);
    assert.equal(s.hidden, 1, 'the photo sample is hidden');

    // A photo meets the clothing model: one line says so; a sample again clears it.
    await page.setInputFiles('#image-file', { name: 'cat.jpg', mimeType: 'image/jpeg', buffer: readFileSync(chelsea) });
    await page.waitForFunction(() => !document.getElementById('domain-hint').hidden, null, { timeout: 60000 });
    await page.evaluate(() => window.demo.idle());
    const hint = await page.textContent('#domain-hint');
    assert.match(hint, /only 10 kinds of clothing \(Fashion-MNIST/);
    assert.ok(!hint.includes('\n'), 'one line');
    await shot(page, 'demo-photo-hint.png');
    await page.click('#samples button:nth-child(3)');
    await page.waitForFunction(() => document.getElementById('domain-hint').hidden, null, { timeout: 60000 });
    await page.evaluate(() => window.demo.idle());
    await page.close();
  });

  it('a test checkpoint shows the note; the server tags ../shared checkpoints as test weights', { timeout: 300000 }, async () => {
    const page = await ready();
    if (existsSync(b0)) {
      const tags = await page.evaluate(() => [...document.querySelectorAll('#preset-list button')].map((b) => b.textContent));
      assert.ok(tags.some((t) => /b0\/evalmodel\.pt · .* · test weights$/.test(t)), tags.join('\n'));
      assert.ok(tags.some((t) => /fashion_mnist\.safetensors/.test(t) && !/test weights/.test(t)), tags.join('\n'));
    }
    await page.selectOption('#backend', 'cpu');
    await page.setInputFiles('#weights-file', { name: 'tiny.pt', mimeType: 'application/octet-stream', buffer: readFileSync(join(h.repoRoot, 'testdata', 'tiny.pt')) });
    await page.waitForFunction(() => window.demo.state.model?.info.classes === 3, null, { timeout: 120000 });
    await page.evaluate(() => window.demo.idle());
    const r = await page.evaluate(() => ({
      note: !document.getElementById('weights-note').hidden && document.getElementById('weights-note').textContent,
      info: window.demo.state.model.info,
      text: document.getElementById('model-info').textContent,
    }));
    assert.equal(r.note, 'Test weights: predictions are meaningless (the checkpoint records no training).');
    assert.equal(r.info.note, NOTE);
    assert.deepEqual(r.info.training, { known: false, epoch: -1, accuracy: 0, accuracySplit: '', dataset: '', trainImages: 0, summary: 'none recorded' });
    assert.match(r.text, /Trainingnone recorded/);
    await shot(page, 'demo-test-weights.png');
    // 3 classes: no known domain, so every sample is offered.
    assert.equal((await samples(page)).hidden, 0);
    await page.close();
  });

  it('a 1000-class model offers the photos', { timeout: 300000, skip: !existsSync(b0) && 'no ../shared b0 checkpoint' }, async () => {
    const page = await ready();
    await page.selectOption('#backend', 'cpu');
    await page.evaluate(() => { window.demo.state.image = null; }); // no classification at 224² on the CPU
    await page.evaluate(() => [...document.querySelectorAll('#preset-list button')].find((b) => /b0\/evalmodel/.test(b.textContent)).click());
    await page.waitForFunction(() => window.demo.state.model?.info.classes === 1000, null, { timeout: 240000 });
    await page.evaluate(() => window.demo.idle());
    const s = await samples(page);
    assert.deepEqual(s.shown, ['photo']);
    assert.ok(s.hidden >= 4);
    assert.ok(!(await page.evaluate(() => document.getElementById('weights-note').hidden)), 'the b0 test checkpoint has the note');
    await page.close();
  });
});
