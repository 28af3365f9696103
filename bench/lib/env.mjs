// Where things are, the static server and headless Chromium on the
// lavapipe-compat adapter (both from web/test/chromium.mjs, shared with the
// browser tests), and a fresh Mesa shader cache per configuration.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADAPTER_FLAGS, chromiumPath, launchChromium, serveStatic } from '../../web/test/chromium.mjs';

export { chromiumPath };

export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(benchDir, '..');
export const sharedDir = resolve(repoRoot, '..', 'shared', 'testdata', 'lowformer');
export const webDist = join(repoRoot, 'web', 'dist');
export const ortDist = join(benchDir, 'node_modules', 'onnxruntime-web', 'dist');
export const nativeBin = join(repoRoot, 'bin', 'lowformer');

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

const PAGE = '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/pages/engine.mjs"></script>';

/** Serves the pages, web/dist, ORT and ../shared on localhost; resolves to {url, close}. */
export function startServer() {
  const roots = { '/pages/': join(benchDir, 'pages'), '/web/': webDist, '/ort/': ortDist, '/shared/': sharedDir };
  return serveStatic({ roots, pages: { '/engine.html': PAGE } });
}

/**
 * Launches headless Chromium on the lavapipe-compat adapter, on profile (a
 * fresh one when omitted, deleted by the context's close()), with env added
 * to the browser's environment.
 */
export async function launchBrowser({ profile = null, env = {} } = {}) {
  const { chromium } = await import('playwright-core');
  return launchChromium(chromium, { profile, env, args: ADAPTER_FLAGS.lavapipe });
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
