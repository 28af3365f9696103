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
import { ENGINES, unavailable } from '../lib/engines.mjs';
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
  const es = [fake('lowformer-web', 100, 50), fake('ort-web-webgpu', 1000, 500), fake('ort-web-wasm', 200, 100), fake('lowformer-native', 80, 40)];
  for (const e of es) assert.deepEqual(Object.keys(e).slice(0, FIELDS.length), FIELDS);
  const r = Object.fromEntries(ratios(es).map((x) => [x.label, x]));
  assert.equal(r['lowformer-web / ort-web-webgpu'].ratio, 0.1);
  assert.equal(r['lowformer-web / ort-web-webgpu'].met, true);
  assert.equal(r['lowformer-web / ort-web-wasm'].ratio, 0.5);
  assert.equal(r['cold start lowformer-web / ort-web-wasm'].met, false);
  const md = markdown({ entries: es, meta: { date: 'd', machine: { cpu: 'c', cores: 2 }, loadBefore: [1, 2, 3], loadAfter: [1, 2, 3], runs: 3, warmup: 1 }, problems: ['x'], profile: null });
  assert.match(md, /\| B0 \| 1 \| lowformer-web \/ ort-web-webgpu \| 0\.100 \| ≤ 0\.2 \(met\) \|/);
  assert.match(md, /## Not measured\n\n- x/);
});

test('a tiny run writes results.json of the documented shape', { timeout: 240_000 }, async (t) => {
  const engines = ['lowformer-native', 'lowformer-web', 'ort-web-wasm'];
  const missing = engines.map((e) => unavailable(e, 'b0')).filter(Boolean);
  if (missing.length) return t.skip(missing.join('; '));
  const out = mkdtempSync(join(tmpdir(), 'bench-test-'));
  try {
    await promisify(execFile)(process.execPath, [join(benchDir, 'bench.mjs'), '--quick', '--runs', '1', '--warmup', '0', '--no-profile',
      '--engines', engines.join(','), '--out', out], { timeout: 230_000 });
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
    assert.match(readFileSync(join(out, 'results.md'), 'utf8'), /lowformer-web \/ ort-web-wasm/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
