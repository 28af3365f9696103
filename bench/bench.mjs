#!/usr/bin/env node
// Side-by-side benchmark of LowFormer against onnxruntime-web, onnxruntime-node
// and PyTorch on one machine, in one go. GPU: lowformer-native (bin/lowformer
// bench -interleave), lowformer-web (web/dist in headless Chromium) and
// ort-web-webgpu (onnxruntime-web on the same network's ONNX export, same
// Chromium, same lavapipe-compat adapter). CPU: lowformer-native-cpu
// (bin/lowformer bench -backend cpu), lowformer-web-cpu (web/dist, backend
// 'cpu'), ort-web-wasm-1t and ort-web-wasm-2t (onnxruntime-web's wasm EP, 1
// and 2 threads), ort-node-cpu (onnxruntime-node's CPU EP) and pytorch-cpu
// (tools/lowformer_torch.py on Debian's python3-torch, when installed). Runs
// are interleaved round-robin. Writes bench/out/results.json and results.md.
//
//   node bench/bench.mjs --quick          B0, batch 1, 224×224
//   node bench/bench.mjs                  every variant of ../shared, batch 1 and 8
//
// Options: --runs N (10; --quick: 6), --warmup N (2; --quick: 1), --variants b0,E1, --batches 1,8,
// --size 224, --engines lowformer-native,lowformer-web,… (default: all of ENGINES in lib/engines.mjs),
// --out DIR (bench/out), --no-profile, --setup-timeout SECONDS (600),
// --ort-webgpu-bundle FILE (ort.all.min.mjs: the webgpu EP on JSEP, the faster
// of ORT's two here; ort.webgpu.min.mjs is the native WebGPU EP).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchDir, freshShaderCache, launchBrowser, machine, nativeBin, sharedDir, sharedVariants, startServer } from './lib/env.mjs';
import { ENGINES, inBrowser, startEngine, unavailable } from './lib/engines.mjs';
import { entry, markdown } from './lib/report.mjs';

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      variants: { type: 'string' },
      batches: { type: 'string' },
      size: { type: 'string', default: '224' },
      engines: { type: 'string', default: ENGINES.join(',') },
      out: { type: 'string', default: join(benchDir, 'out') },
      'no-profile': { type: 'boolean', default: false },
      'setup-timeout': { type: 'string', default: '600' },
      'ort-webgpu-bundle': { type: 'string', default: 'ort.all.min.mjs' },
    },
  });
  const ints = (s) => s.split(',').map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`"${v}" is not a whole number`);
    return n;
  });
  const o = {
    // --quick keeps make bench-quick, nine engines, under 5 minutes on 2 cores.
    runs: ints(values.runs ?? (values.quick ? '6' : '10'))[0], warmup: ints(values.warmup ?? (values.quick ? '1' : '2'))[0], size: ints(values.size)[0],
    engines: values.engines.split(','), out: values.out, profile: !values['no-profile'],
    setupTimeoutMs: 1000 * ints(values['setup-timeout'])[0], ortBundle: values['ort-webgpu-bundle'],
    variants: values.variants?.split(','), batches: values.batches ? ints(values.batches) : null, quick: values.quick,
  };
  for (const e of o.engines) if (!ENGINES.includes(e)) throw new Error(`unknown engine ${e} (want ${ENGINES.join(', ')})`);
  if (o.runs < 1) throw new Error('--runs must be at least 1');
  return o;
}

/**
 * Runs every available engine on one configuration; returns entries and
 * problems. The configuration gets an empty Mesa shader cache and a fresh
 * browser profile, so the cold starts are first visits; after the timed
 * rounds every engine that ran is started once more on the same caches
 * (warm_start_ms).
 */
async function benchConfig(cfg, o, server) {
  const problems = [];
  const label = `${cfg.variant} batch ${cfg.batch} ${cfg.size}x${cfg.size}`;
  const wanted = o.engines.filter((e) => {
    const why = unavailable(e, cfg.variant);
    if (why) problems.push(`${e} on ${label}: ${why}`);
    return !why;
  });
  const cache = freshShaderCache();
  const profile = mkdtempSync(join(tmpdir(), 'lowformer-bench-'));
  const ecfg = { ...cfg, warmup: o.warmup, setupTimeoutMs: o.setupTimeoutMs, ortBundle: o.ortBundle, env: cache.env };
  try {
    const entries = await timedRounds(cfg, o, server, wanted, ecfg, profile, label, problems);
    const warm = await warmStarts(entries.map((e) => e.engine), ecfg, server, profile, label, problems);
    for (const e of entries) e.warm_start_ms = warm[e.engine] == null ? null : Number(warm[e.engine].toFixed(1));
    return { entries, problems };
  } finally {
    cache.remove();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Cold starts and the interleaved timed rounds; returns the entries. */
async function timedRounds(cfg, o, server, wanted, ecfg, profile, label, problems) {
  const browser = wanted.some(inBrowser) ? await launchBrowser({ profile, env: ecfg.env }) : null;
  const drivers = [];
  try {
    for (const engine of wanted) {
      process.stdout.write(`  ${engine}: loading… `);
      try {
        const d = await startEngine(engine, ecfg, { browser, url: server.url });
        drivers.push({ engine, d, times: [] });
        console.log(`cold start ${d.info.coldStartMs.toFixed(0)} ms`);
      } catch (e) {
        console.log('FAILED');
        problems.push(`${engine} on ${label} failed to start: ${e.message}`);
      }
    }
    for (let round = 0; round < o.runs; round++) {
      const live = drivers.filter((x) => !x.failed);
      for (let i = 0; i < live.length; i++) {
        const x = live[(round + i) % live.length];
        try {
          x.times.push(await x.d.runOnce());
        } catch (e) {
          x.failed = true;
          problems.push(`${x.engine} on ${label} failed in run ${round + 1}: ${e.message}`);
        }
      }
      console.log(`  round ${round + 1}/${o.runs}: ${live.map((x) => `${x.engine} ${x.times.at(-1)?.toFixed(0)} ms`).join(', ')}`);
    }
    const entries = [];
    for (const x of drivers.filter((y) => !y.failed)) {
      const fin = await x.d.finish();
      entries.push(entry(x.engine, { model: fin.model || cfg.model, batch: cfg.batch, size: cfg.size }, x.d.info, x.times, fin));
    }
    return entries;
  } finally {
    for (const x of drivers) await x.d.close().catch(() => {});
    await browser?.close();
  }
}

/**
 * Starts each engine once more, in a new browser on the same profile and
 * a new native process, both on the shader cache the first starts filled;
 * returns {engine: milliseconds to the first logits}.
 */
async function warmStarts(engines, ecfg, server, profile, label, problems) {
  const out = {};
  const browser = engines.some(inBrowser) ? await launchBrowser({ profile, env: ecfg.env }) : null;
  try {
    for (const engine of engines) {
      process.stdout.write(`  ${engine}: warm start… `);
      let d = null;
      try {
        d = await startEngine(engine, { ...ecfg, warmup: 0 }, { browser, url: server.url });
        out[engine] = d.info.coldStartMs;
        console.log(`${d.info.coldStartMs.toFixed(0)} ms`);
      } catch (e) {
        console.log('FAILED');
        problems.push(`${engine} on ${label} failed its warm start: ${e.message}`);
      } finally {
        await d?.close().catch(() => {});
      }
    }
  } finally {
    await browser?.close();
  }
  return out;
}

/**
 * lowformer bench -profile on one configuration (native, not interleaved),
 * on an empty Mesa shader cache, so that its first-use section measures
 * the shader compilation of a first start.
 */
function nativeProfile(cfg) {
  const args = ['bench', '-json', '-profile', '-runs', '5', '-warmup', '1', '-weights', join(sharedDir, cfg.variant, 'evalmodel.pt'),
    '-batch', String(cfg.batch), '-size', String(cfg.size)];
  const cache = freshShaderCache();
  return new Promise((ok, fail) => {
    const p = spawn(nativeBin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...cache.env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (b) => { out += b; });
    p.stderr.on('data', (b) => { err += b; });
    p.on('close', (code) => (code === 0 ? ok(JSON.parse(out)) : fail(new Error(`lowformer bench -profile exited ${code}: ${err.trim()}`))));
  }).finally(cache.remove);
}

async function main() {
  const o = options(process.argv.slice(2));
  const variants = o.variants || (o.quick ? ['b0'] : await sharedVariants());
  const batches = o.batches || (o.quick ? [1] : [1, 8]);
  if (variants.length === 0) throw new Error(`no reference variants in ${sharedDir}`);
  const loadBefore = machine().loadavg;
  const server = await startServer();
  const entries = [];
  const problems = [];
  let profile = null;
  try {
    for (const variant of variants) {
      for (const batch of batches) {
        const cfg = { variant, model: variant.toUpperCase(), batch, size: o.size };
        console.log(`${variant}, batch ${batch}, ${o.size}x${o.size}:`);
        const r = await benchConfig(cfg, o, server);
        entries.push(...r.entries);
        problems.push(...r.problems);
      }
    }
    const pv = variants.includes('b0') ? 'b0' : variants[0]; // the tracked model when present
    if (o.profile && o.engines.includes('lowformer-native') && !unavailable('lowformer-native', pv)) {
      console.log(`native profile of ${pv}, batch 1…`);
      profile = await nativeProfile({ variant: pv, batch: 1, size: o.size }).catch((e) => {
        problems.push(`native profile: ${e.message}`);
        return null;
      });
    }
  } finally {
    await server.close();
  }
  const meta = { date: new Date().toISOString(), machine: machine(), loadBefore, loadAfter: machine().loadavg, runs: o.runs, warmup: o.warmup };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'results.json'), JSON.stringify(entries, null, 1) + '\n');
  if (profile) writeFileSync(join(o.out, 'profile.json'), JSON.stringify(profile, null, 1) + '\n');
  const md = markdown({ entries, meta, problems, profile });
  writeFileSync(join(o.out, 'results.md'), md);
  console.log('\n' + md);
  console.log(`wrote ${join(o.out, 'results.json')} and results.md`);
}

main().then(() => process.exit(0), (e) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
