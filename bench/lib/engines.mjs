// The four benchmarked engines behind one driver interface:
//   const d = await startEngine(name, cfg, env)   // loads it: cold start, first run, warm-up
//   d.info                                        // {adapter, coldStartMs, firstRunMs, notes}
//   await d.runOnce()                             // one timed run, milliseconds
//   await d.finish()                              // {maxAbsErr, argmaxOk, check, memoryMB, memoryMethod}
//   await d.close()

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { chromiumPath, nativeBin, ortDist, sharedDir, webDist } from './env.mjs';

export const ENGINES = ['lowformer-native', 'lowformer-web', 'ort-web-webgpu', 'ort-web-wasm'];

const BROWSER_ENGINES = new Set(['lowformer-web', 'ort-web-webgpu', 'ort-web-wasm']);

/** Why engine cannot run on variant here, or null. */
export function unavailable(engine, variant) {
  if (engine === 'lowformer-native') return existsSync(nativeBin) ? null : `${nativeBin} is not built (make build)`;
  if (!existsSync(chromiumPath)) return `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`;
  if (engine === 'lowformer-web') return existsSync(join(webDist, 'lowformer.wasm')) ? null : 'web/dist is not built (make web)';
  if (!existsSync(join(ortDist, 'ort.wasm.min.mjs'))) return 'onnxruntime-web is not installed (npm install in bench/)';
  if (!existsSync(join(sharedDir, variant, 'model.onnx'))) return `no ONNX export of ${variant} in ../shared (model.onnx)`;
  return null;
}

/** Whether the engine runs in the browser. */
export const inBrowser = (engine) => BROWSER_ENGINES.has(engine);

/**
 * Starts engine for cfg = {variant, batch, size, warmup, setupTimeoutMs, ortBundle, env};
 * cfg.env is added to the native process's environment (the browser has its
 * own, given at launch); env = {browser, url} for the browser engines.
 */
export function startEngine(engine, cfg, env) {
  return engine === 'lowformer-native' ? startNative(cfg) : startPage(engine, cfg, env);
}

function withTimeout(p, ms, what) {
  let timer;
  const t = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`${what}: no answer within ${ms / 1000} s`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function startNative(cfg) {
  const args = ['bench', '-interleave', '-weights', join(sharedDir, cfg.variant, 'evalmodel.pt'),
    '-batch', String(cfg.batch), '-size', String(cfg.size), '-warmup', String(cfg.warmup)];
  const proc = spawn(nativeBin, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...cfg.env } });
  let stderr = '';
  proc.stderr.on('data', (b) => { stderr += b; });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((ok) => proc.on('close', (code) => ok(code)));
  const next = async (what) => {
    const r = await withTimeout(lines.next(), cfg.setupTimeoutMs, `lowformer-native ${what}`);
    if (r.done) throw new Error(`lowformer-native exited (${await exited}) during ${what}: ${stderr.trim()}`);
    return JSON.parse(r.value);
  };
  const ready = await next('start-up');
  return {
    info: { adapter: '', coldStartMs: ready.cold_start_ms, firstRunMs: null, notes: 'native process' },
    runOnce: async () => {
      proc.stdin.write('run\n');
      return (await next('a timed run')).ms;
    },
    finish: async () => {
      proc.stdin.end();
      const r = await next('the result');
      return {
        adapter: r.adapter, firstRunMs: r.first_run_ms, coldStartMs: r.cold_start_ms, maxAbsErr: r.max_abs_err,
        argmaxOk: r.argmax_ok, check: r.check, memoryMB: r.peak_memory_mb, memoryMethod: r.memory_method, model: r.model,
      };
    },
    close: async () => {
      if (proc.exitCode === null) proc.kill();
      await exited;
    },
  };
}

async function startPage(engine, cfg, { browser, url }) {
  const page = await browser.newPage();
  const log = [];
  page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  const q = new URLSearchParams({ engine, variant: cfg.variant, batch: cfg.batch, size: cfg.size, warmup: cfg.warmup, ortbundle: cfg.ortBundle });
  await page.goto(`${url}/engine.html?${q}`);
  const ready = await withTimeout(page.evaluate(() => window.benchReady), cfg.setupTimeoutMs, `${engine} start-up`)
    .catch((e) => ({ error: e.message }));
  if (ready.error) {
    await page.close();
    throw new Error(`${engine}: ${ready.error}\n${log.slice(-10).join('\n')}`);
  }
  return {
    info: { adapter: ready.adapter, coldStartMs: ready.coldStartMs, firstRunMs: ready.firstRunMs, notes: ready.notes },
    runOnce: () => withTimeout(page.evaluate(() => window.bench.runOnce()), cfg.setupTimeoutMs, `${engine} run`),
    finish: async () => {
      const r = await page.evaluate(() => window.bench.finish());
      return {
        maxAbsErr: r.maxAbs, argmaxOk: r.argmaxOk, check: r.error || 'first and last run against the reference logits',
        memoryMB: r.memory.bytes == null ? null : r.memory.bytes / 1e6, memoryMethod: r.memory.method,
      };
    },
    close: () => page.close(),
  };
}
