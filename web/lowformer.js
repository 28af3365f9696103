// LowFormer in the browser: image classification with WGSL compute shaders
// on WebGPU, driven by Go compiled to WebAssembly (lowformer.wasm).
//
//   import { LowFormer } from './lowformer.js';
//   const m = await LowFormer.load({ weights: 'evalmodel.pt', onProgress: console.log });
//   const { predictions } = await m.classify(imageElement, { topK: 5 });
//   m.dispose();
//
// The full API is documented in README.md next to this file (types:
// lowformer.d.ts). Everything that can fail returns a rejected Promise with an
// Error whose message starts with "lowformer:"; a failed call never breaks the
// page or the other models.
//
// Bundler-, worker- and CSP-safe: Go's wasm_exec.js is imported statically,
// as a module (it only defines globalThis.Go, and uses no eval), and the
// assets are found with the literal new URL('./file', import.meta.url) and
// new Worker(new URL(...), {type: 'module'}) patterns that Vite, webpack 5
// and Parcel follow (Rollup with a plugin for the assets, esbuild not at
// all: README, "Bundlers"). In Node, lowformer-node.js (the
// package's "node" export) adds reading files; the rest is this module.

import './wasm_exec.js';
import { BackgroundTuner, DEFAULT_TUNE_BUDGET_MS, RESULTS, TUNING_DB, clearTuning, tuneOptions, tuningStore, tuningText } from './lowformer-tuning.js';

export { DEFAULT_TUNE_BUDGET_MS, TUNING_DB };

const HERE = import.meta.url;

/** Name of the Cache API cache holding downloaded weights. */
export const CACHE_NAME = 'lowformer-weights-v1';

/** Default number of predictions returned by classify. */
export const DEFAULT_TOP_K = 5;

const SIZE_PARAM = 'lowformer-size';

// ---------------------------------------------------------------------------
// wasm SIMD detection: lowformer-cpu.wasm (the CPU backend's build) uses
// SIMD128 instructions, and a module with them does not compile at all where
// wasm SIMD is missing (Safari before 16.4, old engines);
// lowformer-scalar.wasm is its twin without them. lowformer.wasm, the WebGPU
// build, has none (only the CPU kernels use SIMD), so it loads everywhere.

/**
 * The smallest module that needs wasm SIMD: one function returning
 * v128.const 0. An engine without SIMD rejects it.
 */
export const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code section: no locals, v128.const
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b, // 16 zero bytes, end
]);

/**
 * Whether this JavaScript engine compiles wasm SIMD128, tested with
 * WebAssembly.validate on probe (SIMD_PROBE by default).
 * @param {Uint8Array} [probe]
 * @returns {boolean}
 */
export function hasWasmSIMD(probe = SIMD_PROBE) {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(probe);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Files: where there is a file system (Node: lowformer-node.js installs
// files.read), file: URLs and, where there is no page to resolve against,
// plain paths are read from disk instead of fetched.

const files = {
  /** @type {((pathOrFileURL: string|URL) => Promise<Uint8Array>)|null} */
  read: null,
};

const SCHEME = /^[a-z][a-z0-9+.-]+:/i; // two letters at least: not a Windows drive

/**
 * A function reading ref from disk, or null where it is to be fetched: a
 * file: URL, or a string without a scheme when there is no page (Node).
 * @param {string|URL} ref
 * @returns {(() => Promise<Uint8Array>)|null}
 */
function fileReader(ref) {
  const read = files.read;
  if (!read) return null;
  const s = String(ref);
  if (s.startsWith('file:')) return () => read(new URL(s));
  if (!SCHEME.test(s) && !globalThis.location) return () => read(s);
  return null;
}

// ---------------------------------------------------------------------------
// Go runtimes: one per build and JavaScript realm (the page, or each
// worker). The Go code is built once per backend (web/build.sh), so that a
// page downloads only the code it runs: lowformer.wasm is the WebGPU build
// (no CPU kernels), lowformer-cpu.wasm the CPU build with wasm SIMD and
// lowformer-scalar.wasm the CPU build without it (neither has the WebGPU
// code). A page with models on both backends runs two of them.

/** @type {Map<'gpu'|'simd'|'scalar', Promise<Runtime>>} */
const runtimes = new Map();
/** The WebGPU build's API once it has started (see run). */
let gpuAPI = null;

/**
 * Starts a build in this realm, once, and returns its runtime: later calls
 * for the same build get the running one.
 * @param {string} wasmURL
 * @param {'gpu'|'simd'|'scalar'} build 'gpu': lowformer.wasm; 'simd': lowformer-cpu.wasm;
 *   'scalar': lowformer-scalar.wasm
 */
function runtime(wasmURL, build) {
  let p = runtimes.get(build);
  if (!p) {
    p = startRuntime(wasmURL, build).catch((err) => {
      if (runtimes.get(build) === p) runtimes.delete(build);
      throw err;
    });
    runtimes.set(build, p);
  }
  return p;
}

/**
 * Why backend 'auto' cannot use the WebGPU build here (null when it can):
 * no navigator.gpu, or no adapter, asked for as the Go side asks
 * (gpu/open_js.go: a core adapter, else a compatibility-mode one).
 * @returns {Promise<string|null>}
 */
async function noWebGPU() {
  const gpu = globalThis.navigator?.gpu;
  if (!gpu) return 'navigator.gpu is missing (this browser has no WebGPU, or it is disabled; Node has none)';
  const opts = { powerPreference: 'high-performance' };
  try {
    if (await gpu.requestAdapter(opts)) return null;
    if (await gpu.requestAdapter({ ...opts, featureLevel: 'compatibility' })) return null;
  } catch (err) {
    return `requestAdapter failed: ${err.message}`;
  }
  return 'navigator.gpu offers no adapter';
}

async function startRuntime(wasmURL, build) {
  if (typeof WebAssembly !== 'object') {
    throw new Error('lowformer: this browser has no WebAssembly support');
  }
  if (typeof globalThis.Go !== 'function') {
    throw new Error('lowformer: Go\'s wasm_exec.js did not define globalThis.Go (is the wasm_exec.js next to lowformer.js the one of the Go release that built lowformer.wasm?)');
  }
  const go = new globalThis.Go();
  let result;
  try {
    const file = fileReader(wasmURL);
    if (file) {
      result = await WebAssembly.instantiate(await file(), go.importObject);
    } else {
      result = await instantiateURL(wasmURL, go);
    }
  } catch (err) {
    throw new Error(`lowformer: cannot load ${wasmURL}: ${err.message}`);
  }
  return run(go, result, wasmURL, build);
}

async function instantiateURL(wasmURL, go) {
  const resp = await fetch(wasmURL);
  if (!resp.ok) throw new Error(`HTTP ${resp.status} ${resp.statusText}`);
  const streaming = (resp.headers.get('content-type') || '').startsWith('application/wasm');
  return streaming
    ? WebAssembly.instantiateStreaming(resp, go.importObject)
    : WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
}

function run(go, result, wasmURL, build) {
  // cogentcore/webgpu copies buffers through globalThis.wasm.instance.exports.mem:
  // it must be the instance that runs the WebGPU build, set before go.run
  // (the CPU builds have no WebGPU code and leave it alone).
  if (build === 'gpu') globalThis.wasm = result;
  const rt = new Runtime();
  rt.build = build;
  const forget = () => {
    const p = runtimes.get(build);
    // Only this runtime's entry: a later start of the build may have replaced it.
    if (p) p.then((r) => { if (r === rt && runtimes.get(build) === p) runtimes.delete(build); }, () => {});
  };
  const exit = go.exit;
  go.exit = (code) => {
    rt.stopped = `the Go runtime exited with code ${code} (see the console for its last words)`;
    forget();
    exit.call(go, code);
  };
  delete globalThis.__lowformer;
  go.run(result.instance).catch((err) => {
    rt.stopped = `the Go runtime failed: ${err.message}`;
    forget();
  });
  // go.run executes main() synchronously up to its first wait: the API is
  // published by now, or main failed.
  rt.api = globalThis.__lowformer;
  if (!rt.api) throw new Error(`lowformer: ${wasmURL} started but published no API (${rt.stopped || 'wrong file?'})`);
  // globalThis.__lowformer (diagnostics, tests) stays the WebGPU build's
  // once that runs; a CPU build started later keeps its API to itself.
  if (build === 'gpu') gpuAPI = rt.api;
  else if (gpuAPI) globalThis.__lowformer = gpuAPI;
  return rt;
}

class Runtime {
  constructor() {
    /** @type {any} */ this.api = null;
    /** @type {string|null} */ this.stopped = null;
    /** @type {'gpu'|'simd'|'scalar'} */ this.build = 'gpu';
  }

  /** Calls an exported Go function; all of them return Promises. */
  async call(name, ...args) {
    if (this.stopped) throw new Error(`lowformer: ${this.stopped}; load the model again`);
    try {
      return await this.api[name](...args);
    } catch (err) {
      if (this.stopped) throw new Error(`lowformer: ${this.stopped}; load the model again`);
      throw err instanceof Error ? err : new Error(`lowformer: ${String(err)}`);
    }
  }
}

// ---------------------------------------------------------------------------
// The rarer image formats. lowformer.wasm decodes JPEG and PNG: a GIF, WebP,
// BMP or TIFF file fails there with error code 'format-not-built-in', and
// lowformer-decoders.wasm (a second, small Go program: wasm/decoders) decodes
// it into the opaque RGBA pixels that Go's decoder gives natively, which the
// pixels path turns into the same tensor. It starts once per realm (the page,
// each worker), the first time such a file arrives.

let decodersPromise = null;

/**
 * Starts lowformer-decoders.wasm in this realm, once, and returns its API
 * (__lowformerDecoders: decode(file, options) → {width, height, rgba} | {error, code}).
 * @param {string} url
 */
function decoders(url) {
  if (!decodersPromise) {
    decodersPromise = startDecoders(url).catch((err) => {
      decodersPromise = null;
      throw err;
    });
  }
  return decodersPromise;
}

async function startDecoders(url) {
  // A second Go instance: its own memory and values (wasm_exec.js keeps them
  // per Go object); it leaves globalThis.wasm to lowformer.wasm and publishes
  // a global of its own, taken and removed here.
  const go = new globalThis.Go();
  let result;
  try {
    const file = fileReader(url);
    result = file ? await WebAssembly.instantiate(await file(), go.importObject) : await instantiateURL(url, go);
  } catch (err) {
    throw new Error(`lowformer: cannot load ${url}, the decoder of GIF, WebP, BMP and TIFF files: ${err.message}`);
  }
  delete globalThis.__lowformerDecoders;
  let stopped = null;
  // The module runs until the page goes; if it ever stops, the next file starts a new one.
  go.run(result.instance).then(() => {
    stopped = 'it exited';
    decodersPromise = null;
  }, (err) => {
    stopped = err.message;
    decodersPromise = null;
  });
  const api = globalThis.__lowformerDecoders;
  delete globalThis.__lowformerDecoders;
  if (!api) throw new Error(`lowformer: ${url} started but published no decoder (${stopped || 'wrong file?'})`);
  return api;
}

/**
 * Decodes an encoded image file with lowformer-decoders.wasm.
 * @param {Uint8Array} bytes
 * @param {string} url lowformer-decoders.wasm
 * @returns {Promise<{data: Uint8Array, width: number, height: number, decode: number, decodersLoad: number}>}
 *   decode: the decoding's milliseconds; decodersLoad: those of starting the module (0 once started)
 */
async function decodeWithDecoders(bytes, url) {
  const t0 = performance.now();
  const started = decodersPromise != null;
  const api = await decoders(url);
  const t1 = performance.now();
  let r;
  try {
    r = api.decode(bytes);
  } catch (err) { // the Go program died (it recovers its own panics)
    decodersPromise = null;
    throw new Error(`lowformer: lowformer-decoders.wasm failed: ${err.message}`);
  }
  const t2 = performance.now();
  if (r.error) {
    const err = new Error(r.error);
    if (r.code) err.code = r.code;
    throw err;
  }
  return { data: r.rgba, width: r.width, height: r.height, decode: t2 - t1, decodersLoad: started ? 0 : t1 - t0 };
}

// ---------------------------------------------------------------------------
// Weights: URL (with progress and the Cache API), File/Blob, ArrayBuffer.

function progressReporter(onProgress) {
  if (typeof onProgress !== 'function') return () => {};
  let last = 0;
  let lastFrac = -1;
  return (phase, loaded = 0, total = 0, force = false) => {
    const now = Date.now();
    const frac = total ? loaded / total : 0;
    if (!force && now - last < 100 && frac - lastFrac < 0.01) return;
    last = now;
    lastFrac = frac;
    try {
      onProgress({ phase, loaded, total });
    } catch (err) {
      console.error('lowformer: onProgress threw', err);
    }
  };
}

async function readStream(resp, phase, total, report) {
  if (!resp.body) {
    const b = new Uint8Array(await resp.arrayBuffer());
    report(phase, b.length, total || b.length, true);
    return b;
  }
  const reader = resp.body.getReader();
  const chunks = [];
  let loaded = 0;
  report(phase, 0, total, true);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    report(phase, loaded, total);
  }
  report(phase, loaded, total || loaded, true);
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function cacheKey(url, size) {
  const u = new URL(url);
  u.searchParams.set(SIZE_PARAM, String(size));
  return u.href;
}

async function openCache() {
  try {
    return globalThis.caches ? await caches.open(CACHE_NAME) : null;
  } catch {
    return null; // opaque origin, private mode, storage disabled...
  }
}

/** The cached keys of url, oldest first. */
async function cachedKeys(cache, url) {
  const keys = await cache.keys();
  return keys.map((r) => r.url).filter((k) => {
    const u = new URL(k);
    u.searchParams.delete(SIZE_PARAM);
    return u.href === url && new URL(k).searchParams.has(SIZE_PARAM);
  });
}

async function fetchWeights(url, useCache, report) {
  const abs = new URL(url, globalThis.location?.href).href;
  const cache = useCache && /^https?:/.test(abs) ? await openCache() : null;
  if (cache) {
    let size = null;
    let offline = false;
    try {
      const head = await fetch(abs, { method: 'HEAD' });
      if (head.ok) size = Number(head.headers.get('content-length')) || null;
    } catch {
      offline = true;
    }
    let key = size ? cacheKey(abs, size) : null;
    if (!key && offline) key = (await cachedKeys(cache, abs)).pop() || null;
    const hit = key ? await cache.match(key) : null;
    if (hit) {
      const want = Number(new URL(key).searchParams.get(SIZE_PARAM));
      const bytes = await readStream(hit, 'cache', want, report);
      if (bytes.length === want) return { bytes, source: 'cache' };
      await cache.delete(key); // damaged entry: download again
    }
  }
  let resp;
  try {
    resp = await fetch(abs);
  } catch (err) {
    throw new Error(`lowformer: cannot download the weights from ${abs}: ${err.message}`);
  }
  if (!resp.ok) {
    throw new Error(`lowformer: cannot download the weights from ${abs}: HTTP ${resp.status} ${resp.statusText}`);
  }
  const total = Number(resp.headers.get('content-length')) || 0;
  const bytes = await readStream(resp, 'download', total, report);
  if (cache) {
    try {
      for (const old of await cachedKeys(cache, abs)) await cache.delete(old);
      await cache.put(cacheKey(abs, total || bytes.length), new Response(bytes, {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      }));
    } catch (err) {
      console.warn(`lowformer: could not cache the weights (${err.message})`);
    }
  }
  return { bytes, source: 'network' };
}

async function readWeights(weights, useCache, report) {
  if (typeof weights === 'string' || weights instanceof URL) {
    const file = fileReader(weights);
    if (file) {
      report('read', 0, 0, true);
      let bytes;
      try {
        bytes = await file();
      } catch (err) {
        throw new Error(`lowformer: cannot read the weights file ${weights}: ${err.message}`);
      }
      if (bytes.length === 0) throw new Error(`lowformer: the weights file ${weights} is empty`);
      report('read', bytes.length, bytes.length, true);
      return { bytes, source: 'file' };
    }
    return fetchWeights(String(weights), useCache, report);
  }
  if (typeof Blob !== 'undefined' && weights instanceof Blob) {
    const total = weights.size;
    if (total === 0) throw new Error(`lowformer: the weights file${weights.name ? ' ' + weights.name : ''} is empty`);
    const bytes = await readStream(new Response(weights), 'read', total, report);
    return { bytes, source: 'file' };
  }
  if (weights instanceof ArrayBuffer) return { bytes: new Uint8Array(weights), source: 'memory' };
  if (ArrayBuffer.isView(weights)) {
    return { bytes: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength), source: 'memory' };
  }
  throw new TypeError('lowformer: weights must be a URL string, File, Blob, ArrayBuffer or Uint8Array of a .pt or .safetensors checkpoint');
}

/**
 * Deletes every cached weights file.
 * @returns {Promise<boolean>} whether a cache existed.
 */
export async function clearCache() {
  return globalThis.caches ? caches.delete(CACHE_NAME) : false;
}

// ---------------------------------------------------------------------------
// Images to RGBA pixels.

function canvas(w, h) {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(w, h);
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  return c;
}

function sourceSize(src) {
  if (typeof HTMLImageElement !== 'undefined' && src instanceof HTMLImageElement) return [src.naturalWidth, src.naturalHeight];
  if (typeof HTMLVideoElement !== 'undefined' && src instanceof HTMLVideoElement) return [src.videoWidth, src.videoHeight];
  if (typeof VideoFrame !== 'undefined' && src instanceof VideoFrame) return [src.displayWidth, src.displayHeight];
  if (typeof SVGImageElement !== 'undefined' && src instanceof SVGImageElement) {
    return [src.width.baseVal.value, src.height.baseVal.value];
  }
  return [src.width, src.height];
}

// isFramePixels says whether the GPU preprocessing takes src's pixels through a 2D canvas (a
// video, a VideoFrame, a canvas: opaque frames, read as the CPU path reads them) rather than with
// copyExternalImageToTexture (an ImageBitmap or image, whose alpha it keeps un-premultiplied).
function isFramePixels(src) {
  return ['HTMLVideoElement', 'VideoFrame', 'HTMLCanvasElement', 'OffscreenCanvas']
    .some((name) => typeof globalThis[name] === 'function' && src instanceof globalThis[name]);
}

// Video frame formats whose pixels framePixels copies with VideoFrame.copyTo: those without an
// alpha channel (with one, drawImage and getImageData would give premultiplied-then-divided values).
const OPAQUE_FRAME_FORMATS = ['I420', 'I422', 'I444', 'NV12', 'RGBX', 'BGRX'];

/**
 * The RGBA pixels (sRGB, opaque) of a video's current frame or of a VideoFrame, w×h (its display
 * size), or of the part rect ({x, y, width, height}; all when omitted), copied into the array
 * dest(byteLength) gives (4 bytes a pixel; allocated when dest is omitted) by VideoFrame.copyTo with its RGBA conversion: one pass in the
 * page, where drawImage into a 2D canvas and getImageData take two (a 640×480 camera frame,
 * Chromium 156: 0.6 ms against 2.4 ms) and give the same bytes (the same conversion;
 * web/test/gpupre.test.mjs checks it on the fake camera's frames, whole and in part). Resolves
 * to null where this does not apply (no VideoFrame, a frame with alpha, scaled, rotated or
 * flipped, a browser whose copyTo does not convert to RGBA, a video with no frame yet): the
 * caller then draws the source into a canvas.
 * @returns {Promise<Uint8Array|Uint8ClampedArray|null>}
 */
async function framePixels(src, w, h, dest, rect) {
  if (typeof VideoFrame !== 'function') return null;
  const isVideo = typeof HTMLVideoElement !== 'undefined' && src instanceof HTMLVideoElement;
  if (!isVideo && !(src instanceof VideoFrame)) return null;
  let vf = src;
  if (isVideo) {
    if (src.readyState < 2) return null; // HAVE_CURRENT_DATA
    try {
      vf = new VideoFrame(src);
    } catch {
      return null;
    }
  }
  try {
    const r = vf.visibleRect;
    if (!OPAQUE_FRAME_FORMATS.includes(vf.format) || !r || r.width !== w || r.height !== h ||
      vf.displayWidth !== w || vf.displayHeight !== h || (vf.rotation ?? 0) !== 0 || vf.flip === true) return null;
    const opts = { format: 'RGBA', colorSpace: 'srgb' };
    if (rect) opts.rect = { x: r.x + rect.x, y: r.y + rect.y, width: rect.width, height: rect.height }; // in the coded frame
    const size = 4 * (rect ? rect.width * rect.height : w * h);
    // A browser that does not know the format option ignores it: its size is then not 4·w·h.
    if (vf.allocationSize(opts) !== size) return null;
    const out = dest ? dest(size) : new Uint8ClampedArray(size);
    const layout = await vf.copyTo(out, opts);
    return layout.length === 1 ? out : null;
  } catch {
    return null;
  } finally {
    if (vf !== src) vf.close();
  }
}

function isDrawable(src) {
  return ['HTMLImageElement', 'HTMLVideoElement', 'HTMLCanvasElement', 'ImageBitmap', 'OffscreenCanvas', 'VideoFrame', 'SVGImageElement']
    .some((name) => typeof globalThis[name] === 'function' && src instanceof globalThis[name]);
}

/**
 * RGBA pixels (not premultiplied, sRGB) of an image source.
 * @returns {Promise<{data: Uint8ClampedArray, width: number, height: number, owned: boolean}>}
 *   owned: the buffer is a fresh copy that may be transferred.
 */
async function toPixels(src) {
  if (typeof ImageData !== 'undefined' && src instanceof ImageData) {
    return { data: src.data, width: src.width, height: src.height, owned: false };
  }
  if (src && typeof src === 'object' && src.data instanceof Uint8ClampedArray && 'width' in src && 'height' in src) {
    return { data: src.data, width: src.width, height: src.height, owned: false };
  }
  if (typeof Blob !== 'undefined' && src instanceof Blob) {
    if (typeof createImageBitmap !== 'function') {
      throw new Error(`lowformer: cannot decode this image${src.name ? ' (' + src.name + ')' : ''}: Go's decoder does not read it (JPEG, PNG, GIF, WebP, BMP, TIFF) and there is no createImageBitmap here (in Node, pass RGBA pixels: {data: Uint8ClampedArray, width, height})`);
    }
    let bmp;
    try {
      bmp = await createImageBitmap(src, { premultiplyAlpha: 'none', colorSpaceConversion: 'none', imageOrientation: 'none' });
    } catch (err) {
      throw new Error(`lowformer: the browser cannot decode this image${src.name ? ' (' + src.name + ')' : ''}: ${err.message}`);
    }
    try {
      return await toPixels(bmp);
    } finally {
      bmp.close();
    }
  }
  if (!isDrawable(src)) {
    throw new TypeError('lowformer: the image must be an HTMLImageElement, HTMLVideoElement, HTMLCanvasElement, ImageBitmap, OffscreenCanvas, VideoFrame, ImageData or Blob');
  }
  if (typeof HTMLImageElement !== 'undefined' && src instanceof HTMLImageElement && !src.complete) {
    try {
      await src.decode();
    } catch (err) {
      throw new Error(`lowformer: the image ${src.src ? src.src.slice(0, 100) : ''} did not load: ${err.message}`);
    }
  }
  const [w, h] = sourceSize(src);
  if (!w || !h) throw new Error(`lowformer: the image is ${w || 0}×${h || 0} pixels (empty, broken or not loaded yet)`);
  const frame = await framePixels(src, w, h);
  if (frame) return { data: frame, width: w, height: h, owned: true };
  const c = canvas(w, h);
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(src, 0, 0);
  const img = ctx.getImageData(0, 0, w, h);
  return { data: img.data, width: w, height: h, owned: true };
}

// ---------------------------------------------------------------------------
// Classify options.

function isBlob(x) {
  return typeof Blob !== 'undefined' && x instanceof Blob;
}

/**
 * @typedef {HTMLImageElement|HTMLVideoElement|HTMLCanvasElement|ImageBitmap|OffscreenCanvas|VideoFrame|ImageData|Blob} ImageSource
 * @typedef {{predictions: {index: number, label: string, probability: number}[],
 *   timings: {pixels?: number, decode?: number, preprocess: number, inference: number, postprocess: number, total: number},
 *   width: number, height: number, decoder: 'go'|'browser'|'pixels'}} ClassifyResult
 */

/**
 * The options of classify with their defaults; the Go side checks the
 * values (and names the option in its errors).
 */
function classifyOptions(options) {
  if (options == null || typeof options !== 'object') throw new TypeError('lowformer: classify options must be an object');
  const opts = {
    topK: options.topK ?? DEFAULT_TOP_K, size: options.size ?? 0, decoder: options.decoder || 'go',
    scoreThreshold: options.scoreThreshold ?? 0,
    categoryAllowlist: options.categoryAllowlist ?? null, categoryDenylist: options.categoryDenylist ?? null,
    regionOfInterest: options.regionOfInterest ?? null,
  };
  if (opts.decoder !== 'go' && opts.decoder !== 'browser') {
    throw new TypeError(`lowformer: decoder must be 'go' or 'browser', not ${JSON.stringify(opts.decoder)}`);
  }
  return opts;
}

/** The options the Go side reads (wasm/main_js.go, classifyOptions). */
function goOptions(o) {
  const { topK, size, scoreThreshold, categoryAllowlist, categoryDenylist, regionOfInterest } = o;
  return { topK, size, scoreThreshold, categoryAllowlist, categoryDenylist, regionOfInterest };
}

// ---------------------------------------------------------------------------
// Debugging.

/**
 * The page-side receiver of options.debug.dumpWGSL: null, a console logger
 * (true), or the caller's function, whose exceptions are logged and never
 * reach the engine.
 * @returns {((label: string, wgsl: string) => void)|null}
 */
function wgslDumper(debug) {
  if (debug == null) return null;
  if (typeof debug !== 'object') throw new TypeError('lowformer: options.debug must be an object: {dumpWGSL}');
  const d = debug.dumpWGSL;
  if (d == null || d === false) return null;
  if (d === true) {
    return (label, wgsl) => {
      console.groupCollapsed(`lowformer: WGSL ${label}`);
      console.log(wgsl);
      console.groupEnd();
    };
  }
  if (typeof d === 'function') {
    return (label, wgsl) => {
      try {
        d(label, wgsl);
      } catch (err) {
        console.error('lowformer: debug.dumpWGSL threw', err);
      }
    };
  }
  throw new TypeError('lowformer: options.debug.dumpWGSL must be true or a function (label, wgsl) => void');
}

// ---------------------------------------------------------------------------
// Back ends: Local runs Go in this realm, Remote proxies to a Worker.

/** Runs the model in this realm (main thread or inside the worker). */
class Local {
  constructor(rt, id) {
    this.rt = rt;
    this.id = id;
  }

  static async load({ weights, backend, kernels, variant, cache, warmup, wasmURL, wasmCPUURL, wasmScalarURL, wasmDecodersURL, simd, onProgress, dumpWGSL, tune, tuning, tuneBudgetMs, start }) {
    const report = progressReporter(onProgress);
    const t0 = performance.now();
    // Each realm (the page, each worker) tests wasm SIMD and WebGPU itself.
    const useSIMD = simd == null ? hasWasmSIMD() : Boolean(simd);
    const cpuRuntime = () => (useSIMD ? runtime(wasmCPUURL, 'simd') : runtime(wasmScalarURL, 'scalar'));
    // The build for the backend: 'gpu' the WebGPU one, 'cpu' a CPU one,
    // 'auto' the WebGPU one where an adapter exists, else a CPU one (with the
    // warning the Go side gave when one build had both backends).
    const warnings = [];
    const pick = async () => {
      if (backend === 'gpu') return runtime(wasmURL, 'gpu');
      if (backend === 'auto') {
        const why = await noWebGPU();
        if (!why) return runtime(wasmURL, 'gpu');
        warnings.push(`lowformer: no WebGPU device (${why}); running on the CPU`);
      }
      return cpuRuntime();
    };
    const rtReady = pick();
    const tuningReady = tuningText(tuning, fileReader);
    const gpuOptions = (tuningJSON) => ({ backend, kernels, variant, start, tune, tuning: tuningJSON, tuningStore: tuningStore() });
    // What the GPU needs no weights for (the device, a progressive start's generic
    // pipelines) starts while they download: Go's load takes it (lowformer.Prestart,
    // which starts nothing in a CPU build).
    const early = backend !== 'cpu' && !dumpWGSL && globalThis.navigator?.gpu
      ? Promise.all([rtReady, tuningReady]).then(([rt, tuningJSON]) => { rt.call('prestart', gpuOptions(tuningJSON)).catch(() => {}); }, () => {})
      : null;
    let ready;
    try {
      ready = await Promise.all([readWeights(weights, cache, report), rtReady, tuningReady]);
    } catch (err) {
      if (early) early.then(() => rtReady).then((rt) => rt.call('dropPrestart')).catch(() => {}); // no load will take it
      throw err;
    }
    let [{ bytes, source }, rt, tuningJSON] = ready;
    await early; // prestart is called before load
    const t1 = performance.now();
    report('init', 0, 1, true);
    const loadOpts = { ...gpuOptions(tuningJSON), dumpWGSL };
    let r;
    try {
      r = await rt.call('load', bytes, loadOpts);
    } catch (err) {
      // 'auto' with an adapter whose device then fails to open: the WebGPU
      // build has no CPU backend to fall back to (error.code
      // 'no-cpu-backend'), so the model loads in a CPU build.
      if (backend !== 'auto' || err?.code !== 'no-cpu-backend') throw err;
      warnings.push(`lowformer: no WebGPU device (${err.message}); running on the CPU`);
      rt = await cpuRuntime();
      r = await rt.call('load', bytes, loadOpts);
    }
    if (warnings.length) {
      for (const w of warnings) console.warn(w);
      r.info.warnings = [...warnings, ...(r.info.warnings || [])];
    }
    const t2 = performance.now();
    if (warmup && r.info.backend === 'gpu') {
      report('compile', 0, 1, true);
      const w = await rt.call('warmup', r.id);
      // A progressive start's warm-up compiled the generic pipelines only;
      // its first run started the specialized ones (see LowFormer#phase).
      if (w.phase !== r.info.phase) {
        r.info.phase = w.phase;
        report(w.phase, 0, 1, true);
      }
    }
    report('ready', 1, 1, true);
    const t3 = performance.now();
    const timings = { weights: t1 - t0, init: t2 - t1, warmup: t3 - t2, total: t3 - t0 };
    const local = new Local(rt, r.id);
    local.decodersURL = wasmDecodersURL;
    if (r.info.backend !== 'gpu' && (tune === 'background' || tuningJSON)) {
      r.info.tuningNotes = [...r.info.tuningNotes, `tuning applies to the WebGPU backend; this model runs on the CPU${globalThis.navigator?.gpu ? '' : ' (no WebGPU here)'}, so ${tune === 'background' ? 'no tuning runs and ' : ''}no table is used`];
    } else if (tune === 'background') {
      local.tuneInBackground(tuneBudgetMs, onProgress);
    }
    return { local, info: { ...r.info, fallback: r.info.backend === 'cpu' && backend !== 'cpu', wasm: rt.build, weightsSource: source, weightsBytes: bytes.length }, timings };
  }

  /** Arms background tuning (tune: 'background'): one run, started after the first result. */
  tuneInBackground(budgetMs, onProgress) {
    this.tuner = new BackgroundTuner(this.rt, this.id, budgetMs, onProgress);
    this.afterFirstResult(() => this.tuner.arm());
  }

  /** Resolves with {phase} once the plans run on specialized pipelines (see LowFormer#waitSpecialized). */
  waitSpecialized() {
    return this.rt.call('waitSpecialized', this.id);
  }

  /**
   * Calls cb once, when a call first gives a result (a progressive start's first run starts the
   * specialization; background tuning starts after it). One hook on rt serves every cb, in the
   * order they were given.
   */
  afterFirstResult(cb) {
    if (!this.firstResult) {
      const cbs = this.firstResult = [];
      this.rt = firstResultHook(this.rt, (name) => RESULTS.has(name), () => { for (const f of cbs) f(); });
    }
    this.firstResult.push(cb);
  }

  async logits(input, shape) {
    return this.rt.call('logits', this.id, input, shape);
  }

  async classifyPixels({ data, width, height }, opts) {
    return this.rt.call('classify', this.id, data, width, height, goOptions(opts));
  }

  /**
   * Classifies several images as one batch: each is RGBA pixels
   * ({data, width, height}) or a Blob (decoded as classifyBlob does).
   */
  async classifyMany(images, opts) {
    const browser = opts.decoder === 'browser';
    const items = await Promise.all(images.map(async (im) => {
      if (!isBlob(im)) return { item: { data: im.data, width: im.width, height: im.height }, decoder: 'pixels' };
      if (browser) return { item: await toPixels(im), decoder: 'browser' };
      return { item: new Uint8Array(await im.arrayBuffer()), decoder: 'go' };
    }));
    let rs;
    try {
      rs = await this.rt.call('classifyBatch', this.id, items.map((x) => x.item), goOptions(opts));
    } catch (err) {
      if (err.code === 'format-not-built-in') return this.#classifyManyDecoded(items, opts);
      if (err.code !== 'unsupported-format' || browser) throw err;
      return this.classifyMany(images, { ...opts, decoder: 'browser' }); // formats only the browser reads
    }
    return rs.map((r, i) => Object.assign(r, { decoder: items[i].decoder }));
  }

  async classifyBlob(blob, opts) {
    if (opts.decoder === 'browser') return this.#browserDecode(blob, opts);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    try {
      const r = await this.rt.call('classifyEncoded', this.id, bytes, goOptions(opts));
      r.decoder = 'go';
      return r;
    } catch (err) {
      if (err.code === 'unsupported-format') return this.#browserDecode(blob, opts);
      if (err.code === 'format-not-built-in') return this.#decodersThen(bytes, (px) => this.classifyPixels(px, opts));
      throw err;
    }
  }

  /**
   * A GIF, WebP, BMP or TIFF file (error code 'format-not-built-in' from
   * lowformer.wasm): decoded by lowformer-decoders.wasm, then run (classify or
   * embed of the pixels); the result is the encoded path's, decoder 'go'.
   */
  async #decodersThen(bytes, run) {
    const px = await decodeWithDecoders(bytes, this.decodersURL);
    const r = await run(px);
    r.timings.decode = px.decode;
    if (px.decodersLoad) r.timings.decodersLoad = px.decodersLoad;
    return Object.assign(r, { width: px.width, height: px.height, decoder: 'go' });
  }

  /** classifyMany of a batch with a GIF, WebP, BMP or TIFF file: every file decoded by lowformer-decoders.wasm (it reads JPEG and PNG as lowformer.wasm does). */
  async #classifyManyDecoded(items, opts) {
    let decode = 0;
    let decodersLoad = 0;
    const sent = [];
    for (const x of items) {
      if (x.decoder !== 'go') {
        sent.push(x.item);
        continue;
      }
      const px = await decodeWithDecoders(x.item, this.decodersURL);
      decode += px.decode;
      decodersLoad += px.decodersLoad;
      sent.push({ data: px.data, width: px.width, height: px.height });
    }
    const rs = await this.rt.call('classifyBatch', this.id, sent, goOptions(opts));
    return rs.map((r, i) => {
      r.timings.decode = decode;
      if (decodersLoad) r.timings.decodersLoad = decodersLoad;
      return Object.assign(r, { decoder: items[i].decoder });
    });
  }

  async #browserDecode(blob, opts) {
    const t0 = performance.now();
    const px = await toPixels(blob);
    const t1 = performance.now();
    const r = await this.classifyPixels(px, opts);
    r.timings.decode = t1 - t0;
    Object.assign(r, { width: px.width, height: px.height, decoder: 'browser' });
    return r;
  }

  // Embeddings and features (embed: opts.stages undefined; features: an array).

  async embedPixels({ data, width, height }, opts) {
    return this.rt.call('embed', this.id, data, width, height, opts);
  }

  async embedBlob(blob, opts) {
    const { decoder, ...rest } = opts;
    if (decoder !== 'browser') {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      try {
        const r = await this.rt.call('embedEncoded', this.id, bytes, rest);
        r.decoder = 'go';
        return r;
      } catch (err) {
        if (err.code === 'format-not-built-in') return this.#decodersThen(bytes, (px) => this.embedPixels(px, rest));
        if (err.code !== 'unsupported-format') throw err;
      }
    }
    const t0 = performance.now();
    const px = await toPixels(blob);
    const t1 = performance.now();
    const r = await this.embedPixels(px, rest);
    r.timings.decode = t1 - t0;
    return Object.assign(r, { width: px.width, height: px.height, decoder: 'browser' });
  }

  async embeddings(input, shape) {
    return this.rt.call('embeddings', this.id, input, shape);
  }

  async featuresTensor(input, shape, stages) {
    return this.rt.call('features', this.id, input, shape, stages);
  }

  // GPU preprocessing: the source goes to the model's texture (or is bound as a GPUBuffer).

  async frame(source, width, height, opts) {
    // A video frame or a canvas reaches the GPU fastest as its pixels, and only those of the part
    // the resize reads (frameRect: from 640×480, 464×464 pixels at 224 and 480×476 at 48, 70-74 %): a
    // video's or VideoFrame's with VideoFrame.copyTo (framePixels) into an array kept across
    // frames, else (a canvas, or where copyTo does not apply) drawImage and getImageData into a
    // canvas kept across frames; then queue.writeBuffer into a storage buffer kept across frames,
    // which the resize pass reads as packed RGBA. Measured with lavapipe, a 640×480 camera frame: 0.6 ms for copyTo, 2-3 ms for
    // drawImage and getImageData, against 42-44 ms for copyExternalImageToTexture straight from
    // the video or a VideoFrame (waited for), 23-46 ms through createImageBitmap and 23 ms for
    // importExternalTexture (Chromium's GPU process converts and copies the frame on the same
    // lavapipe); the buffer-reading pass is faster than the texture-reading one there. They are
    // the pixels the CPU path reads (toPixels). An ImageData goes the same way.
    if (!isFramePixels(source) && !(typeof ImageData !== 'undefined' && source instanceof ImageData)) {
      const r = await this.rt.call('frame', this.id, source, width, height, opts);
      r.route = typeof GPUBuffer !== 'undefined' && source instanceof GPUBuffer ? 'buffer'
        : typeof GPUTexture !== 'undefined' && source instanceof GPUTexture ? 'texture' : 'copyExternalImage';
      return r;
    }
    // Frames take turns on the buffer: each one's pixels stay until its run is submitted.
    const turn = this.frameTurn || Promise.resolve();
    let done;
    this.frameTurn = new Promise((r) => { done = r; });
    await turn;
    try {
      const t0 = performance.now();
      let data = source.data;
      let rect;
      let route = 'pixels';
      if (isFramePixels(source)) {
        rect = await this.frameRect(width, height, opts.size);
        // The array is made only for a source copyTo can read (canvases take the drawImage route).
        const dest = (size) => (this.frameRGBA?.length === size ? this.frameRGBA : (this.frameRGBA = new Uint8Array(size)));
        data = await framePixels(source, width, height, dest, rect);
        route = 'copyTo';
        if (!data) {
          route = 'canvas';
          if (!this.frameCanvas || this.frameCanvas.width !== width || this.frameCanvas.height !== height) {
            this.frameCanvas = canvas(width, height);
            this.frameCtx = this.frameCanvas.getContext('2d', { willReadFrequently: true });
          }
          this.frameCtx.drawImage(source, 0, 0);
          data = this.frameCtx.getImageData(rect.x, rect.y, rect.width, rect.height).data;
        }
      }
      const t1 = performance.now();
      this.gpuDev ??= await this.rt.call('device', this.id);
      if (!this.frameBuf || this.frameBuf.size < data.byteLength) {
        this.frameBuf?.destroy();
        this.frameBuf = this.gpuDev.createBuffer({ label: 'frame-pixels', size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      }
      this.gpuDev.queue.writeBuffer(this.frameBuf, 0, data);
      const t2 = performance.now();
      const r = await this.rt.call('frame', this.id, this.frameBuf, width, height, rect ? { ...opts, rect } : opts);
      // The writeBuffer counts in preprocess (where a texture copy's time goes); preprocessOnly
      // reports it as upload too.
      Object.assign(r.timings, { pixels: t1 - t0, preprocess: (r.timings.preprocess ?? 0) + (t2 - t1) });
      if (opts.preprocessOnly) r.timings.upload = t2 - t1;
      r.route = route;
      return r;
    } finally {
      done();
    }
  }

  // The part of a width×height frame that the GPU preprocessing to size reads (kept per size).
  async frameRect(width, height, size) {
    const key = `${width}x${height}:${size ?? 0}`;
    if (this.frameRectKey !== key) {
      this.frameRectValue = await this.rt.call('frameRect', this.id, width, height, size ?? 0);
      this.frameRectKey = key;
    }
    return this.frameRectValue;
  }

  async device() {
    return this.rt.call('device', this.id);
  }

  /** The tuning table of the finished background run, else the one in use (JSON), else null. */
  async tuningTable() {
    return this.tuner?.table ?? this.rt.call('tuningTable', this.id);
  }

  whenTuned() {
    return this.tuner ? this.tuner.whenTuned() : Promise.resolve(null);
  }

  async dispose() {
    this.tuner?.cancel();
    this.frameBuf?.destroy();
    this.frameBuf = null;
    this.frameRGBA = null;
    return this.rt.call('dispose', this.id);
  }
}

/**
 * rt with cb called once, after the first call whose name isResult accepts
 * has resolved (a failed one does not count).
 */
function firstResultHook(rt, isResult, cb) {
  let done = false;
  return {
    call: (name, ...args) => {
      const p = rt.call(name, ...args);
      if (!done && isResult(name)) {
        p.then(() => {
          if (done) return;
          done = true;
          cb();
        }, () => {});
      }
      return p;
    },
  };
}

/** The worker's operations that give a result (lowformer-worker.js). */
const REMOTE_RESULTS = new Set(['logits', 'classifyPixels', 'classifyBlob', 'classifyMany', 'embedPixels', 'embedBlob', 'embeddings', 'featuresTensor', 'frame']);

/** Proxies every call to a dedicated module Worker (lowformer-worker.js). */
class Remote {
  constructor(worker) {
    this.worker = worker;
    this.pending = new Map();
    this.next = 1;
    this.dead = null;
    /** @type {((label: string, wgsl: string) => void)|null} receives the worker's shaders (debug.dumpWGSL) */
    this.onWGSL = null;
    worker.onmessage = (e) => this.#receive(e.data);
    worker.onerror = (e) => {
      e.preventDefault?.();
      this.#fail(`the worker failed: ${e.message || 'it could not start (is lowformer-worker.js served next to lowformer.js?)'}`);
    };
    worker.onmessageerror = () => this.#fail('a message from the worker could not be read');
  }

  /** @param {string|null} workerURL options.workerURL, or null for the package's lowformer-worker.js */
  static async load(opts, workerURL) {
    if (typeof Worker !== 'function') {
      throw new Error('lowformer: the worker and workers options need Web Workers, which this environment lacks (in Node, or in a service worker, load without them)');
    }
    let worker;
    try {
      // The literal new Worker(new URL(..., import.meta.url)) is the pattern
      // bundlers follow to emit the worker as its own chunk.
      worker = workerURL
        ? new Worker(workerURL, { type: 'module', name: 'lowformer' })
        : new Worker(new URL('./lowformer-worker.js', import.meta.url), { type: 'module', name: 'lowformer' });
    } catch (err) {
      throw new Error(`lowformer: cannot start the worker ${workerURL || 'lowformer-worker.js'}: ${err.message}`);
    }
    const remote = new Remote(worker);
    let { weights } = opts;
    if ((typeof weights === 'string' || weights instanceof URL) && globalThis.location) weights = new URL(weights, globalThis.location.href).href;
    const { onProgress, dumpWGSL, ...rest } = opts;
    remote.onWGSL = dumpWGSL; // the worker forwards each shader (see #receive)
    remote.lateProgress = onProgress; // background tuning's, after the load
    if ((typeof rest.tuning === 'string' || rest.tuning instanceof URL) && globalThis.location) rest.tuning = new URL(rest.tuning, globalThis.location.href).href;
    try {
      const r = await remote.call('load', { ...rest, weights, dumpWGSL: !!dumpWGSL }, [], onProgress);
      return { remote, info: r.info, timings: r.timings };
    } catch (err) {
      remote.terminate();
      throw err;
    }
  }

  waitSpecialized() {
    return this.call('waitSpecialized', {});
  }

  /** Calls cb once, when a call first gives a result (see Local#afterFirstResult). */
  afterFirstResult(cb) {
    const rt = firstResultHook({ call: this.call.bind(this) }, (op) => REMOTE_RESULTS.has(op), cb);
    this.call = rt.call;
  }

  call(op, args, transfer = [], onProgress = null) {
    if (this.dead) return Promise.reject(new Error(`lowformer: ${this.dead}`));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      try {
        this.worker.postMessage({ id, op, args }, transfer);
      } catch (err) {
        this.pending.delete(id);
        reject(new Error(`lowformer: cannot send ${op} to the worker: ${err.message}`));
      }
    });
  }

  #receive({ id, result, error, progress, wgsl }) {
    if (wgsl) {
      this.onWGSL?.(wgsl.label, wgsl.source);
      return;
    }
    const p = this.pending.get(id);
    if (!p) {
      // Progress of a finished call: the load's background tuning.
      if (progress && typeof this.lateProgress === 'function') {
        try { this.lateProgress(progress); } catch (err) { console.error('lowformer: onProgress threw', err); }
      }
      return;
    }
    if (progress) {
      if (p.onProgress) {
        try { p.onProgress(progress); } catch (err) { console.error('lowformer: onProgress threw', err); }
      }
      return;
    }
    this.pending.delete(id);
    if (error) {
      const err = new Error(error.message);
      if (error.code) err.code = error.code;
      if (error.name && error.name !== 'Error') err.name = error.name;
      p.reject(err);
    } else {
      p.resolve(result);
    }
  }

  #fail(msg) {
    this.dead = msg;
    for (const p of this.pending.values()) p.reject(new Error(`lowformer: ${msg}`));
    this.pending.clear();
  }

  logits(input, shape) {
    // A view on part of a larger buffer would be cloned whole: copy it, and
    // transfer our own copy (never the caller's buffer).
    const whole = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength;
    const x = whole ? input : input.slice();
    return this.call('logits', { input: x, shape }, whole ? [] : [x.buffer]);
  }

  classifyPixels(px, opts) {
    const data = px.owned ? px.data : px.data.slice();
    return this.call('classifyPixels', { px: { data, width: px.width, height: px.height }, opts }, [data.buffer]);
  }

  classifyBlob(blob, opts) {
    return this.call('classifyBlob', { blob, opts });
  }

  classifyMany(images, opts) {
    const transfer = [];
    const sent = images.map((im) => {
      if (isBlob(im)) return im;
      const data = im.owned ? im.data : im.data.slice();
      transfer.push(data.buffer);
      return { data, width: im.width, height: im.height };
    });
    return this.call('classifyMany', { images: sent, opts }, transfer);
  }

  embedPixels(px, opts) {
    const data = px.owned ? px.data : px.data.slice();
    return this.call('embedPixels', { px: { data, width: px.width, height: px.height }, opts }, [data.buffer]);
  }

  embedBlob(blob, opts) {
    return this.call('embedBlob', { blob, opts });
  }

  embeddings(input, shape) {
    return this.call('embeddings', { input, shape });
  }

  featuresTensor(input, shape, stages) {
    return this.call('featuresTensor', { input, shape, stages });
  }

  async frame(source, width, height, opts) {
    // The worker gets a transferable image: a VideoFrame or ImageBitmap we own (transferred, not
    // copied); anything else (an element, a canvas) becomes an ImageBitmap first. GPU resources
    // live on the page's devices, not the worker's.
    if (isGPUResource(source)) throw new TypeError('lowformer: a GPUTexture or GPUBuffer input needs the model on the main thread (its device is the one to share)');
    const owned = opts.owned === true;
    let img = source;
    if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement && typeof VideoFrame === 'function') {
      img = new VideoFrame(source); // the worker reads its pixels (Local.frame)
    } else if (!(typeof VideoFrame !== 'undefined' && source instanceof VideoFrame) && !(typeof ImageBitmap !== 'undefined' && source instanceof ImageBitmap)) {
      img = await createImageBitmap(source);
    } else if (!owned) {
      img = source instanceof VideoFrame ? source.clone() : await createImageBitmap(source);
    }
    const { owned: _, ...rest } = opts;
    return this.call('frame', { source: img, width, height, opts: rest }, [img]);
  }

  async device() {
    return null;
  }

  async tuningTable() {
    return this.call('tuningTable', {});
  }

  whenTuned() {
    return this.call('whenTuned', {});
  }

  async dispose() {
    try {
      return await this.call('dispose', {});
    } finally {
      this.terminate();
    }
  }

  terminate() {
    this.worker.terminate();
    this.#fail('the model has been disposed');
  }
}

/**
 * Spreads the images of a CPU batch over several Workers, each with its own
 * Go runtime and its own copy of the model (Go's wasm runs one thread): the
 * load option workers: N with backend 'cpu'. A batch of n images goes to
 * min(n, N) workers in contiguous slices, the logits come back in order;
 * single images (classify) take turns.
 */
class Pool {
  constructor(remotes) {
    this.remotes = remotes;
    this.turn = 0;
  }

  static async load(opts, workerURL, n) {
    const { onProgress, ...rest } = opts;
    const report = progressReporter(onProgress);
    const t0 = performance.now();
    // Read (download, cache) the weights once here; each worker gets a copy.
    const { bytes, source } = await readWeights(opts.weights, opts.cache, report);
    const t1 = performance.now();
    report('init', 0, 1, true);
    const settled = await Promise.allSettled(Array.from({ length: n }, () =>
      Remote.load({ ...rest, weights: bytes, cache: false }, workerURL)));
    const remotes = settled.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      for (const r of remotes) r.remote.terminate();
      throw failed.reason;
    }
    report('ready', 1, 1, true);
    const t2 = performance.now();
    const info = { ...remotes[0].info, weightsSource: source, weightsBytes: bytes.length };
    return { pool: new Pool(remotes.map((r) => r.remote)), info, timings: { weights: t1 - t0, init: t2 - t1, warmup: 0 } };
  }

  #one() {
    const r = this.remotes[this.turn];
    this.turn = (this.turn + 1) % this.remotes.length;
    return r;
  }

  async logits(input, shape) {
    const n = shape[0];
    const k = Math.min(this.remotes.length, Number.isInteger(n) ? n : 0);
    const per = input.length / n;
    // Anything odd (one image, a bad shape) goes to one worker, which says what is wrong.
    if (k < 2 || shape.length !== 4 || !Number.isInteger(per)) return this.#one().logits(input, shape);
    const ys = await Promise.all(Array.from({ length: k }, (_, i) => {
      const a = Math.floor((i * n) / k);
      const b = Math.floor(((i + 1) * n) / k);
      return this.remotes[i].logits(input.subarray(a * per, b * per), [b - a, ...shape.slice(1)]);
    }));
    const out = new Float32Array(ys.reduce((sum, y) => sum + y.length, 0));
    let off = 0;
    for (const y of ys) {
      out.set(y, off);
      off += y.length;
    }
    return out;
  }

  classifyPixels(px, opts) {
    return this.#one().classifyPixels(px, opts);
  }

  classifyBlob(blob, opts) {
    return this.#one().classifyBlob(blob, opts);
  }

  classifyMany(images, opts) {
    return this.#one().classifyMany(images, opts); // one batch, one worker
  }

  embedPixels(px, opts) {
    return this.#one().embedPixels(px, opts);
  }

  embedBlob(blob, opts) {
    return this.#one().embedBlob(blob, opts);
  }

  embeddings(input, shape) {
    return this.#one().embeddings(input, shape);
  }

  featuresTensor(input, shape, stages) {
    return this.#one().featuresTensor(input, shape, stages);
  }

  frame() {
    throw new TypeError("lowformer: preprocess: 'gpu' needs the GPU backend (this model runs on CPU workers)");
  }

  async device() {
    return null;
  }

  async tuningTable() {
    return null; // CPU workers: no tuning
  }

  async whenTuned() {
    return null;
  }

  /** A pool runs on the CPU: nothing to specialize. */
  async waitSpecialized() {
    return { phase: '' };
  }

  async dispose() {
    const rs = await Promise.allSettled(this.remotes.map((r) => r.dispose()));
    const failed = rs.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * The wasm builds' URLs: the options', resolved against this module, or
 * the package's files, written as the literal new URL('./file',
 * import.meta.url) that bundlers follow to emit (and hash) the asset. A
 * wasmURL option without wasmCPUURL or wasmScalarURL puts those builds
 * next to it.
 */
function wasmURLs({ wasmURL, wasmCPUURL, wasmScalarURL, wasmDecodersURL }) {
  const gpu = wasmURL ? new URL(wasmURL, HERE) : new URL('./lowformer.wasm', import.meta.url);
  let cpu;
  if (wasmCPUURL) cpu = new URL(wasmCPUURL, HERE);
  else if (wasmURL) cpu = new URL('lowformer-cpu.wasm', gpu);
  else cpu = new URL('./lowformer-cpu.wasm', import.meta.url);
  let scalar;
  if (wasmScalarURL) scalar = new URL(wasmScalarURL, HERE);
  else if (wasmURL) scalar = new URL('lowformer-scalar.wasm', gpu);
  else scalar = new URL('./lowformer-scalar.wasm', import.meta.url);
  return { wasmURL: gpu.href, wasmCPUURL: cpu.href, wasmScalarURL: scalar.href, wasmDecodersURL: decodersURL(wasmURL, wasmDecodersURL, gpu) };
}

/** lowformer-decoders.wasm's URL: the option's, else next to a wasmURL option, else the package's. */
function decodersURL(wasmURL, wasmDecodersURL, simd) {
  if (wasmDecodersURL) return new URL(wasmDecodersURL, HERE).href;
  if (wasmURL) return new URL('lowformer-decoders.wasm', simd).href;
  return new URL('./lowformer-decoders.wasm', import.meta.url).href;
}

// ---------------------------------------------------------------------------
// Public API.

/**
 * A loaded LowFormer model. Create it with LowFormer.load.
 */
export class LowFormer {
  #impl;
  #disposed = false;

  /** @private use LowFormer.load */
  constructor(impl, info, timings) {
    this.#impl = impl;
    /**
     * What the model is: {variant, params, classes, labels, format, dtype, backend, adapter, start,
     * phase, ...}. A new frozen object replaces it when the phase changes (see waitSpecialized).
     */
    this.info = Object.freeze(info);
    /** How long loading took, in milliseconds: {weights, init, warmup, total} (total as seen by the caller). */
    this.timings = Object.freeze(timings);
  }

  #specialized = null;

  // Follows a progressive start to its swap: after the first result (without a warm-up: the
  // warm-up's run reported it already) info.phase becomes 'specializing' and onProgress gets
  // {phase: 'specializing'}, as the model's first run started the specialization; when the
  // plans run on specialized pipelines, info.phase becomes 'specialized' and onProgress gets
  // {phase: 'specialized'}; if the specialization fails, info.phase is 'generic' again.
  #followPhase(report) {
    if (this.info.phase !== 'generic' && this.info.phase !== 'specializing') {
      this.#specialized = Promise.resolve();
      return;
    }
    const setPhase = (phase) => { this.info = Object.freeze({ ...this.info, phase }); };
    if (this.info.phase === 'generic') {
      this.#impl.afterFirstResult?.(() => {
        if (this.info.phase !== 'generic' || this.#disposed) return;
        setPhase('specializing');
        report('specializing', 0, 1, true);
      });
    }
    this.#specialized = this.#impl.waitSpecialized().then((r) => {
      setPhase(r.phase);
      report(r.phase, 1, 1, true);
    });
    this.#specialized.catch((err) => {
      if (this.#disposed) return;
      if (this.info.phase === 'specializing') setPhase('generic');
      console.warn(`lowformer: the specialized pipelines did not replace the generic ones: ${err.message}`);
    });
  }

  /**
   * Resolves once a progressive start's plans run on specialized pipelines (info.phase
   * 'specialized'); at once for start 'specialized' and on the CPU. The specialization starts
   * after the first run (the warm-up's, with warmup: true). Rejects if it failed (the generic
   * pipelines keep serving) or the model is disposed first.
   * @returns {Promise<void>}
   */
  waitSpecialized() {
    this.#check();
    return this.#specialized;
  }

  /**
   * Loads a LowFormer checkpoint (.pt or .safetensors).
   * @param {object} options
   * @param {string|URL|File|Blob|ArrayBuffer|Uint8Array} options.weights a URL (in Node: a
   *   path, or a file: URL), a file, or the bytes
   * @param {(p: {phase: string, loaded: number, total: number}) => void} [options.onProgress]
   * @param {boolean} [options.worker=false] run everything in a dedicated Worker
   * @param {'auto'|'gpu'|'cpu'} [options.backend='auto']
   * @param {'auto'|'gpu'|'cpu'} [options.kernels='auto'] the GPU kernel set: 'auto' picks 'cpu' on
   *   a CPU adapter (lavapipe, SwiftShader) and 'gpu' otherwise; info.kernels and
   *   info.kernelsReason say which ran and why
   * @param {string} [options.variant] expected variant ("b0", "E1", ...)
   * @param {boolean} [options.cache=true] keep downloaded weights in the Cache API
   * @param {boolean} [options.warmup=true] on the GPU, compile every shader during load (one
   *   forward on a blank image, progress phase 'compile'), so that the first classification is
   *   as fast as the later ones; false leaves that to the first call. With start 'progressive'
   *   it compiles the generic pipelines only
   * @param {'progressive'|'specialized'} [options.start='progressive'] on the GPU: 'progressive'
   *   serves the first results from a handful of generic pipelines (quick to compile) while the
   *   specialized ones compile in the background and replace them between two calls (progress
   *   phases 'specializing', then 'specialized'; info.phase follows; see waitSpecialized);
   *   'specialized' compiles them all before the first result
   * @param {number} [options.workers=1] with backend 'cpu': spread the images of a batch over
   *   this many Workers (each its own wasm instance), results in order; 1 is the worker option's
   *   behaviour
   * @param {boolean} [options.simd] on the CPU backend, use the wasm SIMD build
   *   (lowformer-cpu.wasm; default: where the engine has wasm SIMD, tested with
   *   WebAssembly.validate); false forces the scalar build (lowformer-scalar.wasm)
   * @param {string|URL} [options.wasmURL] where lowformer.wasm, the WebGPU build, is (default:
   *   the package's, as a bundler emitted it)
   * @param {string|URL} [options.wasmCPUURL] where lowformer-cpu.wasm, the CPU build with wasm
   *   SIMD, is (default: next to wasmURL when that is set, else the package's)
   * @param {string|URL} [options.wasmScalarURL] where lowformer-scalar.wasm, the CPU build without
   *   wasm SIMD, is (default: next to wasmURL when that is set, else the package's)
   * @param {string|URL} [options.wasmDecodersURL] where lowformer-decoders.wasm, the decoder of
   *   GIF, WebP, BMP and TIFF files fetched the first time one arrives, is (default: next to
   *   wasmURL when that is set, else the package's)
   * @param {string|URL} [options.workerURL] where lowformer-worker.js is (default: the package's)
   * @param {'off'|'cached'|'background'} [options.tune='cached'] on-device tuning (GPU backend):
   *   'cached' uses the table stored for this adapter (IndexedDB) or given as options.tuning and
   *   never tunes; 'background' also tunes this adapter after the model's first result (budget
   *   options.tuneBudgetMs, progress phases 'tune' and 'tuned'), storing the table for the next
   *   load and going on from a stored partial one; 'off' uses no table. info.tuning says which
   *   table is in use, info.tuningNotes which were ignored and why
   * @param {string|URL|object} [options.tuning] a tuning table to use instead of the stored one: a
   *   URL of its JSON or the object (model.tuningTable()); a malformed one fails the load, one
   *   for another adapter or kernel set is ignored with a note in info.tuningNotes
   * @param {number} [options.tuneBudgetMs=60000] the time a background tuning run takes at most
   * @param {{dumpWGSL?: boolean|((label: string, wgsl: string) => void)}} [options.debug] dumpWGSL:
   *   true logs every compute shader's WGSL to the console as its pipeline is created (one
   *   collapsed group "lowformer: WGSL <label>" each); a function receives (label, wgsl) instead.
   *   Pipelines are created during load and warm-up and at the first call with a new input shape.
   * @returns {Promise<LowFormer>}
   */
  static async load(options = {}) {
    if (!options || typeof options !== 'object') throw new TypeError('lowformer: LowFormer.load takes an options object: {weights, ...}');
    const { weights, onProgress, worker = false, backend = 'auto', kernels = 'auto', variant = '', cache = true, warmup = true, workers = 1, simd } = options;
    const tuneOpts = tuneOptions(options);
    const { start = 'progressive' } = options;
    if (start !== 'progressive' && start !== 'specialized') throw new TypeError(`lowformer: start must be 'progressive' or 'specialized', not ${JSON.stringify(start)}`);
    if (weights == null) throw new TypeError('lowformer: LowFormer.load needs options.weights (URL, File, Blob or ArrayBuffer)');
    if (!Number.isInteger(workers) || workers < 1) throw new TypeError(`lowformer: workers must be a whole number ≥ 1, not ${JSON.stringify(workers)}`);
    if (workers > 1 && backend !== 'cpu') throw new TypeError(`lowformer: workers: ${workers} needs backend: 'cpu' (on the GPU one device serves a batch)`);
    const opts = {
      weights, onProgress, backend, kernels, variant, cache, warmup, start, simd: simd == null ? undefined : Boolean(simd),
      dumpWGSL: wgslDumper(options.debug),
      ...wasmURLs(options),
      ...tuneOpts,
    };
    const t0 = performance.now();
    const m = await LowFormer.#open(opts, options, workers, worker, t0);
    m.#followPhase(progressReporter(onProgress));
    return m;
  }

  static async #open(opts, options, workers, worker, t0) {
    const workerURL = options.workerURL ? new URL(options.workerURL, HERE).href : null;
    if (workers > 1) {
      const { pool, info, timings } = await Pool.load(opts, workerURL, workers);
      return new LowFormer(pool, { ...info, worker: true, workers }, { ...timings, total: performance.now() - t0 });
    }
    if (worker) {
      const { remote, info, timings } = await Remote.load(opts, workerURL);
      return new LowFormer(remote, { ...info, worker: true, workers: 1 }, { ...timings, total: performance.now() - t0 });
    }
    const { local, info, timings } = await Local.load(opts);
    return new LowFormer(local, { ...info, worker: false, workers: 0 }, { ...timings, total: performance.now() - t0 });
  }

  /** Deletes every cached weights file (see clearCache). */
  static clearCache() {
    return clearCache();
  }

  /** Deletes every stored tuning table of this origin (IndexedDB, or its fallbacks). */
  static clearTuning() {
    return clearTuning();
  }

  /**
   * The tuning table this model collected (once a background run has finished), else the one
   * its plans use, else null: a JSON-ready object to ship and pass as LowFormer.load's tuning.
   * @returns {Promise<object|null>}
   */
  async tuningTable() {
    this.#check();
    const text = await this.#impl.tuningTable();
    return text == null ? null : JSON.parse(text);
  }

  /**
   * Resolves when the background tuning run (tune: 'background', started after the first
   * result) has ended, to its summary {keys, measured, total, thisRun, elapsedMs, complete,
   * resumed, cancelled, where, changed, notes} or {error}; to null at once without one: tune
   * 'off' or 'cached', the CPU backend, or no result yet (the run starts after the first one:
   * call whenTuned after it).
   * @returns {Promise<object|null>}
   */
  whenTuned() {
    this.#check();
    return this.#impl.whenTuned();
  }

  #check() {
    if (this.#disposed) throw new Error('lowformer: the model has been disposed');
  }

  /**
   * Runs the network on a normalized NCHW batch.
   * @param {Float32Array} input n×3×h×w values, normalized with the ImageNet mean/std
   * @param {number[]} shape [n, 3, h, w]
   * @returns {Promise<Float32Array>} n×classes logits, row-major
   */
  async logits(input, shape) {
    this.#check();
    if (!(input instanceof Float32Array)) throw new TypeError('lowformer: logits input must be a Float32Array');
    if (!Array.isArray(shape)) throw new TypeError('lowformer: logits shape must be an array [n, 3, h, w]');
    return this.#impl.logits(input, shape);
  }

  /**
   * Classifies one image, or an array of images as one batch (one forward pass; the result is
   * then an array, in the order of the images).
   * @param {ImageSource|ImageSource[]} source an HTMLImageElement, HTMLVideoElement,
   *   HTMLCanvasElement, ImageBitmap, OffscreenCanvas, VideoFrame, ImageData or Blob, or an array
   *   of them
   * @param {{topK?: number, size?: number, decoder?: 'go'|'browser', scoreThreshold?: number,
   *   categoryAllowlist?: string[], categoryDenylist?: string[],
   *   regionOfInterest?: {left: number, top: number, right: number, bottom: number}}} [options]
   *   scoreThreshold: drop classes of a lower probability; categoryAllowlist / categoryDenylist
   *   (one or the other): keep only / drop these labels (names of info.labels);
   *   regionOfInterest: classify only this part of the image, in coordinates normalized to 0..1
   *   (as MediaPipe's), cropped before the preprocessing
   * @returns {Promise<ClassifyResult|ClassifyResult[]>} ClassifyResult:
   *   {predictions: {index: number, label: string, probability: number}[],
   *   timings: {pixels?: number, decode?: number, preprocess: number, inference: number, postprocess: number, total: number},
   *   width: number, height: number, decoder: 'go'|'browser'|'pixels'}
   */
  async classify(source, options = {}) {
    this.#check();
    if (options.preprocess != null && options.preprocess !== 'cpu') return this.#gpuFrame(source, options, {});
    const t0 = performance.now();
    const opts = classifyOptions(options);
    if (Array.isArray(source)) return this.#classifyMany(source, opts, t0);
    let r;
    if (typeof Blob !== 'undefined' && source instanceof Blob) {
      r = await this.#impl.classifyBlob(source, opts);
    } else {
      const px = await toPixels(source);
      const t1 = performance.now();
      r = await this.#impl.classifyPixels(px, opts);
      r.timings.pixels = t1 - t0;
      Object.assign(r, { width: px.width, height: px.height, decoder: 'pixels' });
    }
    r.timings.total = performance.now() - t0;
    return r;
  }

  async #classifyMany(sources, opts, t0) {
    if (sources.length === 0) throw new TypeError('lowformer: classify was given an empty array of images');
    const images = await Promise.all(sources.map((s) => (isBlob(s) ? s : toPixels(s))));
    const t1 = performance.now();
    const rs = await this.#impl.classifyMany(images, opts);
    const total = performance.now() - t0;
    return rs.map((r, i) => {
      if (!isBlob(sources[i])) Object.assign(r, { width: images[i].width, height: images[i].height });
      r.timings = { ...r.timings, pixels: t1 - t0, total };
      return r;
    });
  }

  // -------------------------------------------------------------------------
  // Embeddings and multi-scale features.

  /**
   * The embedding of one image: the info.embeddingSize-long vector the classifier's last linear
   * layer reads (1600 for B0, B1, B3, E2, E3; 2560 for B1.5 and E1), preprocessed as classify
   * does. Compare two with cosineSimilarity.
   * @param {HTMLImageElement|HTMLVideoElement|HTMLCanvasElement|ImageBitmap|OffscreenCanvas|VideoFrame|ImageData|Blob} source
   * @param {{normalize?: boolean, size?: number, decoder?: 'go'|'browser'}} [options] normalize: L2-normalize
   * @returns {Promise<{embedding: Float32Array, timings: object, width: number, height: number, decoder: string}>}
   */
  async embed(source, options = {}) {
    this.#check();
    if (options.preprocess != null && options.preprocess !== 'cpu') {
      return this.#gpuFrame(source, options, { embed: true, normalize: Boolean(options.normalize) });
    }
    return this.#runImage(source, { size: options.size ?? 0, normalize: Boolean(options.normalize) }, options.decoder);
  }

  /**
   * The outputs of backbone stages (0: the stem at stride 2; 1-4: strides 4, 8, 16, 32, with
   * info.stageChannels[s] channels), each NCHW: for detection and segmentation heads.
   * source is an image (preprocessed as classify does) or a normalized Float32Array with
   * options.shape [n, 3, h, w].
   * @param {any} source
   * @param {{stages?: number[], size?: number, shape?: number[], decoder?: 'go'|'browser'}} [options]
   *   stages: default [1, 2, 3, 4]
   * @returns {Promise<{features: {stage: number, shape: number[], data: Float32Array}[], timings?: object}>}
   */
  async features(source, options = {}) {
    this.#check();
    const stages = options.stages ?? [1, 2, 3, 4];
    if (!Array.isArray(stages)) throw new TypeError('lowformer: features stages must be an array of stage numbers (0-4)');
    if (source instanceof Float32Array) {
      if (!Array.isArray(options.shape)) throw new TypeError('lowformer: features of a Float32Array need options.shape [n, 3, h, w]');
      return { features: await this.#impl.featuresTensor(source, options.shape, stages) };
    }
    return this.#runImage(source, { size: options.size ?? 0, stages }, options.decoder);
  }

  /**
   * Raw embeddings of a normalized NCHW batch (as logits takes).
   * @param {Float32Array} input
   * @param {number[]} shape [n, 3, h, w]
   * @returns {Promise<Float32Array>} n×info.embeddingSize values, row-major
   */
  async embeddings(input, shape) {
    this.#check();
    if (!(input instanceof Float32Array)) throw new TypeError('lowformer: embeddings input must be a Float32Array');
    if (!Array.isArray(shape)) throw new TypeError('lowformer: embeddings shape must be an array [n, 3, h, w]');
    return this.#impl.embeddings(input, shape);
  }

  // -------------------------------------------------------------------------
  // GPU preprocessing (preprocess: 'gpu').

  /**
   * The model's GPUDevice (main-thread GPU models; null on the CPU or in worker mode): a
   * GPUTexture or GPUBuffer given to classify/embed with preprocess: 'gpu' must be created on it.
   * @returns {Promise<GPUDevice|null>}
   */
  async gpuDevice() {
    this.#check();
    return this.#impl.device();
  }

  /**
   * Runs only the GPU preprocessing of source (as classify with preprocess: 'gpu' does, without
   * the network) and waits for it: for measuring its cost. readInput: also return the model
   * input it wrote (Float32Array, NHWC with a fourth zero channel: size·size·4 values).
   * timings: pixels (video, VideoFrame: VideoFrame.copyTo of the part the resize reads; canvas:
   * drawImage and getImageData of it), upload (their writeBuffer, or the copy call), passes (the
   * WGSL passes submitted and waited for), preprocess (upload + passes), total. route: how the
   * pixels reached the GPU (see GPURoute in lowformer.d.ts; classify and embed with
   * preprocess: 'gpu' report it too).
   * @returns {Promise<{timings: {pixels?: number, upload: number, passes: number, preprocess: number, total: number}, route: string, input?: Float32Array}>}
   */
  async preprocessOnly(source, options = {}) {
    this.#check();
    return this.#gpuFrame(source, { ...options, preprocess: 'gpu' }, { preprocessOnly: true, readInput: Boolean(options.readInput) });
  }

  async #gpuFrame(source, options, extra) {
    if (options.preprocess !== 'gpu') {
      throw new TypeError(`lowformer: preprocess must be 'cpu' or 'gpu', not ${JSON.stringify(options.preprocess)}`);
    }
    if (this.info.backend !== 'gpu') throw new Error("lowformer: preprocess: 'gpu' needs the GPU backend (this model runs on the CPU)");
    const t0 = performance.now();
    let [width, height] = [options.width, options.height];
    if (!isGPUResource(source)) {
      if (typeof Blob !== 'undefined' && source instanceof Blob) {
        throw new TypeError("lowformer: preprocess: 'gpu' takes decoded images (ImageBitmap, VideoFrame, video, canvas, image, ImageData, GPUTexture, GPUBuffer), not a file: encoded files use the CPU path");
      }
      if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement && !source.complete) await source.decode();
      [width, height] = sourceSize(source);
    } else if (typeof GPUTexture !== 'undefined' && source instanceof GPUTexture) {
      [width, height] = [source.width, source.height];
    } else if (!Number.isInteger(width) || !Number.isInteger(height)) {
      throw new TypeError('lowformer: a GPUBuffer input needs options.width and options.height (packed RGBA bytes)');
    }
    if (!width || !height) throw new Error(`lowformer: the image is ${width || 0}×${height || 0} pixels (empty, broken or not loaded yet)`);
    const r = await this.#impl.frame(source, width, height, {
      topK: options.topK ?? DEFAULT_TOP_K, size: options.size ?? 0, owned: options.owned, ...extra,
    });
    r.timings.total = performance.now() - t0;
    return Object.assign(r, { width, height, decoder: 'gpu' });
  }

  /**
   * Classifies a video stream frame by frame (see classifyStream).
   * @param {HTMLVideoElement|MediaStreamTrack|AsyncIterable<any>} source
   * @param {(r: object) => void} onResult
   * @param {object} [options]
   * @returns {StreamHandle}
   */
  classifyStream(source, onResult, options = {}) {
    this.#check();
    return classifyStream(this, source, onResult, options);
  }

  /** Cosine similarity of two embeddings (see cosineSimilarity). */
  static cosineSimilarity(a, b) {
    return cosineSimilarity(a, b);
  }

  async #runImage(source, opts, decoder = 'go') {
    if (decoder !== 'go' && decoder !== 'browser') {
      throw new TypeError(`lowformer: decoder must be 'go' or 'browser', not ${JSON.stringify(decoder)}`);
    }
    const t0 = performance.now();
    let r;
    if (typeof Blob !== 'undefined' && source instanceof Blob) {
      r = await this.#impl.embedBlob(source, { ...opts, decoder });
    } else {
      const px = await toPixels(source);
      const t1 = performance.now();
      r = await this.#impl.embedPixels(px, opts);
      r.timings.pixels = t1 - t0;
      Object.assign(r, { width: px.width, height: px.height, decoder: 'pixels' });
    }
    r.timings.total = performance.now() - t0;
    return r;
  }

  /** Frees the model (its GPU memory; in worker mode the worker too). Safe to call twice. */
  async dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#impl.dispose();
  }
}

function isGPUResource(src) {
  return (typeof GPUTexture !== 'undefined' && src instanceof GPUTexture) || (typeof GPUBuffer !== 'undefined' && src instanceof GPUBuffer);
}

/**
 * Cosine similarity a·b / (|a|·|b|) of two vectors of the same length (embeddings), in -1..1.
 * @param {Float32Array|number[]} a
 * @param {Float32Array|number[]} b
 * @returns {number}
 */
export function cosineSimilarity(a, b) {
  if (!a || !b || a.length !== b.length || a.length === 0) {
    throw new TypeError(`lowformer: cosineSimilarity needs two vectors of the same, non-zero length (got ${a?.length} and ${b?.length})`);
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (!(na > 0 && nb > 0) || !Number.isFinite(dot + na + nb)) {
    throw new RangeError('lowformer: cosineSimilarity of a vector that is all zeros or not finite');
  }
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
}

// ---------------------------------------------------------------------------
// Video streams.

/**
 * The handle of a running classifyStream.
 * @typedef {object} StreamHandle
 * @property {() => Promise<void>} stop stops taking frames and resolves once the inference in
 *   flight (if any) has finished; no onResult call follows
 * @property {() => object} stats {frames, dropped, errors, fps, running}: frames classified,
 *   frames skipped (stale, or over the fps cap), the achieved rate over the last second
 * @property {Promise<void>} done settles when the stream ends (stop, the end of the source) or
 *   rejects with the first error when options.onError is not given
 */

/**
 * Classifies the frames of source as they come, with at most one inference in flight: a frame
 * that arrives while the model is busy replaces the one waiting (the older is dropped and, when it
 * is a VideoFrame, closed), so results never lag behind the video.
 *
 * source is a <video> element (frames taken with requestVideoFrameCallback, or
 * requestAnimationFrame where that is missing), a video MediaStreamTrack (read with
 * MediaStreamTrackProcessor where the browser has it, else through a hidden <video>), or an async
 * iterable of frames (anything classify takes; VideoFrames are closed after use).
 *
 * onResult receives classify's result plus {frame, timestamp, latency, fps, dropped}: frame counts
 * the classified frames, timestamp is the frame's (performance.now() time it was taken), latency
 * the time from then to the result, fps the achieved rate over the last second, dropped the frames
 * skipped so far.
 *
 * @param {LowFormer} model
 * @param {HTMLVideoElement|MediaStreamTrack|AsyncIterable<any>} source
 * @param {(r: object) => void} onResult
 * @param {{fps?: number, preprocess?: 'cpu'|'gpu', topK?: number, size?: number, embed?: boolean,
 *   normalize?: boolean, onError?: (err: Error) => void}} [options] fps: at most this many
 *   inferences a second (default: as fast as the model goes); embed: embeddings instead of classes
 * @returns {StreamHandle}
 */
export function classifyStream(model, source, onResult, options = {}) {
  if (typeof onResult !== 'function') throw new TypeError('lowformer: classifyStream needs an onResult function');
  const { fps = 0, onError = null, embed = false, ...callOpts } = options;
  if (typeof fps !== 'number' || !(fps >= 0)) throw new TypeError(`lowformer: fps must be a positive number (0: no cap), not ${JSON.stringify(fps)}`);
  const minGap = fps > 0 ? 1000 / fps : 0;
  const run = embed ? (f, o) => model.embed(f, o) : (f, o) => model.classify(f, o);
  const st = { frames: 0, dropped: 0, errors: 0, running: true, recent: [] };
  let busy = null; // the inference in flight
  let lastStart = -Infinity;
  let resolveDone;
  let rejectDone;
  const done = new Promise((res, rej) => { resolveDone = res; rejectDone = rej; });
  done.catch(() => {}); // unhandled only if the caller ignores it
  const cleanups = [];

  const fail = (err) => {
    st.errors++;
    if (onError) {
      try { onError(err); } catch (e) { console.error('lowformer: onError threw', e); }
      return;
    }
    finish(err);
  };
  const finish = (err) => {
    if (!st.running) return;
    st.running = false;
    for (const c of cleanups.splice(0)) c();
    const settle = () => (err ? rejectDone(err) : resolveDone());
    if (busy) busy.then(settle, settle); else settle();
  };
  const rate = (now) => {
    st.recent.push(now);
    while (st.recent.length && st.recent[0] < now - 1000) st.recent.shift();
    return st.recent.length > 1 ? ((st.recent.length - 1) * 1000) / (now - st.recent[0]) : 0;
  };
  // Runs one frame; owned frames (VideoFrames we took) are closed afterwards.
  const infer = (frame, timestamp, owned) => {
    lastStart = performance.now();
    busy = (async () => {
      try {
        const r = await run(frame, { ...callOpts, owned });
        if (!st.running) return;
        const now = performance.now();
        st.frames++;
        Object.assign(r, { frame: st.frames, timestamp, latency: now - timestamp, fps: rate(now), dropped: st.dropped });
        try { onResult(r); } catch (e) { console.error('lowformer: onResult threw', e); }
      } catch (err) {
        if (st.running) fail(err);
      } finally {
        if (owned && typeof frame.close === 'function') frame.close(); // a no-op once transferred
        busy = null;
      }
    })();
    return busy;
  };
  // Whether a frame arriving now may start an inference.
  const ready = () => st.running && !busy && performance.now() - lastStart >= minGap;
  // Settles when the inference in flight (if any) has delivered its result.
  const drain = () => busy || Promise.resolve();
  // Milliseconds until the fps cap lets the next inference start.
  const gap = () => Math.max(0, minGap - (performance.now() - lastStart));

  const isVideo = typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement;
  const isTrack = typeof MediaStreamTrack !== 'undefined' && source instanceof MediaStreamTrack;
  if (isVideo) {
    streamVideo(source, st, ready, infer, cleanups, finish);
  } else if (isTrack) {
    if (source.kind !== 'video') throw new TypeError('lowformer: classifyStream needs a video track');
    if (typeof MediaStreamTrackProcessor === 'function') {
      pump(new MediaStreamTrackProcessor({ track: source }).readable, st, ready, gap, infer, drain, cleanups, finish, fail);
    } else {
      const v = document.createElement('video');
      Object.assign(v, { muted: true, playsInline: true, srcObject: new MediaStream([source]) });
      v.play().catch(fail);
      cleanups.push(() => { v.pause(); v.srcObject = null; });
      streamVideo(v, st, ready, infer, cleanups, finish);
    }
  } else if (source && typeof source[Symbol.asyncIterator] === 'function') {
    pump(source, st, ready, gap, infer, drain, cleanups, finish, fail);
  } else {
    throw new TypeError('lowformer: classifyStream takes a <video>, a video MediaStreamTrack or an async iterable of frames');
  }
  return {
    stop: async () => { finish(null); await done.catch(() => {}); },
    stats: () => ({ frames: st.frames, dropped: st.dropped, errors: st.errors, running: st.running,
      fps: st.recent.length > 1 ? ((st.recent.length - 1) * 1000) / (performance.now() - st.recent[0]) : 0 }),
    done,
  };
}

/** Takes the frames of a <video> as they are presented. */
function streamVideo(video, st, ready, infer, cleanups, finish) {
  const rvfc = typeof video.requestVideoFrameCallback === 'function';
  let id = 0;
  const onFrame = () => {
    if (!st.running) return;
    id = rvfc ? video.requestVideoFrameCallback(onFrame) : requestAnimationFrame(onFrame);
    if (video.readyState < 2 || !video.videoWidth) return;
    if (ready()) infer(video, performance.now(), false);
    else st.dropped++;
  };
  id = rvfc ? video.requestVideoFrameCallback(onFrame) : requestAnimationFrame(onFrame);
  const ended = () => finish(null);
  video.addEventListener('ended', ended);
  cleanups.push(() => {
    if (rvfc) video.cancelVideoFrameCallback(id); else cancelAnimationFrame(id);
    video.removeEventListener('ended', ended);
  });
}

/**
 * Reads frames from an async iterable (or a ReadableStream of VideoFrames) as fast as they come,
 * keeping only the newest while the model is busy.
 */
function pump(source, st, ready, gap, infer, drain, cleanups, finish, fail) {
  let waiting = null; // the newest frame not yet run: {frame, t}
  const close = (f) => { if (f && typeof f.close === 'function') f.close(); };
  const it = source[Symbol.asyncIterator] ? source[Symbol.asyncIterator]() : source.getReader();
  const next = () => (it.next ? it.next() : it.read());
  cleanups.push(() => {
    close(waiting?.frame);
    waiting = null;
    try { (it.return ? it.return() : it.cancel?.())?.catch?.(() => {}); } catch { /* ended */ }
  });
  const kick = () => {
    if (!waiting || !ready()) return;
    const { frame, t } = waiting;
    waiting = null;
    infer(frame, t, true).then(kick);
  };
  (async () => {
    try {
      for (;;) {
        const { value, done } = await next();
        if (done || !st.running) {
          close(value);
          break;
        }
        if (waiting) {
          close(waiting.frame);
          st.dropped++;
        }
        waiting = { frame: value, t: performance.now() };
        kick();
        // over the fps cap with nothing in flight: try again when the gap has passed
        if (waiting) setTimeout(kick, gap() + 1);
      }
      // the source ended: run the last waiting frame, then finish
      while (st.running && waiting) {
        await new Promise((r) => setTimeout(r, gap() + 5));
        kick();
      }
      await drain();
      finish(null);
    } catch (err) {
      if (st.running) fail(err);
      finish(null);
    }
  })();
}

/** @internal used by lowformer-worker.js */
export const _internal = { Local, toPixels, files };

export default LowFormer;
