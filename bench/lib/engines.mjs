// The benchmarked engines behind one driver interface:
//   const d = await startEngine(name, cfg, env)   // loads it: cold start, first run, warm-up
//   d.info                                        // {adapter, coldStartMs, firstRunMs, notes}
//   await d.runOnce()                             // one timed run, milliseconds
//   await d.finish()                              // {maxAbsErr, argmaxOk, check, memoryMB, memoryMethod}
//   await d.close()

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { benchDir, chromiumPath, nativeBin, ortDist, repoRoot, sharedDir, webDist } from './env.mjs';

/**
 * Every engine, in the order of the report. The GPU engines: lowformer-native
 * (bin/lowformer bench, wgpu-native), lowformer-web (web/dist in Chromium),
 * ort-web-webgpu. The CPU engines: lowformer-native-cpu (bin/lowformer bench
 * -backend cpu), lowformer-web-cpu (web/dist, backend 'cpu', in Chromium),
 * ort-web-wasm-1t and -2t (onnxruntime-web's wasm EP, 1 and 2 threads),
 * ort-node-cpu (onnxruntime-node's CPU EP) and pytorch-cpu (Debian's
 * python3-torch, when installed).
 */
// The specialized starts load first: a configuration's engines share one
// Mesa shader cache, and a progressive start's background specialization
// would fill it with the specialized pipelines (the generic ones, which a
// progressive start's first logits wait for, only progressive starts
// compile; the norms' and pool's pipelines are common to both).
export const ENGINES = ['lowformer-native-specialized', 'lowformer-web-specialized', 'lowformer-native', 'lowformer-web', 'ort-web-webgpu',
  'lowformer-native-cpu', 'lowformer-web-cpu', 'ort-web-wasm-1t', 'ort-web-wasm-2t', 'ort-node-cpu', 'pytorch-cpu'];

const BROWSER_ENGINES = new Set(['lowformer-web-specialized', 'lowformer-web', 'lowformer-web-cpu', 'ort-web-webgpu', 'ort-web-wasm-1t', 'ort-web-wasm-2t']);

/** Threads of the CPU engines that take a number (ort-node-cpu, pytorch-cpu): every core. */
export const cpuThreads = () => cpus().length;

export const python = process.env.PYTHON || '/usr/bin/python3';
const ortNode = join(benchDir, 'node_modules', 'onnxruntime-node');
let torchWhy; // cached: spawning python to import torch takes a second

/** Why pytorch-cpu cannot run here, or null. */
function noTorch() {
  if (torchWhy === undefined) {
    const r = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 60_000 });
    torchWhy = r.status === 0 ? null : `${python} cannot import torch and numpy (apt-get install python3-torch)`;
    if (!torchWhy && !existsSync(join(repoRoot, 'tools', 'lowformer_torch.py'))) torchWhy = 'tools/lowformer_torch.py is missing';
  }
  return torchWhy;
}

/** Why engine cannot run on variant here, or null. */
export function unavailable(engine, variant) {
  if (!ENGINES.includes(engine)) return `unknown engine ${engine}`;
  if (engine.startsWith('lowformer-native')) return existsSync(nativeBin) ? null : `${nativeBin} is not built (make build)`;
  if (engine === 'pytorch-cpu') return noTorch();
  const onnx = existsSync(join(sharedDir, variant, 'model.onnx')) ? null : `no ONNX export of ${variant} in ../shared (model.onnx)`;
  if (engine === 'ort-node-cpu') return existsSync(join(ortNode, 'package.json')) ? onnx : 'onnxruntime-node is not installed (npm install in bench/)';
  if (!existsSync(chromiumPath)) return `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`;
  if (engine.startsWith('lowformer-web')) {
    const wasm = engine === 'lowformer-web-cpu' ? 'lowformer-cpu.wasm' : 'lowformer.wasm';
    return existsSync(join(webDist, wasm)) ? null : `web/dist has no ${wasm} (make web)`;
  }
  if (!existsSync(join(ortDist, 'ort.wasm.min.mjs'))) return 'onnxruntime-web is not installed (npm install in bench/)';
  return onnx;
}

/** Whether the engine runs in the browser. */
export const inBrowser = (engine) => BROWSER_ENGINES.has(engine);

/**
 * Starts engine for cfg = {variant, batch, size, warmup, setupTimeoutMs, ortBundle, env};
 * cfg.env is added to the native process's environment (the browser has its
 * own, given at launch); env = {browser, url} for the browser engines.
 */
export function startEngine(engine, cfg, env) {
  return inBrowser(engine) ? startPage(engine, cfg, env) : startProcess(engine, cfg);
}

function withTimeout(p, ms, what) {
  let timer;
  const t = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`${what}: no answer within ${ms / 1000} s`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The command line of a process engine: [program, args, notes]. */
export function processCommand(engine, cfg) {
  const dims = [String(cfg.batch), String(cfg.size), String(cfg.warmup)];
  switch (engine) {
    case 'lowformer-native':
    case 'lowformer-native-specialized':
    case 'lowformer-native-cpu':
      return [nativeBin, ['bench', '-interleave', '-weights', join(sharedDir, cfg.variant, 'evalmodel.pt'), '-batch', dims[0], '-size', dims[1],
        '-warmup', dims[2], ...(engine === 'lowformer-native-cpu' ? ['-backend', 'cpu'] : []),
        ...(engine === 'lowformer-native-specialized' ? ['-start', 'specialized'] : [])],
      { 'lowformer-native': 'native process, progressive start (timed runs after the swap)', 'lowformer-native-specialized': 'native process, start specialized',
        'lowformer-native-cpu': 'native process, pure-Go CPU path' }[engine]];
    case 'ort-node-cpu':
      return [process.execPath, [join(benchDir, 'procs', 'ort-node.mjs'), sharedDir, cfg.variant, ...dims, String(cpuThreads())],
        `node process, onnxruntime-node CPU EP on model.onnx, ${cpuThreads()} threads`];
    case 'pytorch-cpu':
      return [python, [join(benchDir, 'procs', 'pytorch.py'), sharedDir, cfg.variant, ...dims, String(cpuThreads())],
        `python process, tools/lowformer_torch.py fp32 on evalmodel.pt, torch.set_num_threads(${cpuThreads()})`];
    default:
      throw new Error(`${engine} is not a process engine`);
  }
}

/**
 * A process engine (lowformer bench -interleave, procs/ort-node.mjs,
 * procs/pytorch.py), all speaking one line protocol on stdin/stdout: a
 * ready line {cold_start_ms} after the warm-up, {ms} per stdin line, the
 * result at the end of stdin.
 */
async function startProcess(engine, cfg) {
  const [program, args, notes] = processCommand(engine, cfg);
  const proc = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...cfg.env, BENCH_SPAWN_MS: String(Date.now()) } });
  let stderr = '';
  proc.stderr.on('data', (b) => { stderr += b; });
  proc.on('error', (e) => { stderr += e.message; });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((ok) => proc.on('close', (code) => ok(code)));
  const next = async (what) => {
    const r = await withTimeout(lines.next(), cfg.setupTimeoutMs, `${engine} ${what}`);
    if (r.done) throw new Error(`${engine} exited (${await exited}) during ${what}: ${stderr.trim().slice(-2000)}`);
    return JSON.parse(r.value);
  };
  let ready;
  try {
    ready = await next('start-up');
  } catch (e) {
    if (proc.exitCode === null) proc.kill();
    throw e;
  }
  return {
    info: { adapter: '', coldStartMs: ready.cold_start_ms, firstRunMs: null, notes },
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
        genericMedianMs: r.generic_median_ms, genericRuns: r.generic_times_ms?.length, specializedMs: r.specialized_ms,
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
    info: { adapter: ready.adapter, coldStartMs: ready.coldStartMs, firstRunMs: ready.firstRunMs, notes: ready.notes,
      genericMedianMs: ready.genericMedianMs, genericRuns: ready.genericRuns, specializedMs: ready.specializedMs },
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
