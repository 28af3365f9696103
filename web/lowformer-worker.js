// Module worker behind LowFormer.load({worker: true}): it runs the Go
// WebAssembly runtime and the WebGPU device off the main thread, one model
// per worker, and answers the messages of lowformer.js's Remote class:
//   {id, op, args}  →  {id, result} | {id, error: {message, code, name}} | {id, progress}
//   and, with debug.dumpWGSL, {wgsl: {label, source}} for each compute shader.
// Result buffers (logits) are transferred, not copied.

import { _internal } from './lowformer.js';

const { Local } = _internal;

/** @type {Local|null} */
let model = null;

const ops = {
  async load(id, args) {
    if (model) throw new Error('lowformer: this worker already holds a model');
    // dumpWGSL is a flag here: the shaders go to the page, which logs them
    // or calls the caller's function (lowformer.js, Remote).
    const dumpWGSL = args.dumpWGSL ? (label, source) => postMessage({ wgsl: { label, source } }) : null;
    const r = await Local.load({ ...args, dumpWGSL, onProgress: (progress) => postMessage({ id, progress }) });
    model = r.local;
    return [{ info: r.info, timings: r.timings }, []];
  },
  async logits(id, { input, shape }) {
    const y = await need().logits(input, shape);
    return [y, [y.buffer]];
  },
  async classifyPixels(id, { px, opts }) {
    return [await need().classifyPixels(px, opts), []];
  },
  async classifyBlob(id, { blob, opts }) {
    return [await need().classifyBlob(blob, opts), []];
  },
  async classifyMany(id, { images, opts }) {
    return [await need().classifyMany(images, opts), []];
  },
  async embedPixels(id, { px, opts }) {
    return transferResult(await need().embedPixels(px, opts));
  },
  async embedBlob(id, { blob, opts }) {
    return transferResult(await need().embedBlob(blob, opts));
  },
  async embeddings(id, { input, shape }) {
    const y = await need().embeddings(input, shape);
    return [y, [y.buffer]];
  },
  async featuresTensor(id, { input, shape, stages }) {
    const fs = await need().featuresTensor(input, shape, stages);
    return [fs, fs.map((f) => f.data.buffer)];
  },
  async frame(id, { source, width, height, opts }) {
    try {
      return transferResult(await need().frame(source, width, height, opts));
    } finally {
      source.close(); // the page transferred it to us
    }
  },
  async tuningTable() {
    return [await need().tuningTable(), []];
  },
  async whenTuned() {
    return [await need().whenTuned(), []];
  },
  async waitSpecialized() {
    return [await need().waitSpecialized(), []];
  },
  async dispose() {
    const m = need();
    model = null;
    return [await m.dispose(), []];
  },
};

/** The result of embed or features with its Float32Arrays' buffers to transfer. */
function transferResult(r) {
  const bufs = [];
  if (r.embedding) bufs.push(r.embedding.buffer);
  if (r.input) bufs.push(r.input.buffer);
  for (const f of r.features || []) bufs.push(f.data.buffer);
  return [r, bufs];
}

function need() {
  if (!model) throw new Error('lowformer: no model is loaded in this worker');
  return model;
}

self.onmessage = async ({ data }) => {
  const { id, op, args } = data;
  try {
    if (!Object.hasOwn(ops, op)) throw new Error(`lowformer: unknown worker operation ${op}`);
    const [result, transfer] = await ops[op](id, args);
    postMessage({ id, result }, transfer);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    postMessage({ id, error: { message: e.message, code: e.code, name: e.name } });
  }
};
