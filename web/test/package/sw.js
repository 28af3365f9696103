// The module service worker of package.test.mjs: it loads the package (bundled
// by esbuild; service workers forbid import()), classifies the image a page
// asks about and answers on the message's port.
import { LowFormer } from 'lowformer-webgpu';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('message', (e) => {
  const port = e.ports[0];
  e.waitUntil((async () => {
    try {
      const model = await LowFormer.load({ weights: e.data.weights, backend: e.data.backend, cache: false });
      const image = await (await fetch(e.data.image)).blob();
      const r = await model.classify(image, { topK: 3 });
      const b = await model.classify(await (await fetch(e.data.image.replace(/\.png$/, '.bmp'))).blob(), { topK: 3 }); // lowformer-decoders.wasm
      port.postMessage({ info: { ...model.info, labels: model.info.labels.length }, predictions: r.predictions, decoder: r.decoder, bmp: { predictions: b.predictions, decoder: b.decoder } });
      await model.dispose();
    } catch (err) {
      port.postMessage({ error: String(err && err.message) });
    }
  })());
});
