// Results: the entries of bench/out/results.json and the Markdown table
// with the ours/theirs ratios.

/** The fields every entry of results.json has, in order. */
export const FIELDS = ['engine', 'adapter', 'model', 'batch', 'size', 'median_ms', 'min_ms', 'max_ms', 'runs', 'cold_start_ms', 'max_abs_err'];

/** Median, minimum and maximum of a non-empty list. */
export function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0], max: s[n - 1] };
}

const round = (v, d = 2) => (v == null ? null : Number(v.toFixed(d)));

/** One results.json entry. */
export function entry(engine, cfg, info, times, fin) {
  const s = stats(times);
  return {
    engine,
    adapter: fin.adapter || info.adapter,
    model: cfg.model,
    batch: cfg.batch,
    size: cfg.size,
    median_ms: round(s.median),
    min_ms: round(s.min),
    max_ms: round(s.max),
    runs: times.length,
    cold_start_ms: round(fin.coldStartMs ?? info.coldStartMs, 1),
    max_abs_err: fin.maxAbsErr == null ? null : Number(fin.maxAbsErr.toPrecision(3)),
    argmax_ok: fin.argmaxOk ?? null,
    check: fin.check,
    first_run_ms: round(fin.firstRunMs ?? info.firstRunMs, 1),
    warm_start_ms: round(info.warmStartMs, 1),
    peak_memory_mb: round(fin.memoryMB, 1),
    memory_method: fin.memoryMethod,
    generic_median_ms: round(fin.genericMedianMs ?? info.genericMedianMs),
    generic_runs: fin.genericRuns ?? info.genericRuns ?? null,
    specialized_ms: round(fin.specializedMs ?? info.specializedMs, 1),
    times_ms: times.map((t) => round(t)),
    notes: info.notes,
  };
}

// The ratios of the report: [label, ours, theirs, field, target]. The CPU
// targets of issue 15: the browser CPU path within 1.5x of onnxruntime-web's
// single-threaded wasm EP, the native CPU path at least as fast as PyTorch.
const RATIOS = [
  ['lowformer-web / ort-web-webgpu', 'lowformer-web', 'ort-web-webgpu', 'median_ms', 0.2],
  ['lowformer-web / ort-web-wasm-2t', 'lowformer-web', 'ort-web-wasm-2t', 'median_ms', 1.0],
  ['lowformer-native / ort-web-wasm-2t', 'lowformer-native', 'ort-web-wasm-2t', 'median_ms', null],
  ['lowformer-native / ort-web-webgpu', 'lowformer-native', 'ort-web-webgpu', 'median_ms', null],
  ['lowformer-web-cpu / ort-web-wasm-1t', 'lowformer-web-cpu', 'ort-web-wasm-1t', 'median_ms', 1.5],
  ['lowformer-web-cpu / ort-web-wasm-2t', 'lowformer-web-cpu', 'ort-web-wasm-2t', 'median_ms', null],
  ['lowformer-native-cpu / pytorch-cpu', 'lowformer-native-cpu', 'pytorch-cpu', 'median_ms', 1.0],
  ['lowformer-native-cpu / ort-node-cpu', 'lowformer-native-cpu', 'ort-node-cpu', 'median_ms', null],
  ['min: lowformer-web / ort-web-webgpu', 'lowformer-web', 'ort-web-webgpu', 'min_ms', 0.2],
  ['min: lowformer-web / ort-web-wasm-2t', 'lowformer-web', 'ort-web-wasm-2t', 'min_ms', 1.0],
  ['min: lowformer-native / ort-web-wasm-2t', 'lowformer-native', 'ort-web-wasm-2t', 'min_ms', null],
  ['min: lowformer-web-cpu / ort-web-wasm-1t', 'lowformer-web-cpu', 'ort-web-wasm-1t', 'min_ms', 1.5],
  ['min: lowformer-web-cpu / ort-web-wasm-2t', 'lowformer-web-cpu', 'ort-web-wasm-2t', 'min_ms', null],
  ['min: lowformer-native-cpu / pytorch-cpu', 'lowformer-native-cpu', 'pytorch-cpu', 'min_ms', 1.0],
  ['min: lowformer-native-cpu / ort-node-cpu', 'lowformer-native-cpu', 'ort-node-cpu', 'min_ms', null],
  ['steady: lowformer-web (after the swap) / lowformer-web-specialized', 'lowformer-web', 'lowformer-web-specialized', 'median_ms', 1.0],
  ['steady: lowformer-native (after the swap) / lowformer-native-specialized', 'lowformer-native', 'lowformer-native-specialized', 'median_ms', 1.0],
  ['cold start lowformer-web / lowformer-web-specialized', 'lowformer-web', 'lowformer-web-specialized', 'cold_start_ms', null],
  ['cold start lowformer-native / lowformer-native-specialized', 'lowformer-native', 'lowformer-native-specialized', 'cold_start_ms', null],
  ['warm start lowformer-web / lowformer-web-specialized', 'lowformer-web', 'lowformer-web-specialized', 'warm_start_ms', null],
  ['cold start lowformer-web-specialized / ort-web-webgpu', 'lowformer-web-specialized', 'ort-web-webgpu', 'cold_start_ms', null],
  ['cold start lowformer-web / ort-web-webgpu (issue 14: ≤ 0.45, moonshot 0.2)', 'lowformer-web', 'ort-web-webgpu', 'cold_start_ms', 0.45],
  ['cold start lowformer-web / ort-web-webgpu', 'lowformer-web', 'ort-web-webgpu', 'cold_start_ms', 0.2],
  ['cold start lowformer-web / ort-web-wasm-2t', 'lowformer-web', 'ort-web-wasm-2t', 'cold_start_ms', 0.2],
  ['cold start lowformer-native / ort-web-wasm-2t', 'lowformer-native', 'ort-web-wasm-2t', 'cold_start_ms', null],
  ['cold start lowformer-web-cpu / ort-web-wasm-1t', 'lowformer-web-cpu', 'ort-web-wasm-1t', 'cold_start_ms', null],
  ['warm start lowformer-web / ort-web-webgpu', 'lowformer-web', 'ort-web-webgpu', 'warm_start_ms', 0.2],
  ['warm start lowformer-web / ort-web-wasm-2t', 'lowformer-web', 'ort-web-wasm-2t', 'warm_start_ms', 0.2],
  ['warm start lowformer-native / ort-web-wasm-2t', 'lowformer-native', 'ort-web-wasm-2t', 'warm_start_ms', null],
  ['warm start lowformer-web-cpu / ort-web-wasm-1t', 'lowformer-web-cpu', 'ort-web-wasm-1t', 'warm_start_ms', null],
];

/** The ratio rows for the entries of one (model, batch, size). */
export function ratios(entries) {
  const by = Object.fromEntries(entries.map((e) => [e.engine, e]));
  return RATIOS.filter(([, a, b, field]) => by[a]?.[field] != null && by[b]?.[field] != null).map(([label, a, b, field, target]) => {
    const r = by[a][field] / by[b][field];
    return { label, ratio: r, target, met: target == null ? null : r <= target };
  });
}

const fmt = (v, d = 1) => (v == null || Number.isNaN(v) ? '–' : Number(v).toFixed(d));

/** The Markdown report. */
export function markdown({ entries, meta, problems, profile }) {
  const L = [];
  L.push(`# LowFormer benchmark, ${meta.date}`, '');
  L.push(`Machine: ${meta.machine.cpu}, ${meta.machine.cores} cores. Load average (1/5/15 min) before: ${meta.loadBefore.join(' ')}, after: ${meta.loadAfter.join(' ')}.`);
  L.push(`Every engine: ${meta.warmup} warm-up runs after the first, then ${meta.runs} timed runs, interleaved round-robin across the engines (the order rotates each round). ` +
    'Cold start: process start (native) or navigation start (browser) to the first logits, weights on local disk (served over localhost), ' +
    'ORT session creation and first run included, with an empty driver shader cache (a fresh Mesa cache directory per configuration, ' +
    'a fresh browser profile): a first visit. Warm start: the same in a new process or browser started afterwards on the same Mesa cache ' +
    'and browser profile, whose shader caches the first start filled: a returning visitor. Every engine\'s logits (first and last run) are checked against the reference logits ' +
    '(image i of a batch = reference image i mod 2). Timing is never a pass/fail condition.', '');
  L.push('| model | batch | engine | adapter | median ms | min | max | runs | cold start ms | warm start ms | max abs err | argmax | peak memory MB |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const e of entries) {
    L.push(`| ${e.model} | ${e.batch} | ${e.engine} | ${e.adapter} | ${fmt(e.median_ms)} | ${fmt(e.min_ms)} | ${fmt(e.max_ms)} | ${e.runs} | ${fmt(e.cold_start_ms, 0)} | ${fmt(e.warm_start_ms, 0)} | ` +
      `${e.max_abs_err == null ? 'NOT CHECKED' : e.max_abs_err.toExponential(1)} | ${e.argmax_ok ? 'ok' : 'WRONG'} | ${fmt(e.peak_memory_mb, 0)} |`);
  }
  const prog = entries.filter((e) => e.specialized_ms != null);
  if (prog.length) {
    L.push('', 'Progressive starts (the cold start is the generic plan\'s first logits; the timed runs follow the swap to the specialized plan):', '');
    L.push('| model | batch | engine | cold start ms | runs on the generic plan | their median ms | swap at ms | median after the swap ms |', '|---|---|---|---|---|---|---|---|');
    for (const e of prog) {
      L.push(`| ${e.model} | ${e.batch} | ${e.engine} | ${fmt(e.cold_start_ms, 0)} | ${e.generic_runs ?? '–'} | ${fmt(e.generic_median_ms)} | ${fmt(e.specialized_ms, 0)} | ${fmt(e.median_ms)} |`);
    }
  }
  L.push('', 'Engines: ' + [...new Set(entries.map((e) => `${e.engine}: ${e.notes}`))].join('; ') + '.', '');
  L.push('Peak memory: ' + [...new Set(entries.map((e) => `${e.engine}: ${e.memory_method}`))].join('; ') + '.', '');
  L.push('## Ratios ours / theirs (below 1 means ours is faster)', '');
  L.push('Medians, then minima (the least disturbed run of each engine: the better estimate when other work loads the machine), then cold and warm starts.', '');
  L.push('| model | batch | ratio | value | target |', '|---|---|---|---|---|');
  for (const group of groups(entries)) {
    for (const r of ratios(group)) {
      const target = r.target == null ? '' : `≤ ${r.target} ${r.met ? '(met)' : '(not met)'}`;
      L.push(`| ${group[0].model} | ${group[0].batch} | ${r.label} | ${fmt(r.ratio, 3)} | ${target} |`);
    }
  }
  if (profile) L.push('', ...profileMarkdown(profile));
  if (problems.length) L.push('', '## Not measured', '', ...problems.map((p) => `- ${p}`));
  return L.join('\n') + '\n';
}

/** Entries grouped by (model, batch, size), in order of appearance. */
export function groups(entries) {
  const m = new Map();
  for (const e of entries) {
    const k = `${e.model}/${e.batch}/${e.size}`;
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(e);
  }
  return [...m.values()];
}

function profileMarkdown(r) {
  const p = r.profile;
  const L = ['## Native per-dispatch profile (`lowformer bench -profile`)', ''];
  L.push(`${r.model}, batch ${r.batch}, ${r.size}×${r.size}, ${r.adapter}; method: ${p.method}; R ≥ ${p.reps}.`, '');
  L.push(`Forward ${fmt(p.forward_ms)} ms (best of 5, alternating with the ceiling kernel; median of ${r.runs} runs ${fmt(p.median_ms)} ms) ` +
    `at ${fmt(p.forward_gflops, 2)} GFLOP/s (${fmt(p.gflop, 3)} GFLOP) = ` +
    `**${fmt(p.ceiling_pct, 0)} %** of the GEMM ceiling measured in the same run (best of its timings), ${fmt(p.ceiling.GFLOPS, 1)} GFLOP/s ` +
    `(\`${p.ceiling.Kernel}\`, ${p.ceiling.M}³). The ${p.dispatches} dispatches add up to ${fmt(p.sum_ms)} ms in isolation.`, '');
  L.push('| kernel family | dispatches | ms | % | GFLOP/s | GB/s |', '|---|---|---|---|---|---|');
  for (const g of p.families) L.push(`| ${g.name} | ${g.count} | ${fmt(g.ms, 2)} | ${fmt(g.pct)} | ${fmt(g.gflops, 2)} | ${fmt(g.gbps, 2)} |`);
  L.push('', '| # | layer | kernel | ms | % | GFLOP/s | GB/s |', '|---|---|---|---|---|---|---|');
  for (const d of p.top) L.push(`| ${d.index} | ${d.layer} | \`${d.kernel}\` | ${fmt(d.ms, 2)} | ${fmt(d.pct)} | ${fmt(d.gflops, 2)} | ${fmt(d.gbps, 2)} |`);
  const fu = p.first_use;
  if (fu) {
    L.push('', '### First use (shader compilation)', '');
    L.push(`A fresh plan on an empty Mesa shader cache: built in ${fmt(fu.plan_ms, 0)} ms; the first dispatch of each of its ${fu.pipelines} pipelines, ` +
      `run alone, ${fmt(fu.ms, 0)} ms in all (lavapipe compiles a shader to machine code on its first dispatch).`, '');
    L.push('| kernel family | pipelines | ms | % |', '|---|---|---|---|');
    for (const g of fu.families) L.push(`| ${g.name} | ${g.count} | ${fmt(g.ms, 0)} | ${fmt(g.pct)} |`);
    L.push('', '| ms | kernel |', '|---|---|');
    for (const k of fu.top) L.push(`| ${fmt(k.ms, 0)} | \`${k.kernel}\` |`);
  }
  return L;
}
