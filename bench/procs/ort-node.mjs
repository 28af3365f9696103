#!/usr/bin/env node
// The ort-node-cpu engine: onnxruntime-node (CPU execution provider) on
// <variant>/model.onnx, in its own process, driven by bench/ like
// `lowformer bench -interleave`: after the warm-up it prints
// {"ready":true,"cold_start_ms":…}, answers each stdin line with one timed
// run {"ms":…} and at the end of stdin prints the result (the fields of
// results.json it knows). The input is the variant's reference batch tiled
// to the batch size; the first and last run's logits are checked against
// the reference logits.
//
//   node bench/procs/ort-node.mjs SHARED_DIR VARIANT BATCH SIZE WARMUP THREADS
// BENCH_SPAWN_MS (the harness's Date.now() at spawn) dates the cold start.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { check, peakRSS, tile } from './common.mjs';

const [shared, variant, batch, size, warmup, threads] = process.argv.slice(2);
const cfg = { batch: Number(batch), size: Number(size), warmup: Number(warmup), threads: Number(threads) };
const spawned = Number(process.env.BENCH_SPAWN_MS) || Date.now() - performance.now();
const f32 = (p) => { const b = readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };

const ort = await import('onnxruntime-node');
const dir = join(shared, variant);
const per = 3 * cfg.size * cfg.size;
const ref = f32(join(dir, 'logits.bin'));
const refInput = f32(join(dir, 'input.bin'));
const x = tile(refInput, cfg.batch, per);
const classes = ref.length / (refInput.length / per);
const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), {
  executionProviders: ['cpu'], intraOpNumThreads: cfg.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  // No spinning between runs: the interleaved engines run in between and would lose a core to it.
  ...(process.env.ORT_SPIN === '1' ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
});
const [inName] = session.inputNames;
const [outName] = session.outputNames;
const input = new ort.Tensor('float32', x, [cfg.batch, 3, cfg.size, cfg.size]);
const run = async () => (await session.run({ [inName]: input }))[outName].data;

const t0 = performance.now();
const first = await run();
const firstRunMs = performance.now() - t0;
const coldStartMs = Date.now() - spawned;
for (let i = 0; i < cfg.warmup; i++) await run();
let last = first;
const times = [];
console.log(JSON.stringify({ ready: true, cold_start_ms: coldStartMs }));
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const t = performance.now();
  last = await run();
  times.push(performance.now() - t);
  console.log(JSON.stringify({ ms: times.at(-1) }));
}
const c = check([first, last], ref, classes, cfg.batch);
console.log(JSON.stringify({
  engine: 'ort-node-cpu', adapter: `CPU, onnxruntime-node ${ort.env.versions.node} CPU EP, ${cfg.threads} intra-op threads`,
  model: variant.toUpperCase(), cold_start_ms: coldStartMs, first_run_ms: firstRunMs,
  max_abs_err: c.maxAbs, argmax_ok: c.argmaxOk, check: c.error || 'first and last run against the reference logits',
  peak_memory_mb: peakRSS(), memory_method: 'process peak RSS (VmHWM)', times_ms: times,
}));
