// Browser on-device tuning, measured (a benchmark, not a test): in one
// headless Chromium page on LOWFORMER_WEBGPU_ADAPTER (default lavapipe),
// loads B0 with tune: 'background' and the budget, runs the first result,
// waits for the run (time, candidates measured, keys changed, with the
// default and chosen kernels), then loads B0 untuned (tune: 'off') and with
// the table (tuning: table) and times their logits interleaved, medians.
//
//   make web && node web/test/tunebench.mjs [budgetMs=60000] [runs=15] [variant=b0]
//
// Needs ../shared/testdata/lowformer/<variant>. Timings on a shared machine
// are noisy: compare the ratio of the interleaved medians, not the times.

import * as h from './harness.mjs';

const [budgetMs = 60000, runs = 15, variant = 'b0'] = process.argv.slice(2).map((a, i) => (i < 2 ? Number(a) : a));
const why = h.missingPrerequisite();
if (why) {
  console.error(`tunebench: ${why}`);
  process.exit(2);
}
const srv = await h.startServer();
const ctx = await h.launchBrowser();
try {
  const page = await h.openPage(ctx, `${srv.url}/test.html`);
  const r = await page.evaluate(async ([variant, budgetMs, runs]) => {
    await LowFormer.clearTuning();
    const weights = `/shared/${variant}/evalmodel.pt`;
    const x = await f32(`/shared/${variant}/input.bin`);
    const side = Math.sqrt(x.length / 6);
    const one = x.subarray(0, 3 * side * side);
    const shape = [1, 3, side, side];
    let events = 0;
    const m = await LowFormer.load({ weights, backend: 'gpu', cache: false, tune: 'background', tuneBudgetMs: budgetMs, onProgress: (p) => { if (p.phase === 'tune') events++; } });
    const t0 = performance.now();
    await m.logits(one, shape);
    const firstMs = performance.now() - t0;
    // The page's event loop while it tunes: gaps between 20 ms timer ticks.
    const gaps = [];
    let last = performance.now();
    const timer = setInterval(() => { const now = performance.now(); gaps.push(now - last); last = now; }, 20);
    const summary = await m.whenTuned();
    clearInterval(timer);
    gaps.sort((p, q) => p - q);
    const loop = { maxGap: gaps.at(-1), p99: gaps[Math.floor(gaps.length * 0.99)], over100: gaps.filter((g) => g > 100).length, ticks: gaps.length };
    const table = await m.tuningTable();
    await m.dispose();
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const msOf = (e, c) => e.candidates.find((m) => same(m.choice, c))?.ms;
    const name = (c) => `${c.set}${c.winograd ? ` winograd${c.winograd}` : ''} r${c.tm}x${c.tn}_wg${c.wg}${c.wm ? ` co${c.wm}x${c.wn}_kc${c.kc}${c.ks > 1 ? `_ks${c.ks}` : ''}` : ''}${c.tex ? ' tex' : ''}`;
    const changed = Object.entries(table.entries).filter(([, e]) => !same(e.chosen, e.default))
      .map(([k, e]) => ({ key: k, default: name(e.default), defaultMs: msOf(e, e.default), chosen: name(e.chosen), chosenMs: msOf(e, e.chosen) }));
    const measuredKeys = Object.values(table.entries).filter((e) => e.candidates.length > 1).length;
    // Steady state, interleaved: untuned and tuned models in the same page.
    const off = await LowFormer.load({ weights, backend: 'gpu', cache: false, tune: 'off' });
    const on = await LowFormer.load({ weights, backend: 'gpu', cache: false, tuning: table });
    for (let i = 0; i < 3; i++) { await off.logits(one, shape); await on.logits(one, shape); }
    const t = { off: [], on: [] };
    for (let i = 0; i < runs; i++) {
      for (const [k, mm] of i % 2 ? [['on', on], ['off', off]] : [['off', off], ['on', on]]) {
        const s = performance.now();
        await mm.logits(one, shape);
        t[k].push(performance.now() - s);
      }
    }
    const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
    const out = { budgetMs, firstMs, events, loop, summary, measuredKeys, changed, tunedInfo: on.info.tuning, offMs: med(t.off), onMs: med(t.on), off: t.off, on: t.on };
    await off.dispose();
    await on.dispose();
    return out;
  }, [variant, budgetMs, runs]);
  const s = r.summary;
  console.log(`tunebench ${variant}, budget ${r.budgetMs} ms, adapter ${await h.adapterInfo(page)}`);
  console.log(`first result ${r.firstMs.toFixed(0)} ms; tuning took ${s.elapsedMs.toFixed(0)} ms: ${s.thisRun} candidates measured (${s.measured}/${s.total}) over ${s.keys} keys, ${r.measuredKeys} keys with a non-default candidate measured, ${s.changed} keys changed; complete ${s.complete}`);
  for (const c of r.changed) console.log(`  changed ${c.key}: ${c.default} ${c.defaultMs?.toFixed(3)} ms → ${c.chosen} ${c.chosenMs?.toFixed(3)} ms`);
  console.log(`event loop while tuning: ${r.loop.ticks} ticks of 20 ms, gaps > 100 ms: ${r.loop.over100}, p99 ${r.loop.p99.toFixed(0)} ms, max ${r.loop.maxGap.toFixed(0)} ms`);
  console.log(`tuned model: ${r.tunedInfo}`);
  console.log(`steady state, ${runs} interleaved runs, medians: untuned ${r.offMs.toFixed(1)} ms, tuned ${r.onMs.toFixed(1)} ms, tuned/untuned ${(r.onMs / r.offMs).toFixed(3)}`);
  console.log(`  untuned ${r.off.map((v) => v.toFixed(0)).join(' ')}`);
  console.log(`  tuned   ${r.on.map((v) => v.toFixed(0)).join(' ')}`);
  const errors = page.log.filter((l) => l.startsWith('[pageerror]') || /fatal error|panic:|\[gpu-uncaptured\]/.test(l));
  if (errors.length) console.log('page errors:', errors);
} finally {
  await ctx.close();
  await srv.close();
}
