// Helpers of the engine processes (ort-node.mjs): the input batch, the
// logits check (shared with the browser pages: pages/check.mjs), the peak
// memory.

import { readFileSync } from 'node:fs';

export { check } from '../pages/check.mjs';

/** Repeats the k reference images to a batch of n. */
export function tile(ref, n, per) {
  const k = ref.length / per;
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++) x.set(ref.subarray((i % k) * per, (i % k + 1) * per), i * per);
  return x;
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
