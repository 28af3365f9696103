#!/usr/bin/env python3
"""The Python half of scripts/gpu-check.sh (see bench/README.md).

  python3 gpu_check.py make DIR           seeded synthetic official-format checkpoints of B0, B1 and E1
                                          (DIR/ck/<v>/evalmodel.pt, the formula of
                                          model/testdata/gen_variants.py), a 2-image input and PyTorch's
                                          fp32 logits with TF32 off (on CUDA, else the CPU)
  python3 gpu_check.py run DIR            the interleaved timing: per variant and batch, our engine with
                                          -kernels gpu and -kernels cpu (DIR/lowformer bench -interleave
                                          -backend gpu -tuning off), our engine tuned on this adapter
                                          (lowformer tune, then bench -tuning TABLE with -kernels auto)
                                          and PyTorch eager fp32 (torch_cuda.py), R rounds that run each
                                          engine once in a rotating order; prints one table

Environment: GPU_CHECK_VARIANTS (b0 b1 E1), GPU_CHECK_BATCHES (1 32), GPU_CHECK_RUNS (rounds, 20),
GPU_CHECK_WARMUP (3), GPU_CHECK_TUNE (seconds of lowformer tune per configuration, 15; 0: no tuned
engine), GPU_CHECK_BUDGET (seconds for all tuning and timing, 390: the whole check stays under
8 minutes; rounds stop early, at 3 at least, when a configuration's share is spent)."""
import json, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = 224
ENGINES = ("ours -kernels gpu", "ours -kernels cpu", "ours tuned", "PyTorch eager fp32")
PYTORCH = ENGINES[-1]


def env_list(name, default):
    return os.environ.get(name, default).split()


def make(d):
    sys.path.insert(0, HERE)
    import numpy as np
    import torch
    import gen_variants as gv
    import lowformer_torch as lt
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    x = torch.from_numpy(((2.0 * gv.uniforms("input", 2 * 3 * SIZE * SIZE) - 1.0) * 2.0).astype(np.float32).reshape(2, 3, SIZE, SIZE))
    for v in env_list("GPU_CHECK_VARIANTS", "b0 b1 E1"):
        if v not in lt.PRESETS:
            sys.exit(f"gpu_check.py: unknown variant {v}")
        model = lt.LowFormer(lt.PRESETS[v])
        sd = {k: gv.synth(k, list(t.shape)) for k, t in model.state_dict().items()}
        out = os.path.join(d, "ck", v)
        os.makedirs(out, exist_ok=True)
        torch.save({"state_dict": sd}, os.path.join(out, "evalmodel.pt"))
        model.load_state_dict(sd, strict=True)
        model = model.float().eval().to(dev)
        with torch.inference_mode():
            y = model(x.to(dev)).cpu()
        x.numpy().astype("<f4").tofile(os.path.join(out, "input.bin"))
        y.numpy().astype("<f4").tofile(os.path.join(out, "logits.bin"))
        print(f"gpu-check: {v}: checkpoint, input and TF32-off fp32 logits on {dev.type} (max |logit| {y.abs().max().item():.3f})", flush=True)


class Engine:
    def __init__(self, name, argv):
        self.name, self.times = name, []
        self.err = tempfile.TemporaryFile("w+")  # not a pipe: a full one would stall the engine
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True)
        while True:
            line = self.p.stdout.readline()
            if not line:
                sys.exit(f"gpu-check: {name} ended before it was ready: {self.stderr()}\n  command: {' '.join(argv)}")
            if '"ready"' in line:
                self.cold = json.loads(line).get("cold_start_ms")
                break

    def stderr(self):
        self.err.seek(0)
        return " | ".join(self.err.read().strip().splitlines()[-3:])

    def once(self):
        self.p.stdin.write("run\n")  # blank lines are skipped by the protocol
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            sys.exit(f"gpu-check: {self.name} ended during a run: {self.stderr()}")
        self.times.append(json.loads(line)["ms"])

    def finish(self):
        self.p.stdin.close()
        out = self.p.stdout.read().strip().splitlines()
        self.p.wait()
        self.result = json.loads(out[-1]) if out else {}


def run(d):
    variants = env_list("GPU_CHECK_VARIANTS", "b0 b1 E1")
    batches = [int(b) for b in env_list("GPU_CHECK_BATCHES", "1 32")]
    rounds = int(os.environ.get("GPU_CHECK_RUNS", "20"))
    warmup = os.environ.get("GPU_CHECK_WARMUP", "3")
    budget = float(os.environ.get("GPU_CHECK_BUDGET", "390"))
    tune = float(os.environ.get("GPU_CHECK_TUNE", "15"))
    py = os.environ.get("PYTHON", sys.executable)
    start = time.time()
    configs = [(v, b) for v in variants for b in batches]
    rows = []
    for ci, (v, b) in enumerate(configs):
        ck = os.path.join(d, "ck", v)
        files = [os.path.join(ck, "evalmodel.pt"), os.path.join(ck, "input.bin"), os.path.join(ck, "logits.bin")]
        cli = os.path.join(d, "lowformer")
        ours = [cli, "bench", "-weights", files[0], "-backend", "gpu", "-batch", str(b), "-size", str(SIZE),
                "-ref-input", files[1], "-ref-logits", files[2], "-interleave", "-warmup", warmup]
        engines = [Engine(ENGINES[0], ours + ["-kernels", "gpu", "-tuning", "off"]),
                   Engine(ENGINES[1], ours + ["-kernels", "cpu", "-tuning", "off"])]
        if tune > 0:
            table = os.path.join(d, f"tune-{v}-{b}.json")
            with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryFile("w+") as log:
                # The tuner's own cache folder: the table goes to -o only, never into the user's cache.
                t = subprocess.run([cli, "tune", "-weights", files[0], "-batch", str(b), "-size", str(SIZE), "-budget", f"{tune:g}s", "-o", table],
                                   stdout=log, stderr=log, env={**os.environ, "LOWFORMER_CACHE_DIR": cache})
                if t.returncode != 0:
                    log.seek(0)
                    sys.exit(f"gpu-check: lowformer tune failed on {v} batch {b}: {' | '.join(log.read().strip().splitlines()[-3:])}")
            engines.append(Engine(ENGINES[2], ours + ["-kernels", "auto", "-tuning", table]))
        engines.append(Engine(PYTORCH, [py, os.path.join(d, "torch_cuda.py"), *files, str(b), str(SIZE), warmup]))
        deadline = start + budget * (ci + 1) / len(configs)
        for r in range(rounds):
            if r >= 3 and time.time() > deadline:
                break
            for i in range(len(engines)):
                engines[(i + r) % len(engines)].once()
        for e in engines:
            e.finish()
        for e in engines:
            med = statistics.median(e.times)
            res = e.result
            what = res.get("adapter", "")
            if res.get("kernels"):
                what += f"; kernels {res['kernels']} ({res.get('kernels_reason', '')})"
            if res.get("tuning") not in (None, "", "none"):
                what += f"; tuning table {res['tuning']}"
            rows.append({"variant": v, "batch": b, "engine": e.name, "median_ms": med, "min_ms": min(e.times),
                         "img_per_s": 1000 * b / med, "runs": len(e.times), "max_abs_err": res.get("max_abs_err"),
                         "cold_start_ms": e.cold, "adapter": what})
        print(f"gpu-check: {v} batch {b}: {len(engines[0].times)} interleaved rounds ({time.time() - start:.0f} s so far)", file=sys.stderr, flush=True)
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
    print(f"\n| variant | batch | engine | median ms | min ms | img/s | runs | first logits ms | max-abs vs PyTorch fp32 (TF32 off) | vs PyTorch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        base = next(x for x in rows if x["variant"] == r["variant"] and x["batch"] == r["batch"] and x["engine"] == PYTORCH)
        err = "n/a" if r["max_abs_err"] is None else f"{r['max_abs_err']:.2e}"
        cold = "n/a" if r["cold_start_ms"] is None else f"{r['cold_start_ms']:.0f}"
        print(f"| {r['variant']} | {r['batch']} | {r['engine']} | {r['median_ms']:.2f} | {r['min_ms']:.2f} | {r['img_per_s']:.0f} | {r['runs']} | {cold} | {err} "
              f"| {r['median_ms'] / base['median_ms']:.2f}× time |")
    print()
    for name in ENGINES:
        a = next((r["adapter"] for r in rows if r["engine"] == name), None)
        if a is not None:
            print(f"- {name}: {a}")
    print("- first logits: process start to the first logits (ours: a progressive start, so the generic plan's; "
          "the timed runs come after the swap to the specialized pipelines; the driver's shader cache may hold an earlier run's shaders)")
    print(f"- {time.time() - start:.0f} s of timing; medians of interleaved rounds (each round runs every engine once, rotating order); results.json in {d}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "run"):
        sys.exit(__doc__)
    (make if sys.argv[1] == "make" else run)(sys.argv[2])
