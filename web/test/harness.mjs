// Shared set-up of the browser tests: a local static server with the
// COOP/COEP headers (web/dist, the test fixtures and a blank test page), and
// Debian's headless Chromium driven by playwright-core on a WebGPU adapter.
//
// Environment:
//   CHROMIUM                 browser binary (default /usr/bin/chromium)
//   LOWFORMER_WEBGPU_ADAPTER lavapipe (default: Dawn OpenGLES on ANGLE on
//                            Vulkan llvmpipe, compatibility mode) or swiftshader
//   CI=true                  missing prerequisites fail instead of skipping

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { after, before } from 'node:test';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { ADAPTER_FLAGS, chromiumPath, launchChromium, serveStatic } from './chromium.mjs';

export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(webDir, '..');
export const distDir = join(webDir, 'dist');
export const outDir = join(webDir, 'test', 'out');
export const fixturesDir = join(outDir, 'fixtures');
export const sharedDir = resolve(repoRoot, '..', 'shared', 'testdata', 'lowformer');
export const imagesDir = join(repoRoot, 'preprocess', 'testdata');
export const pretrainedDir = join(repoRoot, 'pretrained');
export const CI = /^(1|true|yes)$/i.test(process.env.CI || '');

/** Why the browser tests cannot run here, or null. */
export function missingPrerequisite() {
  if (!existsSync(chromiumPath)) return `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`;
  if (!existsSync(join(distDir, 'lowformer.wasm'))) return 'web/dist is not built (run make web)';
  return null;
}

/**
 * Skips (or, with CI=true, fails) a test context when a prerequisite is
 * missing. Returns true when the caller should stop.
 */
export function skipUnless(t, why) {
  if (!why) return false;
  if (CI) throw new Error(`browser tests cannot run: ${why}`);
  t.skip(why);
  return true;
}


/**
 * The top 5 of m's logits for a 224×224 image of 8-bit pixels, channels
 * values each (R, G, B first), normalized as torch does: [{index,
 * probability}]. The reference of a PIL crop, in Node (readPNG's pixels)
 * and in the test page (window.referenceTop5, which gets this source).
 */
export async function top5FromPixels(m, px, channels) {
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  const x = new Float32Array(3 * 224 * 224);
  for (let i = 0; i < 224 * 224; i++) {
    for (let ch = 0; ch < 3; ch++) {
      const v = Math.fround(px[channels * i + ch] / 255);
      x[ch * 224 * 224 + i] = Math.fround(Math.fround(v - Math.fround(mean[ch])) / Math.fround(std[ch]));
    }
  }
  const y = await m.logits(x, [1, 3, 224, 224]);
  const hi = Math.max(...y);
  const e = Array.from(y, (v) => Math.exp(v - hi));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v, i) => ({ index: i, probability: v / s })).sort((a, b) => b.probability - a.probability).slice(0, 5);
}

/**
 * Reads an 8-bit RGB or RGBA, non-interlaced PNG file (the PIL crops of
 * preprocess/testdata/expected) in Node: {width, height, channels, data}
 * with the rows unfiltered. Any other PNG is an error.
 */
export function readPNG(path) {
  const b = readFileSync(path);
  if (b.toString('latin1', 1, 4) !== 'PNG') throw new Error(`${path}: not a PNG file`);
  let width = 0, height = 0, channels = 0;
  const idat = [];
  for (let off = 8; off + 8 <= b.length;) {
    const len = b.readUInt32BE(off), type = b.toString('latin1', off + 4, off + 8), body = b.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      channels = { 2: 3, 6: 4 }[body[9]];
      if (body[8] !== 8 || !channels || body[12] !== 0) throw new Error(`${path}: want an 8-bit RGB or RGBA PNG without interlacing (bit depth ${body[8]}, colour type ${body[9]}, interlace ${body[12]})`);
    } else if (type === 'IDAT') {
      idat.push(body);
    }
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels, data = new Uint8Array(height * stride);
  if (!channels || raw.length !== height * (stride + 1)) throw new Error(`${path}: ${raw.length} bytes of image data for ${width}×${height}×${channels}`);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = data.subarray(y * stride, (y + 1) * stride), up = y > 0 ? data.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? row[i - channels] : 0, c = i >= channels ? up[i - channels] : 0, u = up[i];
      let pred;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = u; break;
        case 3: pred = (a + u) >> 1; break;
        case 4: {
          const p = a + u - c, pa = Math.abs(p - a), pb = Math.abs(p - u), pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? u : c;
          break;
        }
        default: throw new Error(`${path}: row ${y} has filter type ${filter}`);
      }
      row[i] = (line[i] + pred) & 0xff;
    }
  }
  return { width, height, channels, data };
}

// The blank page of the tests: the module plus a few helpers that keep the
// big arrays inside the page.
const TEST_PAGE = `<!doctype html><meta charset="utf-8"><title>lowformer test</title>
<script type="module">
import LowFormer from './lowformer.js';
const f32 = async (url) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  return new Float32Array(await r.arrayBuffer());
};
// The top 5 of the reference for image name of preprocess/testdata: PIL's
// 224×224 crop (a lossless PNG beside it), normalized as torch does, run
// through m.logits: [{index, probability}].
const top5FromPixels = ${top5FromPixels.toString()};
window.referenceTop5 = async (m, name) => {
  const png = await (await fetch('/images/expected/' + name + '.r224.png')).blob();
  const bmp = await createImageBitmap(png, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c = new OffscreenCanvas(224, 224).getContext('2d');
  c.drawImage(bmp, 0, 0);
  return top5FromPixels(m, c.getImageData(0, 0, 224, 224).data, 4);
};
// Runs the first n images of the variant's reference batch and compares
// with the reference logits: {maxAbs, argmaxOk, ms, length}.
window.checkLogits = async (m, variant, n) => {
  const x = await f32('/shared/' + variant + '/input.bin');
  const ref = await f32('/shared/' + variant + '/logits.bin');
  const per = x.length / 2, classes = ref.length / 2;
  const t0 = performance.now();
  const y = await m.logits(x.subarray(0, n * per), [n, 3, Math.sqrt(per / 3), Math.sqrt(per / 3)]);
  const ms = performance.now() - t0;
  let maxAbs = y.length === n * classes ? 0 : Infinity, argmaxOk = true;
  for (let i = 0; i < Math.min(y.length, n * classes); i++) {
    const d = Math.abs(y[i] - ref[i]);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
  }
  for (let b = 0; b < n; b++) {
    const am = (a) => { let k = 0; for (let i = 1; i < classes; i++) if (a[b * classes + i] > a[b * classes + k]) k = i; return k; };
    if (am(y) !== am(ref)) argmaxOk = false;
  }
  return { maxAbs, argmaxOk, ms, length: y.length };
};
// Settles p and describes the outcome: {ok, value} or {ok: false, message, name, code}.
window.outcome = async (p) => {
  try { return { ok: true, value: await p }; }
  catch (e) { return { ok: false, message: String(e && e.message || e), name: e && e.name, code: e && e.code }; }
};
// Any WebGPU error nobody captured (a failed upload, a bad dispatch) is a bug:
// log it so that the tests fail on it.
const requestDevice = GPUAdapter.prototype.requestDevice;
GPUAdapter.prototype.requestDevice = async function (desc) {
  const dev = await requestDevice.call(this, desc);
  dev.addEventListener('uncapturederror', (e) => console.error('[gpu-uncaptured] ' + e.error.message));
  return dev;
};
window.f32 = f32;
window.LowFormer = LowFormer;
window.ready = true;
</script>`;

/** Builds and starts web/devserver on a free port; resolves to {url, stop}. */
export async function startDevServer(args) {
  mkdirSync(outDir, { recursive: true });
  const bin = join(outDir, 'devserver');
  execFileSync('go', ['build', '-o', bin, './web/devserver'], { cwd: repoRoot, stdio: 'inherit' });
  const proc = spawn(bin, ['-addr', '127.0.0.1:0', '-dir', distDir, ...args], { cwd: repoRoot });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/[\d.:]+\//);
      if (m) resolve(m[0].replace(/\/$/, ''));
    });
    proc.on('exit', (code) => reject(new Error(`devserver exited with ${code}: ${err}`)));
  });
  return { url, stop: () => proc.kill() };
}

/** Serves the folders the tests need; resolves to {url, close}. */
export function startServer() {
  const roots = { '/shared/': sharedDir, '/fixtures/': fixturesDir, '/images/': imagesDir, '/pretrained/': pretrainedDir, '/': distDir };
  return serveStatic({ roots, pages: { '/test.html': TEST_PAGE }, cache: 'no-cache' });
}

/**
 * Launches headless Chromium with WebGPU on LOWFORMER_WEBGPU_ADAPTER;
 * resolves to a persistent context. args are extra command-line flags
 * (e.g. --js-flags=--expose-gc).
 */
export async function launchBrowser({ args = [] } = {}) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is not installed: run `npm install` in web/ (or scripts/setup.sh --browser)');
  }
  const adapter = process.env.LOWFORMER_WEBGPU_ADAPTER || 'lavapipe';
  const flags = ADAPTER_FLAGS[adapter];
  if (!flags) throw new Error(`LOWFORMER_WEBGPU_ADAPTER=${adapter}: want lavapipe or swiftshader`);
  return launchChromium(chromium, { args: [...flags, ...args], viewport: { width: 1280, height: 900 } });
}

/**
 * Opens path on the server in a new page of ctx, collecting console output
 * and page errors; waits for window.ready when waitReady is set. setup, when
 * given, sees the page before it navigates (to listen from the first request).
 */
export async function openPage(ctx, url, { waitReady = true, setup = null } = {}) {
  const page = await ctx.newPage();
  const log = [];
  page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  page.log = log;
  setup?.(page);
  await page.goto(url);
  if (waitReady) await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
  return page;
}

/**
 * Registers before/after hooks in the current describe block: the server,
 * Chromium (launchBrowser options) and the test page with a WebGPU adapter
 * (asserted) before the tests; after them the browser and server are closed
 * and uncaught page errors, uncaptured WebGPU errors or a Go panic fail.
 * Returns an object whose page, ctx and srv are set once before has run.
 */
export function usePage(launch = {}) {
  const s = useBrowser(launch, () => (s.page ? s.page.log.filter((l) => l.startsWith('[pageerror]') || /fatal error|panic:|\[gpu-uncaptured\]/.test(l)) : []));
  s.page = null;
  before(async () => {
    s.page = await openPage(s.ctx, `${s.srv.url}/test.html`);
    assert.ok(await adapterInfo(s.page), 'Chromium offers no WebGPU adapter: the GPU tests need one');
  });
  return s;
}

/**
 * Registers before/after hooks in the current describe block: the server and
 * Chromium (launchBrowser options) started before the tests, closed after
 * them. Returns an object whose srv and ctx are set once before has run.
 * errors, if given, is asked after the tests (before closing) for the
 * errors that fail the block.
 */
export function useBrowser(launch = {}, errors = () => []) {
  const s = { srv: null, ctx: null };
  before(async () => {
    s.srv = await startServer();
    s.ctx = await launchBrowser(launch);
  });
  after(async () => {
    const found = errors();
    await s.ctx?.close(); // before asserting: an open browser would keep node running
    await s.srv?.close();
    assert.deepEqual(found, [], 'the page logged uncaught errors, uncaptured WebGPU errors or a Go panic');
  });
  return s;
}

/** Describes the WebGPU adapter the page gets, as lowformer requests it. */
export async function adapterInfo(page) {
  return page.evaluate(async () => {
    if (!navigator.gpu) return null;
    // As lowformer.js does: a non-fallback compatibility adapter beats a fallback core one.
    let a = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    let level = 'core';
    if (!a || a.info?.isFallbackAdapter) {
      const c = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel: 'compatibility' });
      if (c && !c.info?.isFallbackAdapter) [a, level] = [c, 'compatibility'];
    }
    if (!a) return null;
    const i = a.info || {};
    return `${i.description || `${i.vendor} ${i.architecture}`} (${level}${i.isFallbackAdapter ? ', fallback' : ''})`;
  });
}

/** Makes the float32 safetensors twins of the shared .pt fixtures (cached). */
export function ensureSafetensors(names) {
  const args = names.filter((n) => existsSync(join(sharedDir, n, 'evalmodel.pt')))
    .map((n) => `${n}=${join(sharedDir, n, 'evalmodel.pt')}`);
  if (args.length === 0) return;
  execFileSync('go', ['run', './web/test/mksafetensors', '-out', fixturesDir, ...args], { cwd: repoRoot, stdio: 'inherit' });
}

/** Reads a little-endian float32 file. */
export async function readF32(path) {
  const { readFile } = await import('node:fs/promises');
  const b = await readFile(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

/** max |a-b| over two equally long arrays (Infinity for NaN or length mismatch). */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
