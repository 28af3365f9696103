// The browser app of package.test.mjs, as a user would write it: it imports
// the installed package by name and is bundled by esbuild or Vite. It runs by
// itself (a strict CSP forbids inline scripts and test-injected code is not
// the point): the query says how, the outcome lands in window.outcome.
//   ?backend=auto|gpu|cpu  &worker=1 (the package's worker mode)
//   &in=worker (load and classify inside this app's own module Worker, user-worker.js)
//   &in=sw (inside the module service worker sw.js)
import { LowFormer, hasWasmSIMD } from 'lowformer-webgpu';

const q = new URLSearchParams(location.search);
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));

/** Loads the model, classifies the sample image, disposes: what the test checks. */
async function here() {
  const model = await LowFormer.load({
    weights: new URL('model.safetensors', location.href).href,
    backend: q.get('backend') || 'auto',
    worker: q.get('worker') === '1',
    cache: false,
  });
  try {
    const image = await (await fetch('sample.png')).blob();
    const r = await model.classify(image, { topK: 3 });
    // The same pixels as a BMP: decoded by lowformer-decoders.wasm, which the bundle must hold too.
    const b = await model.classify(await (await fetch('sample.bmp')).blob(), { topK: 3 });
    return { info: { ...model.info, labels: model.info.labels.length }, predictions: r.predictions, decoder: r.decoder, bmp: { predictions: b.predictions, decoder: b.decoder } };
  } finally {
    await model.dispose();
  }
}

/** The same inside the app's module Worker user-worker.js: it answers one message. */
function inWorker() {
  const w = new Worker(new URL('./user-worker.js', import.meta.url), { type: 'module' });
  return new Promise((ok, fail) => {
    w.onmessage = ({ data }) => (data.error ? fail(new Error(data.error)) : ok(data));
    w.onerror = (e) => fail(new Error(`user-worker.js failed: ${e.message}`));
    w.postMessage({ weights: new URL('model.safetensors', location.href).href, image: new URL('sample.png', location.href).href, backend: q.get('backend') || 'auto' });
  }).finally(() => w.terminate());
}

/** The same in the module service worker sw.js: it answers one message. */
async function inServiceWorker() {
  const reg = await navigator.serviceWorker.register('sw.js', { type: 'module', scope: './' });
  const sw = reg.installing || reg.waiting || reg.active;
  await new Promise((ok) => {
    if (sw.state === 'activated') ok();
    sw.addEventListener('statechange', () => sw.state === 'activated' && ok());
  });
  return new Promise((ok, fail) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = ({ data }) => (data.error ? fail(new Error(data.error)) : ok(data));
    sw.postMessage({ weights: 'model.safetensors', image: 'sample.png', backend: q.get('backend') || 'auto' }, [ch.port2]);
  });
}

(async () => {
  try {
    const where = { sw: inServiceWorker, worker: inWorker }[q.get('in')] || here;
    const r = await where();
    window.outcome = { ok: true, simd: hasWasmSIMD(), ...r, violations };
  } catch (err) {
    window.outcome = { ok: false, message: String(err && err.message), violations };
  }
})();
