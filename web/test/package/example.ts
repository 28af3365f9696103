// A TypeScript program using every public name of lowformer-webgpu: the
// package test type-checks it (tsc --noEmit --strict, against the installed
// package's lowformer.d.ts) and then runs it in Node, where it prints the
// runtime shape of each result for the test to compare with the declared
// types. Browser-only calls (image elements, worker mode) are type-checked in
// browserOnly, which never runs.
import LowFormerDefault, {
  CACHE_NAME, DEFAULT_TOP_K, DEFAULT_TUNE_BUDGET_MS, LowFormer, SIMD_PROBE, TUNING_DB, classifyStream, clearCache, cosineSimilarity, hasWasmSIMD,
} from 'lowformer-webgpu';
import type {
  ClassifyOptions, ClassifyResult, ClassifyTimings, DebugOptions, ImageSource, LoadOptions, LoadTimings,
  GPUPhase, LowFormerError, ModelInfo, Prediction, ProgressEvent, ProgressPhase, RGBAPixels, RegionOfInterest, TrainingInfo, Weights,
  EmbedResult, FeaturesResult, Feature, StreamHandle, StreamResult, StreamStats,
  TuneMode, TuneSummary, TuningChoice, TuningTable,
} from 'lowformer-webgpu';

declare const process: { argv: string[] };

const weights: Weights = process.argv[2];
const phases: ProgressPhase[] = [];
const debug: DebugOptions = { dumpWGSL: (label: string, wgsl: string) => void (label.length + wgsl.length) };
// A table an app ships (model.tuningTable() of a tuned run); Node has no WebGPU, so it is only checked.
const choice: TuningChoice = { set: 'cpu', tm: 4, tn: 16, wg: 32, tex: true };
const shipped: TuningTable = {
  version: 1, set: 'cpu', adapter: { vendor: 'mesa', architecture: '', device: 'llvmpipe', description: 'llvmpipe (webgpu)', backend: 'webgpu' },
  entries: { 'pointwise m196 k128 n512 hswish': { default: choice, candidates: [{ choice, ms: 0.5 }], pending: 0, chosen: choice } },
};
const tune: TuneMode = 'background';
const options: LoadOptions = {
  weights,
  backend: 'auto',
  kernels: 'auto',
  variant: '',
  cache: true,
  warmup: true,
  start: 'progressive',
  workers: 1,
  simd: hasWasmSIMD(SIMD_PROBE),
  onProgress: (p: ProgressEvent) => { phases.push(p.phase); void (p.key ?? p.candidate ?? p.ms ?? p.error); },
  debug,
  tune,
  tuning: shipped,
  tuneBudgetMs: DEFAULT_TUNE_BUDGET_MS / 10,
};

const model: LowFormer = await LowFormerDefault.load(options);
const info: Readonly<ModelInfo> = model.info;
const startPhase: '' | GPUPhase = info.phase;
await model.waitSpecialized();
const gpuStart: [string, string, string] = [info.start, startPhase, model.info.phase];
const training: TrainingInfo = info.training;
const timings: Readonly<LoadTimings> = model.timings;

// A synthetic 28×28 RGBA image: what Node callers pass (or a Blob of a file).
const side = 28;
const data = new Uint8ClampedArray(side * side * 4);
for (let i = 0; i < side * side; i++) data.set([i % 256, (3 * i) % 256, 255 - (i % 256), 255], 4 * i);
const pixels: RGBAPixels = { data, width: side, height: side };
const copts: ClassifyOptions = { topK: DEFAULT_TOP_K, size: info.inputSize, decoder: 'go' };
const result: ClassifyResult = await model.classify(pixels, copts);
const top: Prediction = result.predictions[0];
const ctimes: ClassifyTimings = result.timings;
const roi: RegionOfInterest = { left: 0, top: 0, right: 1, bottom: 1 };
const filtered: ClassifyResult[] = await model.classify([pixels, pixels], {
  scoreThreshold: 0, categoryDenylist: [], regionOfInterest: roi,
});
const allowed: ClassifyResult = await model.classify(pixels, { categoryAllowlist: [info.labels[0]] });
const kernelSet: '' | 'cpu' | 'gpu' = info.kernels;
const collected: TuningTable | null = await model.tuningTable();
const tuned: TuneSummary | { error: string } | null = await model.whenTuned();
const emb: EmbedResult = await model.embed(pixels, { normalize: true });
const emb2: Float32Array = await model.embeddings(new Float32Array(3 * info.inputSize * info.inputSize), [1, 3, info.inputSize, info.inputSize]);
const feats: FeaturesResult = await model.features(pixels, { stages: [1, 4] });
const f0: Feature = feats.features[0];
const cos: number = cosineSimilarity(emb.embedding, emb.embedding) + LowFormer.cosineSimilarity([1, 0], [0, 1]);
async function* frames(): AsyncIterable<RGBAPixels> { yield pixels; yield pixels; }
const results: StreamResult[] = [];
const handle: StreamHandle = model.classifyStream(frames(), (r: StreamResult) => { results.push(r); }, { fps: 0, topK: 1 });
await handle.done;
const streamStats: StreamStats = handle.stats();
const handle2: StreamHandle = classifyStream(model, frames(), () => {}, { embed: true });
await handle2.stop();

const n = 2;
const input = new Float32Array(n * 3 * info.inputSize * info.inputSize);
const logits: Float32Array = await model.logits(input, [n, 3, info.inputSize, info.inputSize]);

let error: LowFormerError | null = null;
try {
  await model.logits(new Float32Array(5), [1, 3, 2, 2]);
} catch (err) {
  error = err as LowFormerError;
}
await model.dispose();
await model.dispose(); // harmless
const cleared: boolean = await clearCache();
const cleared2: boolean = await LowFormer.clearCache();
await LowFormer.clearTuning();

/** Type-checked, never run: the browser-only parts of the API. */
export async function browserOnly(img: HTMLImageElement, bitmap: ImageBitmap, frame: VideoFrame, file: File): Promise<number> {
  const m = await LowFormer.load({ weights: file, worker: true, backend: 'gpu', wasmURL: '/lowformer.wasm', wasmCPUURL: '/lowformer-cpu.wasm', wasmScalarURL: new URL('https://example.com/s.wasm'), workerURL: '/w.js' });
  const sources: ImageSource[] = [img, bitmap, frame, file, new ImageData(1, 1), new OffscreenCanvas(1, 1), document.createElement('canvas')];
  let s = 0;
  for (const src of sources) s += (await m.classify(src, { decoder: 'browser' })).predictions.length;
  const pool = await LowFormer.load({ weights: new ArrayBuffer(8), backend: 'cpu', workers: 4 });
  const tuned = await LowFormer.load({ weights: file, tune: 'cached', tuning: new URL('https://example.com/table.json') });
  const summary = await tuned.whenTuned();
  if (summary && 'where' in summary) s += summary.measured + summary.total + summary.changed + summary.notes.length;
  await tuned.dispose();
  await pool.dispose();
  await m.dispose();
  return s;
}

console.log(JSON.stringify({
  exports: { CACHE_NAME, DEFAULT_TOP_K, probe: SIMD_PROBE.length, TUNING_DB, DEFAULT_TUNE_BUDGET_MS },
  phases,
  info: Object.keys(info),
  training: Object.keys(training),
  timings: Object.keys(timings),
  result: Object.keys(result),
  prediction: Object.keys(top),
  classifyTimings: Object.keys(ctimes),
  backend: info.backend,
  fallback: info.fallback,
  logits: logits.length,
  classes: info.classes,
  batch: filtered.length,
  allowed: allowed.predictions.map((p) => p.label),
  kernels: [kernelSet, info.kernelsReason],
  start: gpuStart,
  quantization: info.quantization,
  embed: [emb.embedding.length, emb2.length, info.embeddingSize, Object.keys(emb)],
  features: [feats.features.length, f0.stage, f0.shape.length, info.stageChannels.length],
  cosine: Math.round(cos * 1000) / 1000,
  stream: [results.length, Object.keys(streamStats)],
  error: error && { message: error.message, isError: error instanceof Error },
  cleared: [cleared, cleared2],
  tuning: [info.tuning, info.tuningNotes, collected, tuned],
}));
