// One benchmarked engine in a page: loaded from the query string
// (?engine=lowformer-web|lowformer-web-cpu|ort-web-webgpu|ort-web-wasm-1t|ort-web-wasm-2t&variant=b0&batch=1&size=224&warmup=2
// [&ortbundle=ort.all.min.mjs]),
// timed from the navigation start (performance.timeOrigin) to the first
// logits, then driven by the harness through window.bench.
//
// The input is the variant's reference batch (/shared/<variant>/input.bin),
// image i of the batch being reference image i mod k; the first and the
// last run's logits are compared with /shared/<variant>/logits.bin.

import { check } from './check.mjs';

const q = new URLSearchParams(location.search);
const cfg = {
  engine: q.get('engine'),
  variant: q.get('variant') || 'b0',
  batch: Number(q.get('batch') || 1),
  size: Number(q.get('size') || 224),
  warmup: Number(q.get('warmup') || 2),
  ortBundle: q.get('ortbundle') || 'ort.all.min.mjs',
};

// Every WebAssembly.Memory the engine creates, imports or exports: their
// sizes are the wasm heaps' high-water marks (a memory never shrinks).
const memories = new Set();
{
  const Memory = WebAssembly.Memory;
  WebAssembly.Memory = class extends Memory {
    constructor(d) { super(d); memories.add(this); }
  };
  const note = (obj) => {
    for (const v of Object.values(obj || {})) {
      if (v instanceof Memory) memories.add(v);
      else if (v && typeof v === 'object' && !(v instanceof WebAssembly.Module)) for (const w of Object.values(v)) if (w instanceof Memory) memories.add(w);
    }
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const orig = WebAssembly[name];
    WebAssembly[name] = async function (src, imports) {
      note(imports);
      const r = await orig.call(WebAssembly, src, imports);
      note((r.instance || r).exports);
      return r;
    };
  }
}

const f32 = async (url) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Float32Array(await r.arrayBuffer());
};

/** Repeats the k reference images to a batch of n. */
function tile(ref, n, per) {
  const k = ref.length / per;
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++) x.set(ref.subarray((i % k) * per, (i % k + 1) * per), i * per);
  return x;
}

/** The adapter lowformer.js would pick: a non-fallback core adapter, else compatibility mode. */
async function pickAdapter() {
  if (!navigator.gpu) throw new Error('navigator.gpu is missing (WebGPU disabled?)');
  const fallback = (a) => Boolean(a.info?.isFallbackAdapter ?? a.isFallbackAdapter) || a.info?.architecture === 'swiftshader';
  const core = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (core && !fallback(core)) return { adapter: core, level: 'core' };
  const compat = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel: 'compatibility' });
  if (compat && !fallback(compat)) return { adapter: compat, level: 'compatibility' };
  if (core) return { adapter: core, level: 'core, fallback' };
  throw new Error('no WebGPU adapter');
}

function describe({ adapter, level }) {
  const i = adapter.info || {};
  return `${[i.vendor, i.architecture, i.description].filter(Boolean).join(' ')} (webgpu, ${level})`;
}

// Each engine: load() prepares it and returns {adapter, notes}; run(x)
// returns the logits as a Float32Array.
const engines = {
  'lowformer-web': (marks) => lowformerWeb(marks, 'progressive'),
  'lowformer-web-specialized': (marks) => lowformerWeb(marks, 'specialized'),
  'lowformer-web-cpu': async (marks) => {
    const mod = await import('/web/lowformer.js');
    const LowFormer = mod.LowFormer || mod.default;
    marks.imported = performance.now();
    // The pure-Go CPU path, on the main thread (one Go thread), the wasm build lowformer.js picks.
    const m = await LowFormer.load({ weights: `/shared/${cfg.variant}/evalmodel.pt`, cache: false, backend: 'cpu' });
    marks.session = performance.now();
    return {
      adapter: `CPU, pure Go in wasm (${m.info.wasm === 'scalar' ? 'lowformer-scalar.wasm' : 'lowformer-cpu.wasm, SIMD build'}), 1 thread`,
      notes: `main thread; weights ${m.info.weightsSource}; ${m.info.wasm} build`,
      run: (x) => m.logits(x, [cfg.batch, 3, cfg.size, cfg.size]),
    };
  },
  'ort-web-webgpu': async (marks) => {
    const picked = await pickAdapter();
    // ort.all.min.mjs runs the webgpu EP on JSEP; ort.webgpu.min.mjs (the
    // onnxruntime-web/webgpu export) on the native WebGPU EP, which was
    // about 6x slower on lavapipe-compat: the harness picks (--ort-webgpu-bundle).
    const ort = await import(`/ort/${cfg.ortBundle}`);
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.webgpu.adapter = picked.adapter;
    marks.imported = performance.now();
    const s = await ortSession(ort, 'webgpu', describe(picked), marks);
    s.notes += `; ${cfg.ortBundle}`;
    return s;
  },
  'ort-web-wasm-1t': (marks) => ortWasm(marks, 1),
  'ort-web-wasm-2t': (marks) => ortWasm(marks, 2),
};

/**
 * lowformer.js on the GPU with a start mode. warmup: false: the shaders compile in the first run,
 * the shortest path to the first logits. With a progressive start, untilSpecialized runs the
 * generic plan until the swap, so that the timed runs are the specialized plan's.
 */
async function lowformerWeb(marks, start) {
  const mod = await import('/web/lowformer.js');
  const LowFormer = mod.LowFormer || mod.default;
  marks.imported = performance.now();
  const m = await LowFormer.load({ weights: `/shared/${cfg.variant}/evalmodel.pt`, cache: false, backend: 'gpu', warmup: false, start });
  marks.session = performance.now();
  const run = (x) => m.logits(x, [cfg.batch, 3, cfg.size, cfg.size]);
  return {
    adapter: m.info.adapter,
    notes: `main thread; weights ${m.info.weightsSource}; start ${m.info.start}${start === 'progressive' ? ' (timed runs after the swap)' : ''}`,
    run,
    untilSpecialized: start === 'progressive' && (async (x) => {
      const times = [];
      while (m.info.phase !== 'specialized' && times.length < 200) {
        const t0 = performance.now();
        await run(x);
        times.push(performance.now() - t0);
      }
      await m.waitSpecialized();
      return { times, at: performance.now() };
    }),
  };
}

/** onnxruntime-web's wasm EP (SIMD) with threads threads. */
async function ortWasm(marks, threads) {
  const ort = await import('/ort/ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = threads;
  marks.imported = performance.now();
  const s = await ortSession(ort, 'wasm', `CPU, wasm SIMD, ${threads} thread${threads > 1 ? 's' : ''}`, marks);
  if (threads > 1 && !crossOriginIsolated) s.notes += '; NOT cross-origin isolated: ORT runs 1 thread';
  return s;
}

async function ortSession(ort, ep, adapter, marks) {
  const session = await ort.InferenceSession.create(`/shared/${cfg.variant}/model.onnx`, { executionProviders: [ep] });
  marks.session = performance.now();
  const [inName] = session.inputNames;
  const [outName] = session.outputNames;
  return {
    adapter,
    notes: `onnxruntime-web ${ort.env.versions?.web || ''} ${ep} EP; session ${(marks.session - marks.imported).toFixed(0)} ms`,
    run: async (x) => {
      const out = await session.run({ [inName]: new ort.Tensor('float32', x, [cfg.batch, 3, cfg.size, cfg.size]) });
      return out[outName].data;
    },
  };
}

/** The page's wasm heaps (high-water marks) plus its JS heap now. */
function memory() {
  let bytes = 0;
  for (const m of memories) bytes += m.buffer.byteLength;
  const js = performance.memory ? performance.memory.usedJSHeapSize : 0;
  return { bytes: bytes + js, method: 'page: wasm linear memories (high-water mark) + used JS heap; GPU buffers not counted' };
}

async function main() {
  const marks = {};
  const make = engines[cfg.engine];
  if (!make) throw new Error(`unknown engine ${cfg.engine}`);
  const per = 3 * cfg.size * cfg.size;
  const [refInput, ref] = await Promise.all([f32(`/shared/${cfg.variant}/input.bin`), f32(`/shared/${cfg.variant}/logits.bin`)]);
  if (refInput.length % per !== 0) throw new Error(`the reference input holds no whole ${cfg.size}x${cfg.size} images`);
  const x = tile(refInput, cfg.batch, per);
  const classes = ref.length / (refInput.length / per);
  const engine = await make(marks);
  const first = await engine.run(x);
  const coldStart = performance.now();
  const spec = engine.untilSpecialized ? await engine.untilSpecialized(x) : null;
  for (let i = 0; i < cfg.warmup; i++) await engine.run(x);
  let last = first;
  window.bench = {
    runOnce: async () => {
      const t0 = performance.now();
      last = await engine.run(x);
      return performance.now() - t0;
    },
    finish: async () => ({ ...check([first, last], ref, classes, cfg.batch), memory: memory() }),
  };
  return {
    adapter: engine.adapter,
    notes: engine.notes,
    coldStartMs: coldStart,
    firstRunMs: coldStart - marks.session,
    loadMs: marks.session,
    genericRuns: spec?.times.length,
    genericMedianMs: spec?.times.length ? [...spec.times].sort((a, b) => a - b)[Math.floor(spec.times.length / 2)] : null,
    specializedMs: spec?.at,
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
  };
}

window.benchReady = main().catch((e) => ({ error: String(e && e.stack || e) }));
