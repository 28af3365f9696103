// Helpers of the engine processes (ort-node.mjs): the input batch, the
// logits check, the peak memory.

import { readFileSync } from 'node:fs';

/** Repeats the k reference images to a batch of n. */
export function tile(ref, n, per) {
  const k = ref.length / per;
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++) x.set(ref.subarray((i % k) * per, (i % k + 1) * per), i * per);
  return x;
}

/** max |a - b| of each run against the reference rows (image i = reference image i mod k), and argmax agreement. */
export function check(runs, ref, classes, batch) {
  let maxAbs = 0;
  let argmaxOk = true;
  const am = (a, o) => { let k = 0; for (let i = 1; i < classes; i++) if (a[o + i] > a[o + k]) k = i; return k; };
  const k = ref.length / classes;
  for (const y of runs) {
    if (y.length !== batch * classes) return { maxAbs: null, argmaxOk: false, error: `${y.length} logits, want ${batch * classes}` };
    for (let b = 0; b < batch; b++) {
      const r = (b % k) * classes;
      for (let c = 0; c < classes; c++) {
        const d = Math.abs(y[b * classes + c] - ref[r + c]);
        if (Number.isNaN(d)) return { maxAbs: null, argmaxOk: false, error: 'the logits are not finite' };
        if (d > maxAbs) maxAbs = d;
      }
      if (am(y, b * classes) !== am(ref, r)) argmaxOk = false;
    }
  }
  return { maxAbs, argmaxOk };
}

/** This process's peak resident set in MB (Linux VmHWM), or null. */
export function peakRSS() {
  try {
    const m = readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1000 : null;
  } catch {
    return null;
  }
}
