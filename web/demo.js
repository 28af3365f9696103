// The demo page: load weights (file, URL or a server preset), pick an image
// (file, drop, sample or camera), show the top classes and the timings.

// The package's module, imported by name as a user would: index.html's
// import map points lowformer-webgpu at ./lowformer.js, the package folder
// (web/dist) this page is served from; with a bundler the name resolves to
// node_modules/lowformer-webgpu.
import { LowFormer } from 'lowformer-webgpu';

/** How many of a live session's latest frame times the steady-state median covers. */
const LIVE_RUNS = 300;
const $ = (id) => document.getElementById(id);

const state = {
  model: null,
  loading: false,
  image: null, // the current source: Blob | HTMLVideoElement
  imageDomain: '', // what the current image is: 'fashion-mnist' (a 28×28 clothing sample) or 'photo'
  runs: [], // total ms of each classification with the current model
  stream: null,
  live: false,
  liveHandle: null, // the classifyStream of live mode
};

// ---------------------------------------------------------------------------
// Messages.

let sticky = null; // a notice that stays until something more urgent replaces it

function showBanner(title, text, kind = 'error') {
  $('banner-title').textContent = title;
  $('banner-text').textContent = text;
  $('banner').className = `banner ${kind === 'warn' ? 'warn' : ''}`;
  $('banner').hidden = false;
}

function hideBanner() {
  $('banner').hidden = true;
  if (sticky) {
    const [title, text, kind] = sticky;
    showBanner(title, text, kind);
  }
}

function fmtMs(ms) {
  if (ms == null || Number.isNaN(ms)) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

function fmtBytes(n) {
  if (!n) return '0 B';
  const u = ['B', 'KB', 'MB', 'GB'];
  const i = Math.min(u.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  return `${(n / 1024 ** i).toFixed(i ? 1 : 0)} ${u[i]}`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
}

// ---------------------------------------------------------------------------
// WebGPU status.

async function checkWebGPU() {
  const chip = $('gpu-chip');
  if (!navigator.gpu) {
    chip.textContent = 'No WebGPU — CPU fallback';
    chip.className = 'chip warn';
    sticky = ['WebGPU is not available in this browser.',
      'Models run on the CPU in WebAssembly (seconds per image for the ImageNet variants). Use a recent Chrome or Edge, ' +
      'or Firefox/Safari with WebGPU enabled, for GPU speed.', 'warn'];
    hideBanner();
    return;
  }
  try {
    let a = await navigator.gpu.requestAdapter();
    if (!a || a.info?.isFallbackAdapter) a = (await navigator.gpu.requestAdapter({ featureLevel: 'compatibility' })) || a;
    if (!a) throw new Error('no adapter');
    const i = a.info || {};
    chip.textContent = `WebGPU: ${shortAdapter(i.description || [i.vendor, i.architecture].filter(Boolean).join(' '))}`;
    chip.title = `${i.description || [i.vendor, i.architecture, i.device].filter(Boolean).join(' ')} ${a.info?.isFallbackAdapter ? '(software fallback)' : ''}`.trim();
    chip.className = 'chip ok';
  } catch {
    chip.textContent = 'WebGPU: no adapter — CPU fallback';
    chip.className = 'chip warn';
    sticky = ['WebGPU has no usable adapter here.',
      'The GPU may be blocklisted or disabled. Models run on the CPU in WebAssembly (slow).', 'warn'];
    hideBanner();
  }
}

// ---------------------------------------------------------------------------
// Loading weights.

const PHASES = {
  download: 'Downloading weights', cache: 'Reading weights from the cache', read: 'Reading the file',
  init: 'Preparing the model (parse, fold, upload to the GPU)',
  compile: 'Compiling the GPU shaders (once per browser; seconds on a CPU WebGPU adapter)', ready: 'Ready',
};

function onProgress({ phase, loaded, total }) {
  // A progressive start's background phases (the specialized pipelines replacing the generic
  // ones, partly after load) are not load progress: the model works through them.
  if (phase === 'specializing' || phase === 'specialized') return;
  $('progress').hidden = false;
  $('progress-phase').textContent = PHASES[phase] || phase;
  const bar = $('progress-bar');
  const counted = phase !== 'init' && phase !== 'compile' && phase !== 'ready'; // byte counts
  const indeterminate = !counted || !total;
  bar.parentElement.classList.toggle('indeterminate', indeterminate && phase !== 'ready');
  bar.style.width = phase === 'ready' ? '100%' : indeterminate ? '' : `${(100 * loaded) / total}%`;
  $('progress-num').textContent = !counted ? '' : total ? `${fmtBytes(loaded)} / ${fmtBytes(total)}` : fmtBytes(loaded);
}

async function loadWeights(weights, name) {
  if (state.loading) return;
  state.loading = true;
  hideBanner();
  setLive(false);
  onProgress({ phase: 'read', loaded: 0, total: 0 });
  $('progress-phase').textContent = `Loading ${name}…`;
  try {
    const m = await LowFormer.load({
      weights, onProgress, backend: $('backend').value, worker: $('use-worker').checked,
    });
    // The previous model stays usable until the new one is ready.
    const old = state.model;
    state.model = m;
    if (old) old.dispose().catch(() => {});
    state.runs = [];
    resetStats();
    showInfo(m, name);
    $('stat-load').textContent = fmtMs(m.timings.total);
    $('stat-adapter').textContent = m.info.backend === 'gpu' ? shortAdapter(m.info.adapter) : cpuLabel(m);
    $('stat-adapter').title = m.info.adapter || `pure-Go CPU path, ${wasmBuild(m)}`;
    $('bench-btn').disabled = false;
    if (!sticky) for (const w of m.info.warnings || []) showBanner('Note:', w, 'warn');
    setPlaceholder('Pick an image to see the top classes.');
    const first = state.image ? await classify() : null;
    if (first && (m.info.backend === 'gpu' || first.timings.total < 1000)) await classify({ quiet: true }); // a warm run for the steady state
  } catch (err) {
    $('progress').hidden = true;
    showBanner(`Could not load ${name}.`, explain(err));
    setPlaceholder(state.model ? 'Pick an image to see the top classes.' : 'Load weights to see the top classes.');
  } finally {
    state.loading = false;
  }
}

/** Sets the predictions card's placeholder text, while it shows no predictions. */
function setPlaceholder(text) {
  const li = document.querySelector('#predictions .placeholder');
  if (li) li.textContent = text;
}

/** Where a CPU model runs: "CPU" when chosen, "CPU — no WebGPU in this browser" when it fell back. */
function cpuLabel(m) {
  if (m.info.backend !== 'cpu') return '';
  return m.info.fallback ? 'CPU — no WebGPU in this browser' : 'CPU';
}

/** The WebAssembly build in use, in words. */
function wasmBuild(m) {
  return m.info.wasm === 'scalar' ? 'WebAssembly without SIMD' : 'WebAssembly SIMD';
}

/**
 * A short device name, "llvmpipe" or "NVIDIA GeForce RTX 4090", from an adapter string such as
 * Chromium's ANGLE description or "llvmpipe (LLVM 15.0.6, 256 bits) (webgpu, cpu)": the details
 * in parentheses go, and a long name is cut at 32 characters (the page puts the full string in a
 * title attribute).
 */
function shortAdapter(s) {
  let name = (s || 'WebGPU').replace(/\s*\(webgpu[^)]*\)$/, '');
  const angle = name.match(/^ANGLE \([^,]+, (.+?)(?:, [^,()]*)?\)$/);
  if (angle) name = angle[1].replace(/^(Vulkan|OpenGL( ES)?|Direct3D\d*|D3D\d+|Metal)[^(]*\((.*)\)$/, '$3');
  name = name.replace(/\s*\(0x[0-9a-f]+\)\s*$/i, '').trim();
  const bare = name.replace(/\s*\([^()]*\)/g, '').trim();
  if (bare) name = bare;
  return (name.length > 32 ? `${name.slice(0, 31)}…` : name) || 'WebGPU';
}

function explain(err) {
  const msg = String(err?.message || err).replace(/^lowformer: /, '');
  if (/not a (PyTorch|pytorch)|safetensors|zip|pickle|magic/i.test(msg)) {
    return `${msg}. Expected a LowFormer checkpoint: the official evalmodel.pt or a .safetensors file.`;
  }
  return msg;
}

function showInfo(m, name) {
  const i = m.info;
  const rows = [
    ['File', `${name} (${fmtBytes(i.weightsBytes)}${i.weightsSource === 'cache' ? ', from cache' : ''})`],
    ['Variant', `LowFormer-${i.variant} · ${(i.params / 1e6).toFixed(2)} M parameters · ${i.classes} classes`],
    ['Format', `${i.format} · ${i.dtype} · input ${i.inputSize}×${i.inputSize}`],
    ['Training', i.training?.summary || '—'],
    ['Runs on', i.backend === 'gpu' ? `WebGPU — ${shortAdapter(i.adapter)}` : `${cpuLabel(m)} (pure Go, ${wasmBuild(m)})`,
      i.backend === 'gpu' ? i.adapter : ''],
    ['Thread', i.workers > 1 ? `${i.workers} Workers` : i.worker ? 'dedicated Worker' : 'main thread'],
    ['Load time', `${fmtMs(m.timings.total)} (weights ${fmtMs(m.timings.weights)}, model ${fmtMs(m.timings.init)}` +
      `${m.timings.warmup ? `, shaders ${fmtMs(m.timings.warmup)}` : ''})`],
  ];
  const dl = $('model-info');
  dl.replaceChildren(...rows.flatMap(([k, v, title]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    if (title) dd.title = title; // the full string where the text is shortened
    return [dt, dd];
  }));
  dl.hidden = false;
  $('progress').hidden = true;
  const note = $('weights-note');
  note.textContent = i.note ? `${i.note[0].toUpperCase()}${i.note.slice(1)} (the checkpoint records no training).` : '';
  note.hidden = !i.note;
  showSamplesFor(m);
  updateDomainHint();
}

// ---------------------------------------------------------------------------
// Samples that fit the model.

const FASHION_MNIST = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The kind of image a model was trained on: 'fashion-mnist', 'photo' (1000 ImageNet classes) or '' (unknown). */
function modelDomain(info) {
  if (!info) return '';
  if (/fashion/i.test(info.training?.dataset || '') ||
    (info.labels?.length === FASHION_MNIST.length && info.labels.every((l, k) => l === FASHION_MNIST[k]))) return 'fashion-mnist';
  return info.classes === 1000 ? 'photo' : '';
}

/** Offers the samples of the model's domain (all of them when none fits or the domain is unknown). */
function showSamplesFor(m) {
  const want = modelDomain(m?.info);
  const buttons = [...document.querySelectorAll('#samples button')];
  const fits = want && buttons.some((b) => b.dataset.domain === want);
  for (const b of buttons) b.hidden = Boolean(fits) && b.dataset.domain !== want;
}

/** One line when a photo meets the clothing model. */
function updateDomainHint() {
  const hint = $('domain-hint');
  const show = Boolean(state.image) && state.imageDomain === 'photo' && modelDomain(state.model?.info) === 'fashion-mnist';
  hint.textContent = show
    ? 'This model knows only 10 kinds of clothing (Fashion-MNIST, 28×28 grayscale): a photo gets one of them anyway.'
    : '';
  hint.hidden = !show;
}

// ---------------------------------------------------------------------------
// Classifying.

let busy = false;

async function classify({ quiet = false } = {}) {
  if (!state.model || !state.image || busy) return null;
  busy = true;
  $('predictions').classList.add('busy');
  try {
    const r = await state.model.classify(state.image, { topK: Number($('topk').value) });
    state.runs.push(r.timings.total);
    if (!quiet) hideBanner();
    render(r);
    return r;
  } catch (err) {
    setLive(false);
    showBanner('Could not classify this image.', explain(err));
    return null;
  } finally {
    busy = false;
    $('predictions').classList.remove('busy');
  }
}

function render(r) {
  const ol = $('predictions');
  ol.replaceChildren(...r.predictions.map((p) => {
    const li = document.createElement('li');
    li.className = 'pred';
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = p.label;
    const idx = document.createElement('small');
    idx.textContent = `#${p.index}`;
    label.append(idx);
    label.title = `${p.label} (class ${p.index})`;
    const pct = document.createElement('span');
    pct.className = 'pct';
    pct.textContent = `${(100 * p.probability).toFixed(p.probability < 0.1 ? 2 : 1)} %`;
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('div');
    fill.style.width = `${Math.max(0.5, 100 * p.probability)}%`;
    bar.append(fill);
    li.append(label, pct, bar);
    return li;
  }));
  const [first, ...rest] = state.runs;
  $('stat-first').textContent = fmtMs(first);
  $('stat-steady').textContent = rest.length ? fmtMs(median(rest)) : '—';
  $('stat-steady').title = rest.length ? `median of ${rest.length} run(s) after the first` : 'classify again or run the benchmark';
  const t = r.timings;
  const parts = [['decode', t.decode], ['pixels', t.pixels], ['preprocess', t.preprocess], ['inference', t.inference]]
    .filter(([, v]) => v != null).map(([k, v]) => `${k} ${fmtMs(v)}`);
  $('run-detail').textContent = `Last: ${fmtMs(t.total)} — ${parts.join(' · ')} · ${r.width}×${r.height}`;
}

function resetStats() {
  for (const id of ['stat-first', 'stat-steady', 'stat-load', 'stat-adapter']) $(id).textContent = '—';
  $('run-detail').textContent = '';
}

async function benchmark() {
  if (!state.model || !state.image) {
    showBanner('Nothing to benchmark yet.', 'Load weights and pick an image first.', 'warn');
    return;
  }
  $('bench-btn').disabled = true;
  try {
    for (let i = 0; i < 5; i++) if (!(await classify({ quiet: true }))) break;
  } finally {
    $('bench-btn').disabled = false;
  }
}

function setImage(source, previewURL, truth = '', domain = 'photo') {
  state.image = source;
  state.imageDomain = domain;
  const img = $('preview');
  if (previewURL) {
    if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
    img.onload = () => {
      img.classList.toggle('pixelated', img.naturalWidth < 128 && img.naturalHeight < 128);
      // A chosen file as small as a Fashion-MNIST picture is taken for one.
      if (source instanceof File && !truth && img.naturalWidth <= 64 && img.naturalHeight <= 64) state.imageDomain = 'fashion-mnist';
      updateDomainHint();
    };
    img.src = previewURL;
    img.hidden = false;
    $('camera').hidden = true;
  }
  $('truth').textContent = truth ? `True class: ${truth}` : '';
  $('truth').hidden = !truth;
  $('image-hint').hidden = true;
  updateDomainHint();
  if (state.model) classify();
}

function setImageFile(file) {
  $('truth').hidden = true;
  if (!file.type.startsWith('image/') && !/\.(jpe?g|png|gif|webp|bmp|tiff?|avif)$/i.test(file.name)) {
    showBanner(`${file.name} is not an image.`, 'Choose a JPEG, PNG, WebP, GIF, BMP or TIFF file.');
    return;
  }
  stopCamera();
  for (const b of document.querySelectorAll('.samples button')) b.classList.remove('active');
  setImage(file, URL.createObjectURL(file));
}

// ---------------------------------------------------------------------------
// Camera.

async function startCamera() {
  if (state.stream) {
    stopCamera();
    return;
  }
  if (!navigator.mediaDevices?.getUserMedia) {
    showBanner('No camera access.', 'This browser does not offer getUserMedia (it needs https or localhost).');
    return;
  }
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch (err) {
    showBanner('The camera could not be opened.', err.message);
    return;
  }
  const v = $('camera');
  v.srcObject = state.stream;
  await v.play();
  v.hidden = false;
  $('preview').hidden = true;
  $('image-hint').hidden = true;
  $('snap-btn').hidden = false;
  $('live-wrap').hidden = false;
  $('truth').hidden = true; // the sample's true class is not the camera's
  $('camera-label').textContent = 'Stop the camera';
  state.image = v;
  state.imageDomain = 'photo';
  updateDomainHint();
}

function stopCamera() {
  setLive(false);
  if (!state.stream) return;
  for (const t of state.stream.getTracks()) t.stop();
  state.stream = null;
  $('camera').hidden = true;
  $('snap-btn').hidden = true;
  $('live-wrap').hidden = true;
  $('camera-label').textContent = 'Use the camera';
  if (state.image instanceof HTMLVideoElement) {
    state.image = null;
    $('image-hint').hidden = false;
  }
  updateDomainHint();
}

// Live mode: model.classifyStream on the camera's <video>, with the GPU preprocessing when the
// model runs on the GPU (at most one frame in flight, stale frames dropped).
function setLive(on) {
  state.live = on;
  $('live').checked = on;
  if (state.liveHandle) {
    state.liveHandle.stop();
    state.liveHandle = null;
  }
  $('live-stats').hidden = !on;
  if (!on || !state.stream || !state.model) return;
  const preprocess = state.model.info.backend === 'gpu' ? 'gpu' : 'cpu';
  $('live-stats').textContent = `starting (${preprocess} preprocessing)…`;
  state.liveHandle = state.model.classifyStream($('camera'), (r) => {
    // The first run and the latest LIVE_RUNS: a live session must not make
    // each frame's render (a copy and sort of the runs) grow without end.
    state.runs.push(r.timings.total);
    if (state.runs.length > LIVE_RUNS + 1) state.runs.splice(1, 1);
    render(r);
    const t = r.timings;
    const pre = (t.pixels ?? 0) + (t.preprocess ?? 0);
    $('live-stats').textContent = `${r.fps.toFixed(1)} fps · latency ${fmtMs(r.latency)} · ${preprocess} preprocessing ${fmtMs(pre)} · inference ${fmtMs(t.inference)} · ${r.dropped} frames dropped`;
  }, {
    preprocess,
    topK: Number($('topk').value),
    onError: (err) => {
      setLive(false);
      showBanner('Live classification stopped.', explain(err));
    },
  });
}

// ---------------------------------------------------------------------------
// Server-offered weights and sample images (make demo / web/devserver).

async function fetchList(url) {
  try {
    const r = await fetch(url);
    return r.ok ? await r.json() : [];
  } catch {
    return [];
  }
}

async function offers() {
  const [weights, samples] = await Promise.all([fetchList('weights.json'), fetchList('samples.json')]);
  if (weights.length) {
    $('preset-list').replaceChildren(...weights.map((w) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'pill';
      b.textContent = `${w.name} · ${fmtBytes(w.size)}`;
      if (w.note) {
        const tag = document.createElement('span');
        tag.className = 'tag';
        tag.textContent = ` · ${w.note}`;
        b.append(tag);
        b.title = `${w.name}: ${w.note} (synthetic weights for the tests; predictions are meaningless)`;
      }
      b.onclick = () => loadWeights(w.url, w.name);
      return b;
    }));
    $('presets').hidden = false;
  }
  const pick = async (s, b) => {
    for (const o of document.querySelectorAll('.samples button')) o.classList.toggle('active', o === b);
    stopCamera();
    const blob = await (await fetch(s.url)).blob();
    setImage(new File([blob], s.name.split('/').pop(), { type: blob.type }), s.url, s.truth, s.domain || 'photo');
  };
  if (samples.length) {
    $('samples').replaceChildren(...samples.map((s) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.title = s.name;
      const img = document.createElement('img');
      img.src = s.url;
      img.alt = s.name;
      img.loading = 'lazy';
      img.onload = () => img.classList.toggle('pixelated', img.naturalWidth < 64);
      b.append(img);
      b.title = s.truth ? `${s.name} (true class: ${s.truth})` : s.name;
      b.dataset.domain = s.domain || 'photo';
      b.onclick = () => pick(s, b);
      return b;
    }));
    $('samples').hidden = false;
    showSamplesFor(state.model);
  }
  // Start with something to see: the server's autoload model on its first sample.
  const auto = weights.find((w) => w.autoload);
  if (auto && !state.model && !state.loading && !new URLSearchParams(location.search).has('weights')) {
    if (samples.length && !state.image) await pick(samples[0], $('samples').querySelector('button'));
    await loadWeights(auto.url, auto.name);
  }
}

// ---------------------------------------------------------------------------
// Wiring.

function dropZone(el, onFile) {
  for (const ev of ['dragenter', 'dragover']) {
    el.addEventListener(ev, (e) => { e.preventDefault(); el.classList.add('over'); });
  }
  for (const ev of ['dragleave', 'drop']) el.addEventListener(ev, () => el.classList.remove('over'));
  el.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    const f = e.dataTransfer?.files?.[0];
    if (f) onFile(f);
  });
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); el.querySelector('input[type=file]').click(); }
  });
}

function isImageFile(f) {
  return f.type.startsWith('image/');
}

function init() {
  const weightsFile = (f) => (isImageFile(f) ? setImageFile(f) : loadWeights(f, f.name));
  dropZone($('weights-drop'), weightsFile);
  dropZone($('image-drop'), (f) => (isImageFile(f) ? setImageFile(f) : loadWeights(f, f.name)));
  // A file dropped anywhere else goes where its type says.
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = e.dataTransfer?.files?.[0];
    if (f) weightsFile(f);
  });
  $('weights-file').addEventListener('change', (e) => { const f = e.target.files[0]; if (f) loadWeights(f, f.name); e.target.value = ''; });
  $('image-file').addEventListener('change', (e) => { const f = e.target.files[0]; if (f) setImageFile(f); e.target.value = ''; });
  $('url-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const url = $('weights-url').value.trim();
    if (url) loadWeights(url, url.split('/').pop() || url);
  });
  $('clear-cache').addEventListener('click', async () => {
    const had = await LowFormer.clearCache();
    showBanner('Weights cache:', had ? 'cleared.' : 'was already empty.', 'warn');
  });
  $('camera-btn').addEventListener('click', startCamera);
  $('snap-btn').addEventListener('click', () => classify());
  $('live').addEventListener('change', (e) => setLive(e.target.checked));
  $('bench-btn').addEventListener('click', benchmark);
  $('topk').addEventListener('change', () => classify());
  $('banner-close').addEventListener('click', hideBanner);
  for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));
  for (const w of ['a', 'b']) {
    $(`embed-${w}-file`).addEventListener('change', (e) => { const f = e.target.files[0]; if (f) setPairImage(w, f); e.target.value = ''; });
    dropZone($(`embed-${w}-drop`), (f) => setPairImage(w, f));
  }
  checkWebGPU();
  offers();
  const q = new URLSearchParams(location.search).get('weights');
  if (q) loadWeights(q, q.split('/').pop());
}

// ---------------------------------------------------------------------------
// Tabs and the embeddings view: two images compared by the cosine similarity of their embeddings.

function showTab(name) {
  for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  for (const el of document.querySelectorAll('[data-view]')) el.hidden = el.dataset.view !== name;
  if (name !== 'classify') setLive(false);
}

const pair = { a: null, b: null };

async function setPairImage(which, file) {
  pair[which] = file;
  const img = $(`embed-${which}-img`);
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(file);
  img.hidden = false;
  $(`embed-${which}-hint`).hidden = true;
  await compareEmbeddings();
}

async function compareEmbeddings() {
  const out = $('embed-result');
  if (!state.model || !pair.a || !pair.b) {
    out.textContent = state.model ? 'Pick two images.' : 'Load a model first.';
    return null;
  }
  out.textContent = 'Computing the embeddings…';
  try {
    const t0 = performance.now();
    const [a, b] = [await state.model.embed(pair.a), await state.model.embed(pair.b)];
    const sim = LowFormer.cosineSimilarity(a.embedding, b.embedding);
    out.replaceChildren();
    const big = document.createElement('strong');
    big.className = 'cosine';
    big.textContent = sim.toFixed(3);
    const note = document.createElement('span');
    note.className = 'muted small';
    note.textContent = ` cosine similarity of the two ${a.embedding.length}-value embeddings (1: same direction, 0: unrelated) · ${fmtMs(performance.now() - t0)}`;
    out.append(big, note);
    $('embed-meter').style.width = `${Math.max(0, sim) * 100}%`;
    return sim;
  } catch (err) {
    out.textContent = '';
    showBanner('Could not compute the embeddings.', explain(err));
    return null;
  }
}

/** Resolves when the page is idle: nothing loading or classifying (for tests). */
async function idle() {
  while (state.loading || busy) await new Promise((r) => setTimeout(r, 50));
}

init();
window.demo = { state, loadWeights, classify, setImageFile, idle, setLive, showTab, setPairImage, compareEmbeddings };
