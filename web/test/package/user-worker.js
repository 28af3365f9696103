// An app's own module Worker that uses the package (package.test.mjs): it
// loads the model, classifies the image the page names and posts the outcome.
import { LowFormer } from 'lowformer-webgpu';

self.onmessage = async ({ data }) => {
  try {
    const model = await LowFormer.load({ weights: data.weights, backend: data.backend, cache: false });
    const image = await (await fetch(data.image)).blob();
    const r = await model.classify(image, { topK: 3 });
    const b = await model.classify(await (await fetch(data.image.replace(/\.png$/, '.bmp'))).blob(), { topK: 3 }); // lowformer-decoders.wasm
    await model.dispose();
    postMessage({ info: { ...model.info, labels: model.info.labels.length }, predictions: r.predictions, decoder: r.decoder, bmp: { predictions: b.predictions, decoder: b.decoder } });
  } catch (err) {
    postMessage({ error: String(err && err.message) });
  }
};
