// What a Node user writes (package.test.mjs runs it in a scratch project
// that installed the packed tarball):
//   node classify.mjs MODEL IMAGE [MODEL_URL]
// It loads the weights from a path, a file: URL, a Buffer and (given) an
// http URL, classifies the image file and prints the outcomes as JSON.
import { LowFormer } from 'lowformer-webgpu';
import { openAsBlob, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [model, image, modelURL] = process.argv.slice(2);
const ways = { path: model, fileURL: pathToFileURL(model), buffer: readFileSync(model) };
if (modelURL) ways.http = modelURL;
const out = {};
for (const [way, weights] of Object.entries(ways)) {
  const m = await LowFormer.load({ weights });
  const r = await m.classify(await openAsBlob(image), { topK: 3 });
  out[way] = { info: { ...m.info, labels: m.info.labels.length }, predictions: r.predictions, decoder: r.decoder };
  await m.dispose();
}
// What Node cannot do says so.
const refusals = {};
const cases = {
  gpu: { weights: model, backend: 'gpu' },
  worker: { weights: model, worker: true },
  noFile: { weights: model + '.missing' },
};
for (const [what, opts] of Object.entries(cases)) {
  try {
    const m = await LowFormer.load(opts);
    await m.dispose();
    refusals[what] = null;
  } catch (err) {
    refusals[what] = err.message;
  }
}
console.log(JSON.stringify({ out, refusals }));
