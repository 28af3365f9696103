// The npm package lowformer-webgpu as a user gets it: web/dist packed with
// npm pack, installed from the tarball into a scratch project in a temp
// folder (offline: the package has no dependencies), then
//   - its contents (exactly the package's files) and no eval, new Function or
//     import() in its JavaScript;
//   - its types: tsc --noEmit --strict over test/package/example.ts, which
//     uses every public name (bundler and nodenext resolution; a wrong
//     option must fail), and the runtime objects have exactly the declared
//     fields (the example runs in Node);
//   - Node: test/package/classify.mjs classifies a Fashion-MNIST PNG with
//     weights from a path, a file: URL, a Buffer and an http URL, as PyTorch
//     does; what Node lacks (WebGPU, Workers) is refused clearly;
//   - Chromium: test/package/main.js bundled with esbuild, Vite, webpack 5
//     and Rollup,
//     served with a strict CSP (script-src 'self' 'wasm-unsafe-eval'),
//     classifies on the main thread, in the package's module Worker (worker:
//     true), inside the app's own module Worker and (esbuild) in a module
//     service worker; without 'wasm-unsafe-eval' the load fails,
//     which shows that the policy is in force.
// The scratch project is deleted afterwards; nothing is written in the
// checkout.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as h from './harness.mjs';
import { chromiumPath, serveStatic } from './chromium.mjs';
import { grayBMP, grayPNG } from './package/png.mjs';

const srcDir = join(h.webDir, 'test', 'package');
const tool = (name) => join(h.webDir, 'node_modules', '.bin', name);
const files = {
  model: join(h.pretrainedDir, 'fashion_mnist.safetensors'),
  samples: join(h.pretrainedDir, 'fashion_mnist_samples.bin'), // uint8 [n, 28, 28]
  torchPreds: join(h.pretrainedDir, 'testdata', 'torch_preds.bin'), // uint8 PyTorch argmax per test image
};
const SAMPLE = 0; // the Fashion-MNIST test image classified everywhere (PyTorch: 91 % ankle boot)
const SIDE = 28;

/** The files of the package, exactly (package.json "files" plus what npm always packs). */
const PACKAGE_FILES = ['LICENSE', 'LICENSE-go', 'README.md', 'package.json', 'lowformer.js', 'lowformer-tuning.js', 'lowformer.d.ts',
  'lowformer-node.js', 'lowformer-worker.js', 'wasm_exec.js', 'lowformer.wasm', 'lowformer-cpu.wasm', 'lowformer-scalar.wasm', 'lowformer-decoders.wasm'].sort();

const STRICT_CSP = "script-src 'self' 'wasm-unsafe-eval'";

/** Why these tests cannot run, or null. */
function missingPrerequisite() {
  if (!existsSync(join(h.distDir, 'package.json')) || !existsSync(join(h.distDir, 'lowformer.wasm'))) return 'web/dist is not built (run make web)';
  for (const t of ['tsc', 'esbuild', 'vite', 'webpack', 'rollup']) {
    if (!existsSync(tool(t))) return `web/node_modules/.bin/${t} is missing (npm install in web/)`;
  }
  const missing = Object.values(files).find((f) => !existsSync(f));
  if (missing) return `no ${missing}`;
  return null;
}

const why = missingPrerequisite();
if (why && h.CI) throw new Error(`package tests cannot run: ${why}`);
const noBrowser = why || (existsSync(chromiumPath) ? null : `no Chromium at ${chromiumPath}`);
if (noBrowser && h.CI) throw new Error(`package tests cannot run: ${noBrowser}`);

/** PyTorch's class of the sample and the sample as a PNG file's bytes. */
function sample() {
  const all = readFileSync(files.samples);
  const gray = all.subarray(SAMPLE * SIDE * SIDE, (SAMPLE + 1) * SIDE * SIDE);
  return { png: grayPNG(gray, SIDE, SIDE), bmp: grayBMP(gray, SIDE, SIDE), want: readFileSync(files.torchPreds)[SAMPLE] };
}

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * The scratch project, made once: {dir, tarball, pack (npm pack --json's
 * entry), png, want}. Removed when the process ends.
 */
let scratch = null;
function project() {
  if (scratch) return scratch;
  const dir = mkdtempSync(join(tmpdir(), 'lowformer-package-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const [pack] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], h.distDir));
  const tarball = join(dir, pack.filename);
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', tarball], app);
  const { png, bmp, want } = sample();
  writeFileSync(join(app, 'sample.png'), png);
  writeFileSync(join(app, 'sample.bmp'), bmp);
  copyFileSync(files.model, join(app, 'model.safetensors'));
  scratch = { dir: app, tarball, pack, png, want };
  return scratch;
}

/** The interfaces of lowformer.d.ts: name → field names. */
function declaredInterfaces(dts) {
  const out = {};
  for (const m of dts.matchAll(/^export interface (\w+)[^{]*\{\n([\s\S]*?)^\}/gm)) {
    out[m[1]] = [...m[2].matchAll(/^ {2}(\w+)\??:/gm)].map((f) => f[1]).sort();
  }
  return out;
}

describe('npm package: contents, types, Node', { skip: why || false }, () => {
  let p;
  before(() => {
    p = project();
  });

  it('packs exactly the package files, with no eval, new Function or import()', (t) => {
    const got = p.pack.files.map((f) => f.path).sort();
    assert.deepEqual(got, PACKAGE_FILES);
    t.diagnostic(`${p.pack.filename}: ${p.pack.size} bytes packed, ${p.pack.unpackedSize} unpacked`);
    const pkg = JSON.parse(readFileSync(join(p.dir, 'node_modules', 'lowformer-webgpu', 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'lowformer-webgpu');
    assert.equal(pkg.types, './lowformer.d.ts');
    assert.equal(pkg.exports['.'].node, './lowformer-node.js');
    assert.equal(pkg.exports['.'].default, './lowformer.js');
    assert.ok(pkg.engines.node, 'engines.node');
    for (const f of pkg.sideEffects) assert.ok(PACKAGE_FILES.includes(f.replace('./', '')), `sideEffects names ${f}`);
    for (const f of PACKAGE_FILES.filter((n) => n.endsWith('.js'))) {
      const js = readFileSync(join(p.dir, 'node_modules', 'lowformer-webgpu', f), 'utf8');
      assert.doesNotMatch(js, /\beval\s*\(|\bnew\s+Function\s*\(|(?<![.\w])Function\s*\(/, `${f} uses eval or new Function`);
      assert.doesNotMatch(js, /\bimport\s*\(/, `${f} uses a dynamic import()`);
    }
    // Go's wasm_exec.js, not a copy of some other release: the one of this Go.
    const goroot = run('go', ['env', 'GOROOT'], h.repoRoot).trim();
    assert.equal(readFileSync(join(p.dir, 'node_modules', 'lowformer-webgpu', 'wasm_exec.js'), 'utf8'),
      readFileSync(join(goroot, 'lib', 'wasm', 'wasm_exec.js'), 'utf8'));
  });

  it('types: tsc --strict accepts the example (bundler and nodenext resolution) and a Node program without the DOM lib, and rejects a wrong option', (t) => {
    copyFileSync(join(srcDir, 'example.ts'), join(p.dir, 'example.ts'));
    copyFileSync(join(srcDir, 'tsconfig.json'), join(p.dir, 'tsconfig.json'));
    const tsconfig = JSON.parse(readFileSync(join(srcDir, 'tsconfig.json'), 'utf8'));
    assert.equal(tsconfig.compilerOptions.strict, true);
    assert.equal(tsconfig.compilerOptions.noEmit, true);
    run(tool('tsc'), ['-p', '.'], p.dir);
    const variant = (name, options, filesList) => {
      writeFileSync(join(p.dir, name), JSON.stringify({ ...tsconfig, compilerOptions: { ...tsconfig.compilerOptions, ...options }, files: filesList }));
      return name;
    };
    run(tool('tsc'), ['-p', variant('tsconfig.node.json', { module: 'nodenext', moduleResolution: 'nodenext' }, ['example.ts'])], p.dir);
    // A Node project without the DOM library: the package's types bring it.
    copyFileSync(join(srcDir, 'nodeapp.ts'), join(p.dir, 'nodeapp.ts'));
    run(tool('tsc'), ['-p', variant('tsconfig.nodeapp.json', { module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022'] }, ['nodeapp.ts'])], p.dir);
    // The check can fail: a backend the API does not have is a type error.
    writeFileSync(join(p.dir, 'bad.ts'), readFileSync(join(srcDir, 'example.ts'), 'utf8').replace("backend: 'auto',", "backend: 'tpu',"));
    let out = '';
    try {
      run(tool('tsc'), ['-p', variant('tsconfig.bad.json', {}, ['bad.ts'])], p.dir);
    } catch (err) {
      out = String(err.stdout) + String(err.stderr);
    }
    assert.match(out, /bad\.ts.*error TS\d+:.*"tpu"/s, 'tsc accepted backend: "tpu"');
    t.diagnostic(`tsc ${run(tool('tsc'), ['--version'], p.dir).trim()}`);
  });

  it('types: the example runs in Node, and what it gets has exactly the declared fields', async () => {
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: [join(p.dir, 'example.ts')], outfile: join(p.dir, 'example.mjs'), format: 'esm', platform: 'node', logLevel: 'warning' });
    const lines = run('node', ['example.mjs', 'model.safetensors'], p.dir).trim().split('\n');
    const r = JSON.parse(lines.at(-1));
    const dts = readFileSync(join(p.dir, 'node_modules', 'lowformer-webgpu', 'lowformer.d.ts'), 'utf8');
    const types = declaredInterfaces(dts);
    assert.deepEqual(r.info.sort(), types.ModelInfo, 'model.info fields vs ModelInfo');
    assert.deepEqual(r.training.sort(), types.TrainingInfo, 'info.training fields vs TrainingInfo');
    assert.deepEqual(r.timings.sort(), types.LoadTimings, 'model.timings fields vs LoadTimings');
    assert.deepEqual(r.result.sort(), types.ClassifyResult.filter((f) => f !== 'route'), "classify result fields vs ClassifyResult (but route: preprocess: 'gpu' only)");
    assert.deepEqual(r.prediction.sort(), types.Prediction, 'prediction fields vs Prediction');
    assert.deepEqual(r.classifyTimings.sort(), types.ClassifyTimings.filter((f) => f !== 'decode' && f !== 'decodersLoad'), 'pixels source: every ClassifyTimings field but decode and decodersLoad (Blob sources)');
    assert.deepEqual(r.exports, { CACHE_NAME: 'lowformer-weights-v1', DEFAULT_TOP_K: 5, probe: 43, TUNING_DB: 'lowformer-tuning', DEFAULT_TUNE_BUDGET_MS: 60000 });
    assert.deepEqual([...new Set(r.phases)], ['read', 'init', 'ready']);
    assert.equal(r.backend, 'cpu');
    assert.equal(r.fallback, true, "backend 'auto' in Node falls back to the CPU");
    assert.equal(r.logits, 2 * r.classes);
    assert.equal(r.batch, 2, 'classify([a, b]) gives two results');
    assert.equal(r.allowed.length, 1, 'categoryAllowlist of one label keeps one class');
    assert.deepEqual(r.kernels, ['', ''], 'no kernel set, and no reason for one, on the CPU backend');
    assert.deepEqual(r.start, ['', '', ''], 'no start mode or phase on the CPU backend');
    assert.equal(r.quantization, '');
    assert.deepEqual(r.embed.slice(0, 3), [r.embed[2], r.embed[2], r.embed[2]], 'embed, embeddings and info.embeddingSize agree');
    assert.ok(r.embed[2] > 0);
    assert.deepEqual(r.embed[3].sort(), types.EmbedResult.filter((f) => f !== 'route'), "embed result fields vs EmbedResult (but route: preprocess: 'gpu' only)");
    assert.deepEqual(r.features, [2, 1, 4, 5], 'features of stages [1, 4]: NCHW shapes, five stage widths');
    assert.equal(r.cosine, 1, 'cosine of a vector with itself plus of two orthogonal ones');
    assert.equal(r.stream[0], 2, 'classifyStream classified both frames of the iterable');
    assert.deepEqual(r.stream[1].sort(), types.StreamStats, 'stats() fields vs StreamStats');
    assert.equal(r.error.isError, true);
    assert.match(r.error.message, /^lowformer: shape \[1 3 2 2\] needs 12 values/);
    assert.deepEqual(r.cleared, [false, false], 'no Cache API in Node');
    assert.deepEqual(r.tuning, ['', ["tuning applies to the WebGPU backend; this model runs on the CPU (no WebGPU here), so no tuning runs and no table is used"], null, null],
      'tune and tuning in Node: the table is checked, then a note says it is not used');
    // Every runtime export is declared, and every declared value exists.
    const mod = await import(join(p.dir, 'node_modules', 'lowformer-webgpu', 'lowformer-node.js'));
    const declared = [...dts.matchAll(/^export declare (?:const|function|class) (\w+)/gm)].map((m) => m[1]);
    assert.deepEqual(Object.keys(mod).filter((k) => k !== 'default').sort(), declared.sort());
    assert.equal(mod.default, mod.LowFormer);
  });

  it('Node: import { LowFormer } from "lowformer-webgpu" classifies an image file; weights from a path, file: URL, Buffer and http URL', { timeout: 120000 }, async () => {
    const srv = await serveStatic({ roots: { '/': p.dir } });
    let r;
    try {
      copyFileSync(join(srcDir, 'classify.mjs'), join(p.dir, 'classify.mjs'));
      const out = await new Promise((ok, fail) => {
        import('node:child_process').then(({ execFile }) => execFile('node', ['classify.mjs', 'model.safetensors', 'sample.png', `${srv.url}/model.safetensors`],
          { cwd: p.dir, encoding: 'utf8' }, (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : ok(stdout))));
      });
      r = JSON.parse(out.trim().split('\n').at(-1));
    } finally {
      await srv.close();
    }
    const sources = { path: 'file', fileURL: 'file', buffer: 'memory', http: 'network' };
    assert.deepEqual(Object.keys(r.out).sort(), Object.keys(sources).sort());
    for (const [way, o] of Object.entries(r.out)) {
      assert.equal(o.info.backend, 'cpu', way);
      assert.equal(o.info.fallback, true, way);
      assert.equal(o.info.weightsSource, sources[way], way);
      assert.equal(o.info.weightsBytes, readFileSync(files.model).length, way);
      assert.equal(o.decoder, 'go', `${way}: the PNG is decoded by Go`);
      assert.equal(o.predictions[0].index, p.want, `${way}: top-1 ${JSON.stringify(o.predictions[0])}, PyTorch says class ${p.want}`);
    }
    assert.match(r.refusals.gpu, /^lowformer: .*navigator\.gpu is missing/);
    assert.match(r.refusals.worker, /^lowformer: the worker and workers options need Web Workers/);
    assert.match(r.refusals.noFile, /^lowformer: cannot read the weights file .*model\.safetensors\.missing: ENOENT/);
  });
});

describe('npm package in Chromium: esbuild, Vite, webpack and Rollup bundles, module Worker, service worker, strict CSP', { skip: noBrowser || false }, () => {
  let p;
  let ctx;
  const servers = [];

  before(async () => {
    p = project();
    ctx = await h.launchBrowser();
  });

  after(async () => {
    await ctx?.close();
    for (const s of servers) await s.close();
  });

  /** Serves dir with csp; resolves to its URL. */
  async function serve(dir, csp) {
    const s = await serveStatic({ roots: { '/': dir }, headers: { 'Content-Security-Policy': csp } });
    servers.push(s);
    return s.url;
  }

  /** Opens url, waits for the app's window.outcome and returns it with the page's log. */
  async function outcome(url) {
    const page = await h.openPage(ctx, url, { waitReady: false });
    try {
      await page.waitForFunction(() => window.outcome, null, { timeout: 180000 });
      const r = await page.evaluate(() => window.outcome);
      return { ...r, log: page.log };
    } finally {
      await page.close();
    }
  }

  function assertClassified(r, what, { backend, worker }) {
    assert.ok(r.ok, `${what}: ${r.message}\n${r.log?.join('\n')}`);
    assert.deepEqual(r.violations, [], `${what}: CSP violations`);
    if (backend) assert.equal(r.info.backend, backend, what);
    assert.equal(r.info.worker, worker, what);
    // The WebGPU build on the GPU, the CPU build with wasm SIMD (Chromium, Node) on the CPU.
    assert.equal(r.info.wasm, r.info.backend === 'gpu' ? 'gpu' : 'simd', what);
    assert.equal(r.decoder, 'go', what);
    assert.equal(r.predictions[0].index, p.want, `${what}: top-1 ${JSON.stringify(r.predictions[0])}, PyTorch says class ${p.want}`);
    // The sample as a BMP (lowformer-decoders.wasm, found through the bundle): the PNG's pixels, so its result.
    assert.equal(r.bmp?.decoder, 'go', `${what}: BMP ${JSON.stringify(r.bmp)}`);
    assert.deepEqual(r.bmp.predictions, r.predictions, `${what}: the BMP's predictions differ from the PNG's`);
  }

  /** The app folder for a bundler: main.js, index.html, the model and the sample. */
  function appSource(name) {
    const dir = join(p.dir, name);
    mkdirSync(dir, { recursive: true });
    for (const f of ['main.js', 'sw.js', 'user-worker.js', 'index.html']) copyFileSync(join(srcDir, f), join(dir, f));
    return dir;
  }

  it('esbuild: main thread, module Worker and module service worker under a strict CSP; without wasm-unsafe-eval it fails', { timeout: 600000 }, async (t) => {
    const esbuild = await import('esbuild');
    const src = appSource('esbuild-src');
    const out = join(p.dir, 'esbuild-out');
    // As README, "Bundlers" says: the worker is an entry point of its own,
    // the .wasm files are copied next to the bundle (esbuild does not
    // follow new URL(..., import.meta.url)).
    await esbuild.build({
      absWorkingDir: p.dir,
      entryPoints: { main: join(src, 'main.js'), sw: join(src, 'sw.js'), 'user-worker': join(src, 'user-worker.js'), 'lowformer-worker': 'lowformer-webgpu/worker' },
      bundle: true, format: 'esm', outdir: out, logLevel: 'warning',
    });
    for (const f of ['lowformer.wasm', 'lowformer-cpu.wasm', 'lowformer-scalar.wasm', 'lowformer-decoders.wasm']) copyFileSync(join(p.dir, 'node_modules', 'lowformer-webgpu', f), join(out, f));
    for (const f of ['index.html', 'model.safetensors', 'sample.png', 'sample.bmp']) copyFileSync(join(f === 'index.html' ? src : p.dir, f), join(out, f));
    const url = await serve(out, STRICT_CSP);
    const main = await outcome(`${url}/index.html?backend=auto`);
    assertClassified(main, 'esbuild, main thread', { worker: false });
    t.diagnostic(`esbuild main thread: backend ${main.info.backend} (${main.info.adapter || 'no adapter'})`);
    assertClassified(await outcome(`${url}/index.html?backend=cpu&worker=1`), 'esbuild, worker: true', { backend: 'cpu', worker: true });
    assertClassified(await outcome(`${url}/index.html?backend=auto&in=worker`), "esbuild, the app's own module Worker", { worker: false });
    const sw = await outcome(`${url}/index.html?backend=auto&in=sw`);
    assertClassified(sw, 'esbuild, service worker', { worker: false });
    t.diagnostic(`esbuild service worker: backend ${sw.info.backend}`);
    // The policy is in force: without 'wasm-unsafe-eval' WebAssembly cannot compile.
    const blocked = await outcome(`${await serve(out, "script-src 'self'")}/index.html?backend=cpu`);
    assert.equal(blocked.ok, false, 'the app ran without wasm-unsafe-eval: is the CSP header sent?');
    assert.match(blocked.message, /^lowformer: cannot load .*lowformer-cpu\.wasm: .*(Content Security Policy|unsafe-eval)/i);
  });

  it('Vite: finds the wasm and the worker by itself; main thread and module Worker under a strict CSP', { timeout: 600000 }, async (t) => {
    const { build } = await import('vite');
    const root = appSource('vite-src');
    mkdirSync(join(root, 'public'));
    for (const f of ['model.safetensors', 'sample.png', 'sample.bmp']) copyFileSync(join(p.dir, f), join(root, 'public', f));
    const out = join(p.dir, 'vite-out');
    await build({ root, configFile: false, logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
    const assets = readdirSync(join(out, 'assets'));
    t.diagnostic(`vite emitted: ${assets.join(', ')}`);
    assert.ok(assets.some((f) => /^lowformer-[\w-]+\.wasm$/.test(f) && !/^lowformer-(cpu|scalar|decoders)-/.test(f)), 'Vite emitted lowformer.wasm');
    assert.ok(assets.some((f) => /^lowformer-cpu-[\w-]+\.wasm$/.test(f)), 'Vite emitted lowformer-cpu.wasm');
    assert.ok(assets.some((f) => /^lowformer-decoders-[\w-]+\.wasm$/.test(f)), 'Vite emitted lowformer-decoders.wasm');
    assert.ok(assets.some((f) => /^lowformer-scalar-[\w-]+\.wasm$/.test(f)), 'Vite emitted lowformer-scalar.wasm');
    assert.ok(assets.some((f) => /^lowformer-worker-[\w-]+\.js$/.test(f)), 'Vite emitted the worker');
    assert.ok(assets.some((f) => /^user-worker-[\w-]+\.js$/.test(f)), "Vite emitted the app's worker");
    const url = await serve(out, STRICT_CSP);
    const main = await outcome(`${url}/index.html?backend=auto`);
    assertClassified(main, 'Vite, main thread', { worker: false });
    t.diagnostic(`Vite main thread: backend ${main.info.backend}`);
    assertClassified(await outcome(`${url}/index.html?backend=cpu&worker=1`), 'Vite, worker: true', { backend: 'cpu', worker: true });
    assertClassified(await outcome(`${url}/index.html?backend=cpu&in=worker`), "Vite, the app's own module Worker", { backend: 'cpu', worker: false });
  });

  it('webpack 5: finds the wasm and both workers by itself (no configuration for them); main thread and module Workers under a strict CSP', { timeout: 600000 }, async (t) => {
    const { default: webpack } = await import('webpack');
    const src = appSource('webpack-src');
    const out = join(p.dir, 'webpack-out');
    // As README, "Bundlers" says: a production build with no rule for the
    // .wasm files or the workers (asset modules and worker chunks are built in).
    const stats = await new Promise((ok, fail) => webpack({
      mode: 'production', context: src, entry: { main: './main.js' },
      output: { path: out, filename: '[name].js', clean: true }, performance: { hints: false },
    }, (err, s) => (err ? fail(err) : s.hasErrors() ? fail(new Error(s.toString('errors-only'))) : ok(s))));
    const emitted = Object.keys(stats.compilation.assets);
    t.diagnostic(`webpack ${webpack.version} emitted: ${emitted.join(', ')}`);
    const wasm = emitted.filter((f) => f.endsWith('.wasm'));
    assert.equal(wasm.length, 4, 'webpack emitted the four .wasm files');
    for (const f of ['lowformer.wasm', 'lowformer-cpu.wasm', 'lowformer-scalar.wasm', 'lowformer-decoders.wasm']) {
      const want = readFileSync(join(p.dir, 'node_modules', 'lowformer-webgpu', f));
      assert.ok(wasm.some((w) => readFileSync(join(out, w)).equals(want)), `webpack emitted ${f} unchanged`);
    }
    assert.ok(emitted.filter((f) => f.endsWith('.js')).length >= 3, 'webpack emitted the main bundle and two worker chunks');
    for (const f of ['index.html', 'model.safetensors', 'sample.png', 'sample.bmp']) copyFileSync(join(f === 'index.html' ? src : p.dir, f), join(out, f));
    const url = await serve(out, STRICT_CSP);
    const main = await outcome(`${url}/index.html?backend=auto`);
    assertClassified(main, 'webpack, main thread', { worker: false });
    t.diagnostic(`webpack main thread: backend ${main.info.backend}`);
    assertClassified(await outcome(`${url}/index.html?backend=cpu&worker=1`), 'webpack, worker: true', { backend: 'cpu', worker: true });
    assertClassified(await outcome(`${url}/index.html?backend=cpu&in=worker`), "webpack, the app's own module Worker", { backend: 'cpu', worker: false });
  });

  it('Rollup (node-resolve, import-meta-assets): the wasm as assets, the workers as entry points; main thread and module Workers under a strict CSP', { timeout: 600000 }, async (t) => {
    const { rollup, VERSION } = await import('rollup');
    const { nodeResolve } = await import('@rollup/plugin-node-resolve');
    const { importMetaAssets } = await import('@web/rollup-plugin-import-meta-assets');
    const src = appSource('rollup-src');
    const out = join(p.dir, 'rollup-out');
    // As README, "Bundlers" says: import-meta-assets emits the .wasm files;
    // the workers (the package's and the app's) are entry points of their
    // own with fixed names, kept out of the plugin, which would copy them
    // unbundled. (rootDir: bare entry names resolve from the scratch project,
    // as they do from a user's project folder, where Rollup runs.)
    const bundle = await rollup({
      input: { main: join(src, 'main.js'), 'user-worker': join(src, 'user-worker.js'), 'lowformer-worker': 'lowformer-webgpu/worker' },
      plugins: [nodeResolve({ browser: true, rootDir: p.dir }), importMetaAssets({ transform: (b, path) => (path.endsWith('.js') ? null : b) })],
      onwarn: (w) => { throw new Error(`rollup: ${w.message}`); },
    });
    const { output } = await bundle.write({ dir: out, format: 'es', entryFileNames: '[name].js' });
    await bundle.close();
    const emitted = output.map((o) => o.fileName);
    t.diagnostic(`rollup ${VERSION} emitted: ${emitted.join(', ')}`);
    for (const f of ['lowformer.wasm', 'lowformer-cpu.wasm', 'lowformer-scalar.wasm', 'lowformer-decoders.wasm']) {
      const want = readFileSync(join(p.dir, 'node_modules', 'lowformer-webgpu', f));
      assert.ok(output.some((o) => o.type === 'asset' && o.fileName.endsWith('.wasm') && Buffer.from(o.source).equals(want)), `rollup emitted ${f} unchanged`);
    }
    for (const f of ['index.html', 'model.safetensors', 'sample.png', 'sample.bmp']) copyFileSync(join(f === 'index.html' ? src : p.dir, f), join(out, f));
    const url = await serve(out, STRICT_CSP);
    const main = await outcome(`${url}/index.html?backend=auto`);
    assertClassified(main, 'rollup, main thread', { worker: false });
    t.diagnostic(`rollup main thread: backend ${main.info.backend}`);
    assertClassified(await outcome(`${url}/index.html?backend=cpu&worker=1`), 'rollup, worker: true', { backend: 'cpu', worker: true });
    assertClassified(await outcome(`${url}/index.html?backend=cpu&in=worker`), "rollup, the app's own module Worker", { backend: 'cpu', worker: false });
  });

  it('Vite dev server (dependency pre-bundling on): main thread and module Worker', { timeout: 300000 }, async () => {
    const { createServer } = await import('vite');
    const root = join(p.dir, 'vite-src');
    assert.ok(existsSync(join(root, 'public', 'sample.png')), 'the Vite build test made the app');
    const server = await createServer({ root, configFile: false, logLevel: 'error', cacheDir: join(p.dir, 'vite-cache'),
      server: { host: '127.0.0.1', port: 0, strictPort: false } });
    await server.listen();
    try {
      const url = server.resolvedUrls.local[0].replace(/\/$/, '');
      assertClassified(await outcome(`${url}/index.html?backend=cpu`), 'vite dev, main thread', { backend: 'cpu', worker: false });
      assertClassified(await outcome(`${url}/index.html?backend=cpu&worker=1`), 'vite dev, module Worker', { backend: 'cpu', worker: true });
    } finally {
      await server.close();
    }
  });
});
