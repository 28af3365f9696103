// Accuracy of the embedded Fashion-MNIST LowFormer (pretrained/) in the
// browser: the page loads the model on the main thread on the WebGPU adapter
// and classifies the 300 committed test images (test images 0..299 of
// Fashion-MNIST) through the public classify(ImageData) path, so the Go
// side's PIL-exact preprocessing runs in wasm. Same rule as the native test
// (pretrained/helpers_test.go): top-1 agreement with PyTorch on at least
// 99.9 % of the images (at most ⌊n/1000⌋ = 0 disagreements on 300), accuracy
// against the true labels equal to PyTorch's within 0.1 pp, and the class
// names come from the file's safetensors metadata.
//
// Then the same samples through the int8 twin of the model (lowformer
// convert -dtype int8): accuracy within 0.5 pp of the float32 model's; and
// the classify options shared with MediaPipe's ImageClassifier
// (scoreThreshold, categoryAllowlist / categoryDenylist, regionOfInterest,
// an array of images as one batch) on the main thread and in a Worker.
//
//   make web && cd web && node --test test/fmnist.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as h from './harness.mjs';

const SIDE = 28; // Fashion-MNIST images are 28×28 gray
const PROB_TOL = 1e-4; // |Δ| of the top-1 probability against PyTorch's softmax
// The class names the safetensors metadata must carry, in label order.
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const files = {
  model: join(h.pretrainedDir, 'fashion_mnist.safetensors'),
  samples: join(h.pretrainedDir, 'fashion_mnist_samples.bin'), // uint8 [n, 28, 28]
  labels: join(h.pretrainedDir, 'fashion_mnist_sample_labels.bin'), // uint8 [n]
  torchPreds: join(h.pretrainedDir, 'testdata', 'torch_preds.bin'), // uint8 argmax, all 10 000 test images
  torchLogits: join(h.pretrainedDir, 'testdata', 'torch_logits.f32'), // float32 [n, 10], the samples
  trainInfo: join(h.pretrainedDir, 'testdata', 'train_info.json'), // sample_accuracy: PyTorch's on the samples
};

const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);
const missingFile = Object.values(files).find((f) => !existsSync(f));
const noData = missingFile ? `no ${missingFile}` : false;

/**
 * PyTorch's reference for the n samples: argmax, top-1 probability, labels,
 * and the accuracy the training run recorded for them.
 */
function reference() {
  const labels = Array.from(readFileSync(files.labels));
  const n = labels.length;
  const preds = readFileSync(files.torchPreds);
  assert.ok(preds.length >= n, `${files.torchPreds} holds ${preds.length} predictions, need ${n}`);
  const b = readFileSync(files.torchLogits);
  const logits = new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  assert.equal(logits.length, n * CLASSES.length, `${files.torchLogits}: want [${n}, ${CLASSES.length}] float32`);
  const prob = labels.map((_, k) => {
    const row = Array.from(logits.subarray(k * CLASSES.length, (k + 1) * CLASSES.length));
    const hi = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - hi), 0);
    // torch_preds.bin and torch_logits.f32 come from the same run.
    assert.equal(row.indexOf(hi), preds[k], `sample ${k}: torch_preds.bin and the argmax of torch_logits.f32 differ`);
    return 1 / sum;
  });
  const { sample_accuracy: sampleAccuracy } = JSON.parse(readFileSync(files.trainInfo, 'utf8'));
  assert.equal(typeof sampleAccuracy, 'number', `${files.trainInfo} has no sample_accuracy`);
  return { labels, preds: Array.from(preds.subarray(0, n)), prob, sampleAccuracy };
}

/** Number of disagreements of got with want, and the accuracies of both against truth. */
function agreement(got, want, truth) {
  let disagree = 0;
  let okGot = 0;
  let okWant = 0;
  got.forEach((g, i) => {
    if (g !== want[i]) disagree++;
    if (g === truth[i]) okGot++;
    if (want[i] === truth[i]) okWant++;
  });
  return { disagree, acc: okGot / got.length, accTorch: okWant / got.length };
}

describe('Fashion-MNIST model in Chromium (main thread, WebGPU)', { skip: why || noData }, () => {
  let srv;
  let ctx;
  let page;

  before(async () => {
    // The int8 twin of the model, as the CLI writes it.
    mkdirSync(h.fixturesDir, { recursive: true });
    execFileSync('go', ['run', './cmd/lowformer', 'convert', '-in', files.model, '-out', join(h.fixturesDir, 'fashion_mnist_int8.safetensors'), '-dtype', 'int8'],
      { cwd: h.repoRoot, stdio: 'inherit' });
    srv = await h.startServer();
    ctx = await h.launchBrowser();
    page = await h.openPage(ctx, `${srv.url}/test.html`);
    assert.ok(await h.adapterInfo(page), 'Chromium offers no WebGPU adapter: the GPU tests need one');
  });

  after(async () => {
    if (page) {
      const errors = page.log.filter((l) => l.startsWith('[pageerror]') || /fatal error|panic:|\[gpu-uncaptured\]/.test(l));
      assert.deepEqual(errors, [], 'the page logged uncaught errors, uncaptured WebGPU errors or a Go panic');
    }
    await ctx?.close();
    await srv?.close();
  });

  it('classifies the 300 samples as PyTorch does, with the same accuracy', { timeout: 120000 }, async (t) => {
    const ref = reference();
    const r = await page.evaluate(async (side) => {
      const t0 = performance.now();
      const m = await LowFormer.load({ weights: '/pretrained/fashion_mnist.safetensors', backend: 'gpu', cache: false });
      const loaded = performance.now();
      const res = await fetch('/pretrained/fashion_mnist_samples.bin');
      if (!res.ok) throw new Error(`fashion_mnist_samples.bin: HTTP ${res.status}`);
      const samples = new Uint8Array(await res.arrayBuffer());
      const px = side * side;
      const out = [];
      const t1 = performance.now();
      for (let k = 0; k < samples.length / px; k++) {
        // 28×28 gray → opaque RGBA, as a canvas would hold it.
        const img = new ImageData(side, side);
        for (let i = 0; i < px; i++) {
          const g = samples[k * px + i];
          img.data.set([g, g, g, 255], 4 * i);
        }
        const { predictions, width, height } = await m.classify(img, { topK: 1 });
        out.push({ n: predictions.length, width, height, ...predictions[0] });
      }
      const t2 = performance.now();
      const info = { ...m.info, labels: [...m.info.labels] };
      await m.dispose();
      return { info, out, images: samples.length / px, loadMs: loaded - t0, classifyMs: t2 - t1 };
    }, SIDE);

    assert.equal(r.images, ref.labels.length, `fashion_mnist_samples.bin holds ${r.images} images, the labels file ${ref.labels.length}`);
    assert.equal(r.info.backend, 'gpu');
    assert.equal(r.info.worker, false);
    assert.equal(r.info.classes, CLASSES.length);
    assert.equal(r.info.inputSize, 48, 'input_size from the safetensors metadata');
    assert.deepEqual(r.info.labels, CLASSES, 'class names from the safetensors metadata');
    const got = r.out.map((p, k) => {
      assert.equal(p.n, 1, `sample ${k}: topK 1 gave ${p.n} predictions`);
      assert.deepEqual([p.width, p.height], [SIDE, SIDE], `sample ${k}: source size`);
      assert.equal(p.label, r.info.labels[p.index], `sample ${k}: label of class ${p.index}`);
      return p.index;
    });
    const { disagree, acc, accTorch } = agreement(got, ref.preds, ref.labels);
    const probDiff = Math.max(...r.out.map((p, k) => (p.index === ref.preds[k] ? Math.abs(p.probability - ref.prob[k]) : Infinity)));
    const n = got.length;
    const msg = `${n} samples in the browser (${r.info.adapter}): accuracy ${(100 * acc).toFixed(2)} % (PyTorch ${(100 * accTorch).toFixed(2)} %), `
      + `${disagree} of ${n} top-1 predictions differ from PyTorch (agreement ${(100 * (n - disagree) / n).toFixed(2)} %), `
      + `max |Δp| of the top-1 probability ${probDiff.toExponential(2)}; load ${r.loadMs.toFixed(0)} ms, `
      + `classify ${(r.classifyMs / 1000).toFixed(2)} s (${(r.classifyMs / n).toFixed(1)} ms/image, first call included)`;
    t.diagnostic(msg);
    const examples = got.map((g, k) => [k, g, ref.preds[k]]).filter(([, g, w]) => g !== w).slice(0, 5)
      .map(([k, g, w]) => `sample ${k}: ${CLASSES[g]}, PyTorch ${CLASSES[w]}`).join('; ');
    // The labels and torch_preds.bin must give the accuracy the training run
    // recorded (94.33 %), so that a wrong label file cannot pass unnoticed.
    assert.ok(Math.abs(accTorch - ref.sampleAccuracy) < 1e-9, `PyTorch's accuracy from the label file and torch_preds.bin is ${(100 * accTorch).toFixed(2)} %, train_info.json records ${(100 * ref.sampleAccuracy).toFixed(2)} %`);
    assert.ok(disagree <= Math.floor(n / 1000), `${disagree} of ${n} predictions differ from PyTorch, at most ${Math.floor(n / 1000)} allowed (${examples})`);
    assert.ok(Math.abs(acc - accTorch) <= 0.001, `accuracy ${(100 * acc).toFixed(2)} % differs from PyTorch's ${(100 * accTorch).toFixed(2)} % by more than 0.1 pp`);
    assert.ok(probDiff <= PROB_TOL, `top-1 probabilities differ from PyTorch's softmax by up to ${probDiff}, want ≤ ${PROB_TOL}`);
  });

  it('int8 weights: same accuracy within 0.5 pp, a quarter of the download, info says I8', { timeout: 120000 }, async (t) => {
    const ref = reference();
    const int8Bytes = statSync(join(h.fixturesDir, 'fashion_mnist_int8.safetensors')).size;
    const f32Bytes = statSync(files.model).size;
    const r = await page.evaluate(async (side) => {
      const t0 = performance.now();
      const m = await LowFormer.load({ weights: '/fixtures/fashion_mnist_int8.safetensors', backend: 'gpu', cache: false });
      const loadMs = performance.now() - t0;
      const samples = new Uint8Array(await (await fetch('/pretrained/fashion_mnist_samples.bin')).arrayBuffer());
      const px = side * side;
      const imgs = Array.from({ length: samples.length / px }, (_, k) => {
        const img = new ImageData(side, side);
        for (let i = 0; i < px; i++) {
          const g = samples[k * px + i];
          img.data.set([g, g, g, 255], 4 * i);
        }
        return img;
      });
      // One image at a time, as the float32 test (a large batch costs
      // lavapipe a minute of shader compilation and dispatch).
      const out = [];
      for (const img of imgs) out.push((await m.classify(img, { topK: 1 })).predictions[0].index);
      const info = { dtype: m.info.dtype, quantization: m.info.quantization, weightsBytes: m.info.weightsBytes };
      await m.dispose();
      return { info, out, loadMs };
    }, SIDE);
    assert.equal(r.info.dtype, 'I8');
    assert.equal(r.info.quantization, 'int8_symmetric_per_channel');
    assert.equal(r.info.weightsBytes, int8Bytes);
    assert.ok(int8Bytes <= 0.3 * f32Bytes, `int8 file ${int8Bytes} bytes, more than 0.3× the f32 file's ${f32Bytes}`);
    const { disagree, acc, accTorch } = agreement(r.out, ref.preds, ref.labels);
    t.diagnostic(`int8 in the browser: ${int8Bytes} bytes (${(int8Bytes / f32Bytes).toFixed(3)}× f32), load ${r.loadMs.toFixed(0)} ms, `
      + `accuracy ${(100 * acc).toFixed(2)} % (f32/PyTorch ${(100 * accTorch).toFixed(2)} %), ${disagree} of ${r.out.length} top-1 differ`);
    assert.ok(Math.abs(acc - accTorch) <= 0.005, `int8 accuracy ${(100 * acc).toFixed(2)} % differs from f32's ${(100 * accTorch).toFixed(2)} % by more than 0.5 pp`);
  });

  it('classify options: scoreThreshold, category lists, regionOfInterest, arrays as one batch (main thread and Worker), clear errors', { timeout: 120000 }, async () => {
    const r = await page.evaluate(async (side) => {
      const samples = new Uint8Array(await (await fetch('/pretrained/fashion_mnist_samples.bin')).arrayBuffer());
      const image = (k, x0 = 0, y0 = 0, w = side, h = side) => {
        const img = new ImageData(w, h);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const g = samples[k * side * side + (y0 + y) * side + x0 + x];
            img.data.set([g, g, g, 255], 4 * (y * w + x));
          }
        }
        return img;
      };
      const strip = (res) => res.predictions.map((p) => [p.index, p.label, p.probability]);
      const out = {};
      for (const worker of [false, true]) {
        const m = await LowFormer.load({ weights: '/pretrained/fashion_mnist.safetensors', backend: 'gpu', cache: false, worker });
        const o = {};
        const img = image(0);
        const all = await m.classify(img, { topK: 10 });
        o.all = strip(all);
        const [a, b] = [all.predictions[1], all.predictions[4]];
        o.threshold = strip(await m.classify(img, { topK: 10, scoreThreshold: all.predictions[2].probability }));
        o.allow = strip(await m.classify(img, { categoryAllowlist: [b.label, a.label] }));
        o.deny = strip(await m.classify(img, { topK: 3, categoryDenylist: [all.predictions[0].label] }));
        o.roi = strip(await m.classify(img, { topK: 10, regionOfInterest: { left: 0.25, top: 0, right: 0.75, bottom: 0.5 } }));
        o.cropped = strip(await m.classify(image(0, 7, 0, 14, 14), { topK: 10 }));
        // An array is one batch: the same results as one at a time, in order, Blob and pixels mixed.
        const c = new OffscreenCanvas(side, side);
        c.getContext('2d').putImageData(image(2), 0, 0);
        const png = await c.convertToBlob({ type: 'image/png' });
        const batch = await m.classify([image(1), png, image(3)], { topK: 3 });
        o.batch = batch.map(strip);
        o.batchMeta = batch.map((x) => [x.width, x.height, x.decoder, typeof x.timings.inference, typeof x.timings.total]);
        o.single = [await m.classify(image(1), { topK: 3 }), await m.classify(png, { topK: 3 }), await m.classify(image(3), { topK: 3 })].map(strip);
        o.batchRoi = (await m.classify([image(0), image(0)], { topK: 10, regionOfInterest: { left: 0.25, top: 0, right: 0.75, bottom: 0.5 } })).map(strip);
        o.errors = {};
        const bad = {
          both: [img, { categoryAllowlist: ['Bag'], categoryDenylist: ['Coat'] }],
          unknown: [img, { categoryAllowlist: ['Bag', 'Zebra'] }],
          notList: [img, { categoryDenylist: 'Bag' }],
          threshold: [img, { scoreThreshold: 1.5 }],
          thresholdType: [img, { scoreThreshold: '0.5' }],
          roi: [img, { regionOfInterest: { left: 0.6, top: 0, right: 0.4, bottom: 1 } }],
          roiRange: [img, { regionOfInterest: { left: 0, top: 0, right: 1.2, bottom: 1 } }],
          roiMissing: [img, { regionOfInterest: { left: 0, top: 0, right: 1 } }],
          empty: [[], {}],
          badItem: [[img, 'cat.jpg'], {}],
        };
        for (const [name, [src, opts]] of Object.entries(bad)) {
          try {
            await m.classify(src, opts);
            o.errors[name] = 'resolved';
          } catch (err) {
            o.errors[name] = err.message;
          }
        }
        o.after = strip(await m.classify(img, { topK: 10 }));
        await m.dispose();
        out[worker ? 'worker' : 'main'] = o;
      }
      return out;
    }, SIDE);
    for (const [where, o] of Object.entries(r)) {
      const all = o.all;
      assert.equal(all.length, 10, where);
      assert.deepEqual(o.threshold, all.slice(0, 3), `${where}: scoreThreshold at the third class keeps the first three`);
      assert.deepEqual(o.allow, [all[1], all[4]], `${where}: categoryAllowlist keeps those two, in rank order`);
      assert.deepEqual(o.deny, all.slice(1, 4), `${where}: categoryDenylist drops the first`);
      assert.deepEqual(o.roi, o.cropped, `${where}: regionOfInterest classifies as the cropped image`);
      assert.notDeepEqual(o.roi, all, `${where}: the crop must classify differently for the check to mean anything`);
      assert.deepEqual(o.batch, o.single, `${where}: an array gives the results of single calls, in order`);
      assert.deepEqual(o.batchMeta, [[28, 28, 'pixels', 'number', 'number'], [28, 28, 'go', 'number', 'number'], [28, 28, 'pixels', 'number', 'number']], where);
      assert.deepEqual(o.batchRoi, [o.cropped, o.cropped], `${where}: the region applies to every image of an array`);
      assert.deepEqual(o.after, all, `${where}: the model still classifies after the errors`);
      const want = {
        both: /categoryAllowlist and categoryDenylist are mutually exclusive/,
        unknown: /categoryAllowlist: "Zebra" is not a class label of this model/,
        notList: /option categoryDenylist must be an array of strings, got a string/,
        threshold: /scoreThreshold 1\.5 outside 0\.\.1/,
        thresholdType: /option scoreThreshold must be a number, got a string/,
        roi: /regionOfInterest \{left:0\.6 top:0 right:0\.4 bottom:1\}: need left < right and top < bottom/,
        roiRange: /regionOfInterest .*coordinates must be in 0\.\.1/,
        roiMissing: /regionOfInterest\.bottom must be a number in 0\.\.1, got undefined/,
        empty: /classify was given an empty array of images/,
        badItem: /the image must be an HTMLImageElement/,
      };
      for (const [name, re] of Object.entries(want)) assert.match(o.errors[name], re, `${where}: ${name}`);
    }
    assert.deepEqual(r.worker.all, r.main.all, 'the Worker classifies as the main thread');
  });
});
