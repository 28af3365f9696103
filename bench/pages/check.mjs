// The logits check of every engine, in the pages and in the engine
// processes alike.

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
