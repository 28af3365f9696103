// Checks the report helpers, and the shape of results.json on a tiny real
// run (one timed run per engine, skipped when a prerequisite is missing).
// Timing is never checked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { benchDir, sharedDir } from '../lib/env.mjs';
import { ENGINES, cpuThreads, inBrowser, processCommand, startEngine, unavailable } from '../lib/engines.mjs';
import { FIELDS, entry, markdown, ratios, stats } from '../lib/report.mjs';

test('stats gives median, min and max', () => {
  for (const [v, want] of [[[5], [5, 5, 5]], [[3, 1, 2], [2, 1, 3]], [[4, 1, 3, 2], [2.5, 1, 4]]]) {
    const s = stats(v);
    assert.deepEqual([s.median, s.min, s.max], want, `stats(${v})`);
  }
});

const fake = (engine, median, cold) => entry(engine, { model: 'B0', batch: 1, size: 224 }, { adapter: 'a', coldStartMs: cold, notes: 'n' },
  [median, median + 1, median - 1], { maxAbsErr: 1e-5, argmaxOk: true, check: 'c', memoryMB: 10, memoryMethod: 'm' });

test('entries carry the required fields, ratios are ours / theirs', () => {
  const es = [fake('lowformer-web', 100, 50), fake('ort-web-webgpu', 1000, 500), fake('ort-web-wasm-2t', 200, 100), fake('lowformer-native', 80, 40)];
  for (const e of es) assert.deepEqual(Object.keys(e).slice(0, FIELDS.length), FIELDS);
  const r = Object.fromEntries(ratios(es).map((x) => [x.label, x]));
  assert.equal(r['lowformer-web / ort-web-webgpu'].ratio, 0.1);
  assert.equal(r['lowformer-web / ort-web-webgpu'].met, true);
  assert.equal(r['lowformer-web / ort-web-wasm-2t'].ratio, 0.5);
  assert.equal(r['cold start lowformer-web / ort-web-wasm-2t'].met, false);
  const md = markdown({ entries: es, meta: { date: 'd', machine: { cpu: 'c', cores: 2 }, loadBefore: [1, 2, 3], loadAfter: [1, 2, 3], runs: 3, warmup: 1 }, problems: ['x'], profile: null });
  assert.match(md, /\| B0 \| 1 \| lowformer-web \/ ort-web-webgpu \| 0\.100 \| ≤ 0\.2 \(met\) \|/);
  assert.match(md, /## Not measured\n\n- x/);
});

test('the CPU engines: ratios against the targets of issue 15, one table row each', () => {
  const es = [fake('lowformer-web-cpu', 300, 900), fake('ort-web-wasm-1t', 250, 400), fake('ort-web-wasm-2t', 150, 400),
    fake('lowformer-native-cpu', 90, 100), fake('pytorch-cpu', 100, 3000), fake('ort-node-cpu', 45, 600)];
  const r = Object.fromEntries(ratios(es).map((x) => [x.label, x]));
  assert.equal(r['lowformer-web-cpu / ort-web-wasm-1t'].ratio, 1.2);
  assert.deepEqual([r['lowformer-web-cpu / ort-web-wasm-1t'].target, r['lowformer-web-cpu / ort-web-wasm-1t'].met], [1.5, true]);
  assert.equal(r['lowformer-web-cpu / ort-web-wasm-2t'].ratio, 2);
  assert.equal(r['lowformer-web-cpu / ort-web-wasm-2t'].target, null);
  assert.equal(r['lowformer-native-cpu / pytorch-cpu'].ratio, 0.9);
  assert.deepEqual([r['lowformer-native-cpu / pytorch-cpu'].target, r['lowformer-native-cpu / pytorch-cpu'].met], [1.0, true]);
  assert.equal(r['lowformer-native-cpu / ort-node-cpu'].ratio, 2);
  assert.ok(!('lowformer-web / ort-web-webgpu' in r), 'no ratio without both engines');
  const md = markdown({ entries: es, meta: { date: 'd', machine: { cpu: 'c', cores: 2 }, loadBefore: [1, 2, 3], loadAfter: [1, 2, 3], runs: 3, warmup: 1 }, problems: [], profile: null });
  for (const e of es) assert.match(md, new RegExp(`\\| B0 \\| 1 \\| ${e.engine} \\| a \\| `));
  assert.match(md, /\| lowformer-web-cpu \/ ort-web-wasm-1t \| 1\.200 \| ≤ 1\.5 \(met\) \|/);
  assert.match(md, /\| lowformer-native-cpu \/ pytorch-cpu \| 0\.900 \| ≤ 1 \(met\) \|/);
});

test('engine names, where they run and their command lines', () => {
  assert.deepEqual(ENGINES.filter(inBrowser), ['lowformer-web-specialized', 'lowformer-web', 'ort-web-webgpu', 'lowformer-web-cpu', 'ort-web-wasm-1t', 'ort-web-wasm-2t']);
  const cfg = { variant: 'b0', batch: 8, size: 224, warmup: 2 };
  const [bin, cpuArgs] = processCommand('lowformer-native-cpu', cfg);
  assert.match(bin, /bin\/lowformer$/);
  assert.deepEqual(cpuArgs.slice(-2), ['-backend', 'cpu']);
  assert.ok(!processCommand('lowformer-native', cfg)[1].includes('-backend'));
  assert.ok(!processCommand('lowformer-native', cfg)[1].includes('-start'), 'progressive is the default start');
  assert.deepEqual(processCommand('lowformer-native-specialized', cfg)[1].slice(-2), ['-start', 'specialized']);
  assert.deepEqual(processCommand('ort-node-cpu', cfg)[1].slice(-5), ['b0', '8', '224', '2', String(cpuThreads())]);
  assert.match(processCommand('pytorch-cpu', cfg)[1][0], /procs\/pytorch\.py$/);
  assert.throws(() => processCommand('ort-web-wasm-1t', cfg), /not a process engine/);
  assert.match(unavailable('nope', 'b0'), /unknown engine/);
});

// The process engines of other runtimes speak lowformer bench -interleave's
// line protocol: ready, one {ms} per request, the result at the end.
for (const engine of ['ort-node-cpu', 'pytorch-cpu']) {
  test(`${engine} speaks the line protocol and checks its logits`, { timeout: 120_000 }, async (t) => {
    const why = unavailable(engine, 'b0');
    if (why) return t.skip(why);
    const d = await startEngine(engine, { variant: 'b0', batch: 2, size: 224, warmup: 0, setupTimeoutMs: 100_000, env: {} });
    try {
      assert.ok(d.info.coldStartMs > 0);
      const ms = [await d.runOnce(), await d.runOnce()];
      for (const m of ms) assert.ok(m > 0);
      const fin = await d.finish();
      assert.ok(fin.maxAbsErr <= 2e-4, `max |Δ| ${fin.maxAbsErr}`);
      assert.equal(fin.argmaxOk, true);
      assert.equal(fin.model, 'B0');
      assert.match(fin.adapter, /^CPU, /);
      assert.ok(fin.memoryMB > 0);
      const e = entry(engine, { model: fin.model, batch: 2, size: 224 }, d.info, ms, fin);
      for (const f of FIELDS) assert.ok(e[f] != null, `${engine} ${f}`);
    } finally {
      await d.close();
    }
  });
}

test('a tiny run writes results.json of the documented shape', { timeout: 420_000 }, async (t) => {
  const engines = ['lowformer-native', 'lowformer-web', 'ort-web-wasm-2t', 'lowformer-native-cpu', 'lowformer-web-cpu', 'ort-web-wasm-1t'];
  const missing = engines.map((e) => unavailable(e, 'b0')).filter(Boolean);
  if (missing.length) return t.skip(missing.join('; '));
  const out = mkdtempSync(join(tmpdir(), 'bench-test-'));
  try {
    await promisify(execFile)(process.execPath, [join(benchDir, 'bench.mjs'), '--quick', '--runs', '1', '--warmup', '0', '--no-profile',
      '--engines', engines.join(','), '--out', out], { timeout: 410_000 });
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(results.map((e) => e.engine).sort(), [...engines].sort());
    for (const e of results) {
      assert.ok(ENGINES.includes(e.engine));
      for (const f of FIELDS) assert.ok(f in e, `${e.engine} lacks ${f}`);
      assert.equal(e.model, 'B0');
      assert.equal(e.batch, 1);
      assert.equal(e.size, 224);
      assert.equal(e.runs, 1);
      assert.equal(typeof e.adapter, 'string');
      for (const f of ['median_ms', 'min_ms', 'max_ms', 'cold_start_ms', 'warm_start_ms']) assert.ok(e[f] > 0, `${e.engine} ${f} = ${e[f]}`);
      assert.ok(e.max_abs_err <= 2e-4, `${e.engine} max_abs_err ${e.max_abs_err} against ${sharedDir}/b0/logits.bin`);
      assert.equal(e.argmax_ok, true);
    }
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    assert.match(md, /lowformer-web \/ ort-web-wasm-2t/);
    assert.match(md, /lowformer-web-cpu \/ ort-web-wasm-1t \| [\d.]+ \| ≤ 1\.5/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
