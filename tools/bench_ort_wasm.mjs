// Median time of one forward pass of an ONNX model with onnxruntime-web's
// wasm EP in Node on one thread, for the side-by-side with the Go CPU plan
// built for js/wasm (tools/bench_wasm.sh).
//
//   node tools/bench_ort_wasm.mjs <onnxruntime-web dist folder> <model.onnx> [size] [runs]
//
// Prints "ort-web-wasm median-ms <ms>" after 3 warm-up runs.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [dist, onnx, size = '224', runs = '15'] = process.argv.slice(2);
const ort = await import(pathToFileURL(path.join(dist, 'ort.wasm.min.mjs')).href);
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = dist.endsWith('/') ? dist : dist + '/';
const session = await ort.InferenceSession.create(readFileSync(onnx), { executionProviders: ['wasm'] });
const s = Number(size);
const x = new ort.Tensor('float32', new Float32Array(3 * s * s).fill(0.1), [1, 3, s, s]);
const times = [];
for (let i = 0; i < 3 + Number(runs); i++) {
  const start = performance.now();
  await session.run({ [session.inputNames[0]]: x });
  if (i >= 3) times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
console.log(`ort-web-wasm median-ms ${times[times.length >> 1].toFixed(2)}`);
