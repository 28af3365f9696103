// The package's entry point in Node (package.json "exports", condition
// "node"): lowformer.js, plus reading files. In Node, the .wasm (the CPU
// build, lowformer-cpu.wasm) is read from the package folder, and string
// weights without a scheme are paths
// (file: URLs work too; http(s) URLs are fetched; Buffers and Uint8Arrays
// are bytes). There is no WebGPU in Node: backend 'auto' runs on the CPU
// (info.fallback), 'gpu' is refused. The Cache API and the worker options
// are browser-only. On-device tuning needs WebGPU: tune and tuning are
// accepted (a tuning table is still checked), nothing is tuned or used, and
// info.tuningNotes says so.
//
//   import { LowFormer } from 'lowformer-webgpu';
//   import { openAsBlob } from 'node:fs';
//   const m = await LowFormer.load({ weights: 'fashion_mnist.safetensors', backend: 'cpu' });
//   const { predictions } = await m.classify(await openAsBlob('shirt.png'));

import { readFile } from 'node:fs/promises';
import { _internal } from './lowformer.js';

_internal.files.read = async (ref) => {
  const b = await readFile(ref);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

export * from './lowformer.js';
export { default } from './lowformer.js';
