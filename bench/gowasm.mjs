// Runs Go js/wasm test binaries (go test -c) in headless Chromium, where
// the browser's CPU path runs, instead of Node: V8's wasm code, tier-up and
// timers there are the browser's. Each binary runs in its own page, all
// pages at the same time, so that A/B comparisons share the machine's load
// (run them several times and compare medians); their standard output (Go
// writes it to the console) is printed, each line prefixed with the
// binary's name. Nothing is read from disk by the binaries (there is no
// file system in a page): use it for benchmarks that need no files.
//
//	GOOS=js GOARCH=wasm GOEXPERIMENT=simd go test -c -o /tmp/k.wasm ./internal/cpukernels
//	node bench/gowasm.mjs /tmp/k.wasm -- -test.run x -test.bench Kernels/gemm -test.benchtime 20x
//	node bench/gowasm.mjs /tmp/a.wasm /tmp/b.wasm -- -test.run x -test.bench Kernels
//
// GOROOT (else `go env GOROOT`) gives lib/wasm/wasm_exec.js; CHROMIUM the
// browser (web/test/chromium.mjs); GOWASM_JS_FLAGS V8's flags
// (--no-liftoff by default: every function compiled by the optimizing
// compiler up front, as the tier-up does for the hot ones after a model's
// first runs; "" for V8's defaults).

import { execFileSync } from 'node:child_process';
import { basename, dirname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { launchChromium, serveStatic } from '../web/test/chromium.mjs';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const bins = (dash < 0 ? argv : argv.slice(0, dash)).map((b) => resolve(b));
const args = dash < 0 ? [] : argv.slice(dash + 1);
if (bins.length === 0) {
  console.error('usage: node bench/gowasm.mjs BINARY.wasm... [-- test flags]');
  process.exit(2);
}
const goroot = process.env.GOROOT || execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();

const page = (i) => `<!doctype html><meta charset="utf-8"><script src="/goroot/lib/wasm/wasm_exec.js"></script>
<script>
window.goDone = (async () => {
  const go = new Go();
  go.argv = ${JSON.stringify(['test.wasm', ...args])};
  let code = null;
  go.exit = (c) => { code = c; };
  const { instance } = await WebAssembly.instantiateStreaming(fetch('/bin${i}/${encodeURIComponent(basename(bins[i]))}'), go.importObject);
  await go.run(instance);
  return code;
})();
</script>`;

const roots = { '/goroot/': goroot };
const pages = {};
bins.forEach((b, i) => {
  roots[`/bin${i}/`] = dirname(b);
  pages[`/run${i}.html`] = page(i);
});
const server = await serveStatic({ roots, pages });
const jsFlags = process.env.GOWASM_JS_FLAGS ?? '--no-liftoff';
const ctx = await launchChromium(chromium, { args: jsFlags ? [`--js-flags=${jsFlags}`] : [] });
let failed = false;
try {
  await Promise.all(bins.map(async (b, i) => {
    const p = await ctx.newPage();
    const name = basename(b, '.wasm');
    p.on('console', (m) => {
      if (m.type() !== 'error' || !m.text().startsWith('Failed to load resource')) console.log(`${name}: ${m.text()}`);
    });
    p.on('pageerror', (e) => { failed = true; console.error(`${name}: page error: ${e.message}`); });
    await p.goto(`${server.url}/run${i}.html`);
    const code = await p.evaluate(() => window.goDone);
    if (code !== 0) {
      failed = true;
      console.error(`${name}: exit code ${code}`);
    }
  }));
} finally {
  await ctx.close();
  await server.close();
}
process.exit(failed ? 1 : 0);
