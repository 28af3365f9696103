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
//   make web && cd web && node --test test/fmnist.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
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
});
