#!/usr/bin/env python3
"""The pytorch-cpu engine: the PyTorch LowFormer of tools/lowformer_torch.py (fp32, eval mode,
torch.set_num_threads(THREADS)) on <variant>/evalmodel.pt, in its own process, driven by bench/
like `lowformer bench -interleave`: after the warm-up it prints {"ready":true,"cold_start_ms":...},
answers each stdin line with one timed run {"ms":...} and at the end of stdin prints the result
(the fields of results.json it knows). The input is the variant's reference batch tiled to the
batch size; the first and last run's logits are checked against the reference logits.

  /usr/bin/python3 bench/procs/pytorch.py SHARED_DIR VARIANT BATCH SIZE WARMUP THREADS

BENCH_SPAWN_MS (the harness's Date.now() at spawn) dates the cold start. Needs Debian's
python3-torch and python3-numpy."""
import json, os, sys, time

spawned = float(os.environ.get("BENCH_SPAWN_MS") or time.time() * 1000)
shared, variant, batch, size, warmup, threads = sys.argv[1:7]
batch, size, warmup, threads = int(batch), int(size), int(warmup), int(threads)
# torch parallelizes with its own OpenMP threads (set_num_threads); OpenBLAS's pthreads on top of
# them oversubscribe the cores: B0 went from 40 ms to 0.1-1.8 s on 2 loaded cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# OpenMP threads that spin between runs (the default policy) take cores from the engines that run
# in between, and spin against them: interleaved with the others, B0's median went from 50 ms
# (passive) to 830 ms.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import numpy as np
import torch
import lowformer_torch as lt

torch.set_num_threads(threads)
d = os.path.join(shared, variant)
try:
    sd, _ = lt.read_checkpoint(os.path.join(d, "evalmodel.pt"))
except ValueError:
    # torch 1.13's restricted unpickler refuses the official checkpoint; this is the shared
    # reference file (the spec's reference_forward.py loads it the same way).
    ck = torch.load(os.path.join(d, "evalmodel.pt"), map_location="cpu")
    sd = {}
    for k, v in ck.get("state_dict", ck).items():
        k = k[len("module."):] if k.startswith("module.") else k
        k = "head." + k[len("head.opseq."):] if k.startswith("head.opseq.") else k
        sd[k] = v
model = lt.LowFormer(lt.detect_config(sd))
model.load_state_dict(sd, strict=False)
model = model.float().eval()

per = 3 * size * size
ref = np.fromfile(os.path.join(d, "logits.bin"), dtype="<f4")
inp = np.fromfile(os.path.join(d, "input.bin"), dtype="<f4")
k = inp.size // per
classes = ref.size // k
x = torch.from_numpy(np.stack([inp[(i % k) * per:(i % k + 1) * per] for i in range(batch)]).reshape(batch, 3, size, size).copy())


def run():
    with torch.inference_mode():
        return model(x).numpy().reshape(-1).copy()


t = time.perf_counter()
first = run()
first_ms = (time.perf_counter() - t) * 1000
cold = time.time() * 1000 - spawned
for _ in range(warmup):
    run()
last = first
times = []
print(json.dumps({"ready": True, "cold_start_ms": cold}), flush=True)
for line in sys.stdin:
    if not line.strip():
        continue
    t = time.perf_counter()
    last = run()
    times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"ms": times[-1]}), flush=True)


def check(runs):
    worst, ok = 0.0, True
    for y in runs:
        if y.size != batch * classes:
            return None, False, f"{y.size} logits, want {batch * classes}"
        for b in range(batch):
            r = ref[(b % k) * classes:(b % k + 1) * classes]
            yb = y[b * classes:(b + 1) * classes]
            if not np.all(np.isfinite(yb)):
                return None, False, "the logits are not finite"
            worst = max(worst, float(np.max(np.abs(yb - r))))
            ok = ok and int(np.argmax(yb)) == int(np.argmax(r))
    return worst, ok, None


err, ok, problem = check([first, last])


def blas():
    """Which BLAS library torch's matrix products went to (Debian's torch links the generic
    libblas.so.3, which update-alternatives points at the reference BLAS, OpenBLAS, ...)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if ".so" in line}
    except OSError:
        return "BLAS unknown"
    for name, what in (("libopenblas", "OpenBLAS"), ("libblis", "BLIS"), ("libmkl", "MKL"), ("atlas", "ATLAS")):
        if any(name in l for l in libs):
            return what
    if any("/blas/libblas.so" in l for l in libs):
        return "reference BLAS (netlib; apt-get install libopenblas0-pthread for OpenBLAS)"
    return "BLAS unknown"


peak = None
with open("/proc/self/status") as f:
    for line in f:
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1000
print(json.dumps({
    "engine": "pytorch-cpu", "adapter": f"CPU, PyTorch {torch.__version__} fp32, {threads} threads, {blas()}",
    "model": variant.upper(), "cold_start_ms": cold, "first_run_ms": first_ms, "max_abs_err": err, "argmax_ok": ok,
    "check": problem or "first and last run against the reference logits", "peak_memory_mb": peak,
    "memory_method": "process peak RSS (VmHWM)", "times_ms": times,
}), flush=True)
