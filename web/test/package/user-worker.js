// An app's own module Worker that uses the package (package.test.mjs): it
// loads the model, classifies the image the page names and posts the outcome.
import { LowFormer } from 'lowformer-webgpu';

self.onmessage = async ({ data }) => {
  try {
    const model = await LowFormer.load({ weights: data.weights, backend: data.backend, cache: false });
    const image = await (await fetch(data.image)).blob();
    const r = await model.classify(image, { topK: 3 });
    await model.dispose();
    postMessage({ info: { ...model.info, labels: model.info.labels.length }, predictions: r.predictions, decoder: r.decoder });
  } catch (err) {
    postMessage({ error: String(err && err.message) });
  }
};
