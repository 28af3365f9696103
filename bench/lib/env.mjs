// Where things are, the static server (COOP/COEP, so that ORT's wasm
// threads are on) and headless Chromium on the lavapipe-compat adapter.

import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(benchDir, '..');
export const sharedDir = resolve(repoRoot, '..', 'shared', 'testdata', 'lowformer');
export const webDist = join(repoRoot, 'web', 'dist');
export const ortDist = join(benchDir, 'node_modules', 'onnxruntime-web', 'dist');
export const nativeBin = join(repoRoot, 'bin', 'lowformer');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

/** The variants of ../shared that have a checkpoint and reference data. */
export async function sharedVariants() {
  const { readdirSync } = await import('node:fs');
  if (!existsSync(sharedDir)) return [];
  return readdirSync(sharedDir).filter((v) => ['evalmodel.pt', 'input.bin', 'logits.bin'].every((f) => existsSync(join(sharedDir, v, f)))).sort();
}

/** The machine, for the report. */
export function machine() {
  const c = cpus();
  return { cpu: c[0]?.model || 'unknown', cores: c.length, loadavg: loadavg().map((l) => Number(l.toFixed(2))) };
}

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css', '.svg': 'image/svg+xml',
};

const PAGE = '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/pages/engine.mjs"></script>';

/** Serves the pages, web/dist, ORT and ../shared on localhost; resolves to {url, close}. */
export function startServer() {
  const roots = { '/pages/': join(benchDir, 'pages'), '/web/': webDist, '/ort/': ortDist, '/shared/': sharedDir };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    if (path === '/engine.html') {
      res.writeHead(200, { 'Content-Type': MIME['.html'] }).end(PAGE);
      return;
    }
    const prefix = Object.keys(roots).find((p) => path.startsWith(p));
    const file = prefix && normalize(join(roots[prefix], path.slice(prefix.length)));
    if (!file || !file.startsWith(roots[prefix] + sep) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] || 'application/octet-stream', 'Content-Length': statSync(file).size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => ok({
      url: `http://127.0.0.1:${server.address().port}`,
      close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
    }));
  });
}

// Dawn's OpenGL ES backend on ANGLE on Vulkan llvmpipe (lavapipe); pages
// must ask for featureLevel 'compatibility' (shared/docs/webgpu-on-cpu.md §B).
const ADAPTER_FLAGS = ['--use-angle=vulkan', '--use-webgpu-adapter=opengles', '--enable-features=Vulkan'];

/**
 * Launches headless Chromium on profile (a fresh one when omitted, deleted
 * by the context's close()), with env added to the browser's environment.
 */
export async function launchBrowser({ profile = null, env = {} } = {}) {
  const { chromium } = await import('playwright-core');
  const own = profile == null;
  if (own) profile = mkdtempSync(join(tmpdir(), 'lowformer-bench-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    env: { ...process.env, ...env },
    headless: true,
    ignoreDefaultArgs: ['--headless'],
    args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-gpu-sandbox',
      '--enable-webgpu-developer-features', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage', ...ADAPTER_FLAGS],
  });
  const close = ctx.close.bind(ctx);
  ctx.close = async () => {
    await close();
    if (own) rmSync(profile, { recursive: true, force: true });
  };
  return ctx;
}

/**
 * A fresh, empty Mesa shader cache (lavapipe keeps its compiled shaders
 * there, natively and in Chromium's GPU process): the environment that
 * points a process at it, and remove() to delete it. Without it every start
 * after the first would find the previous run's shaders.
 */
export function freshShaderCache() {
  const dir = mkdtempSync(join(tmpdir(), 'lowformer-mesa-cache-'));
  return {
    env: { MESA_SHADER_CACHE_DIR: dir, MESA_SHADER_CACHE_DISABLE: 'false' },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
