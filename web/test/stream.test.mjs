// model.classifyStream in Chromium with a fake camera
// (--use-fake-device-for-media-stream): a <video>, a MediaStreamTrack and an async iterable of
// VideoFrames, with the GPU and the CPU preprocessing, on the main thread and in a Worker: results
// keep coming, at most one inference is in flight, stale frames are dropped (and closed), the
// latency from frame to result stays bounded, the fps cap holds, and stop() stops.
//
//   make web && node --test --test-concurrency=1 web/test/stream.test.mjs

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

const why = h.missingPrerequisite();
if (why && h.CI) throw new Error(`browser tests cannot run: ${why}`);
const CAMERA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

// In the page: streams for ms milliseconds and describes what happened.
async function streamFor([how, ms, opts, load]) {
  const key = JSON.stringify(load);
  window.models ??= {};
  window.models[key] ??= await LowFormer.load({ weights: '/pretrained/fashion_mnist.safetensors', cache: false, ...load });
  const m = window.models[key];
  window.cam ??= await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  let source;
  const made = [];
  if (how === 'video') {
    source = document.createElement('video');
    Object.assign(source, { muted: true, playsInline: true, srcObject: window.cam });
    await source.play();
  } else if (how === 'track') {
    source = window.cam.getVideoTracks()[0];
  } else { // an async iterable producing a 640×480 VideoFrame every 5 ms, faster than the model
    const c = new OffscreenCanvas(640, 480);
    const cx = c.getContext('2d');
    source = (async function* frames() {
      for (let i = 0; ; i++) {
        cx.fillStyle = `hsl(${(i * 7) % 360} 80% 50%)`;
        cx.fillRect(0, 0, 640, 480);
        const f = new VideoFrame(c, { timestamp: i * 5000 });
        made.push(f);
        yield f;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }
  const results = [];
  let inFlight = 0;
  let maxInFlight = 0;
  // Count the inferences in flight by wrapping the model's methods.
  const wrap = (name) => {
    const orig = m[name].bind(m);
    m[name] = async (...a) => { inFlight++; maxInFlight = Math.max(maxInFlight, inFlight); try { return await orig(...a); } finally { inFlight--; } };
    return () => { m[name] = orig; };
  };
  const unwrap = [wrap('classify'), wrap('embed')];
  const t0 = performance.now();
  const handle = m.classifyStream(source, (r) => results.push({ latency: r.latency, fps: r.fps, frame: r.frame, dropped: r.dropped,
    top: r.predictions?.[0]?.label, embedding: r.embedding?.length, pre: r.timings.preprocess ?? 0, pixels: r.timings.pixels ?? 0,
    inference: r.timings.inference, total: r.timings.total, decoder: r.decoder }), opts);
  await new Promise((r) => setTimeout(r, ms));
  const stats = handle.stats();
  await handle.stop();
  const after = results.length;
  await new Promise((r) => setTimeout(r, 500));
  unwrap.forEach((u) => u());
  if (how === 'video') { source.pause(); source.srcObject = null; }
  const unclosed = made.slice(0, -2).filter((f) => f.format !== null).length; // all but the last few must be closed
  return { results, stats, afterStop: results.length - after, maxInFlight, elapsed: performance.now() - t0, unclosed, backend: m.info.backend, worker: m.info.worker, embeddingSize: m.info.embeddingSize };
}

function summary(r) {
  const lat = r.results.map((x) => x.latency);
  const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1] ?? NaN;
  const half = Math.floor(lat.length / 2);
  return { n: r.results.length, fps: r.stats.fps, dropped: r.stats.dropped, latFirst: med(lat.slice(0, half)), latLast: med(lat.slice(half)),
    latMax: Math.max(...lat), pre: med(r.results.map((x) => x.pre + x.pixels)), total: med(r.results.map((x) => x.total)) };
}

function checkStream(t, what, r, { minResults = 3 } = {}) {
  const s = summary(r);
  const line = `${what}: ${s.n} results in ${(r.elapsed / 1000).toFixed(1)} s, ${s.fps.toFixed(2)} fps, ${s.dropped} frames dropped, latency median ${s.latFirst.toFixed(0)} ms (first half) / ${s.latLast.toFixed(0)} ms (second half), max ${s.latMax.toFixed(0)} ms; per frame: preprocessing ${s.pre.toFixed(1)} ms, total ${s.total.toFixed(0)} ms`;
  t.diagnostic(line);
  console.log('# ' + line);
  assert.ok(s.n >= minResults, `only ${s.n} results`);
  assert.equal(r.maxInFlight, 1, 'more than one inference in flight');
  assert.equal(r.afterStop, 0, 'results after stop()');
  assert.equal(r.stats.running, true);
  // No backlog: the latency does not grow (the second half's median stays within 2× the first's + one frame time).
  assert.ok(s.latLast <= 2 * s.latFirst + s.total, `latency grows: ${s.latFirst} → ${s.latLast} ms`);
  return s;
}

describe('classifyStream in Chromium with a fake camera', { skip: why || false }, () => {
  const s = h.usePage({ args: CAMERA });
  const timings = {};

  for (const [how, preprocess] of [['video', 'gpu'], ['video', 'cpu'], ['track', 'gpu'], ['frames', 'gpu']]) {
    it(`${how} source, preprocess ${preprocess}: results keep coming, one inference in flight, stale frames dropped`, { timeout: 300000 }, async (t) => {
      const r = await s.page.evaluate(streamFor, [how, 8000, { preprocess, topK: 3 }, {}]);
      const sum = checkStream(t, `built-in model, ${how}, preprocess ${preprocess} (${r.backend})`, r);
      timings[`${how}/${preprocess}`] = sum;
      assert.ok(r.results.every((x) => x.top), 'every result has a class');
      if (preprocess === 'gpu') assert.ok(r.results.every((x) => x.decoder === 'gpu'));
      if (how === 'frames') {
        assert.ok(sum.dropped > 0, 'frames made every 5 ms must outrun the model');
        assert.equal(r.unclosed, 0, 'dropped and used VideoFrames must be closed');
      }
    });
  }

  it('fps cap: at most fps inferences a second', { timeout: 120000 }, async (t) => {
    const r = await s.page.evaluate(streamFor, ['video', 4000, { preprocess: 'gpu', fps: 1.5 }, {}]);
    checkStream(t, 'fps 1.5', r, { minResults: 2 });
    assert.ok(r.results.length <= 7, `${r.results.length} results in 4 s with fps 1.5`);
  });

  it('embeddings of a stream', { timeout: 120000 }, async (t) => {
    const r = await s.page.evaluate(streamFor, ['video', 4000, { preprocess: 'gpu', embed: true }, {}]);
    checkStream(t, 'embeddings', r, { minResults: 2 });
    assert.ok(r.embeddingSize > 0, `info.embeddingSize ${r.embeddingSize}`);
    for (const x of r.results) assert.equal(x.embedding, r.embeddingSize, 'a stream result\'s embedding length');
  });

  it('worker mode: VideoFrames and ImageBitmaps transferred to the worker', { timeout: 300000 }, async (t) => {
    const r = await s.page.evaluate(streamFor, ['frames', 6000, { preprocess: 'gpu' }, { worker: true }]);
    assert.equal(r.worker, true);
    checkStream(t, 'worker, frames, preprocess gpu', r);
    assert.equal(r.unclosed, 0, 'frames must be closed (transferred or dropped)');
    const v = await s.page.evaluate(streamFor, ['video', 6000, { preprocess: 'gpu' }, { worker: true }]);
    checkStream(t, 'worker, video, preprocess gpu', v);
  });
});
