#!/usr/bin/env python3
"""PyTorch engine of scripts/gpu-check.sh: tools/lowformer_torch.py's LowFormer on a checkpoint, fp32,
eval mode, eager, on CUDA (the CPU where there is none: the dry run), driven like
`lowformer bench -interleave`: after the warm-up it prints {"ready":true,"cold_start_ms":...},
answers each stdin line with one timed run {"ms":...} (synchronized) and at the end of stdin prints
the result object (adapter, max_abs_err against the reference logits, times_ms).

  python3 torch_cuda.py CHECKPOINT INPUT LOGITS BATCH SIZE WARMUP

INPUT is raw float32 [k,3,SIZE,SIZE] (image i of the batch is image i mod k), LOGITS the reference
[k,classes] (gpu_check.py makes both, the logits with TF32 off). Timing uses cuDNN's defaults
(TF32 convolutions where the GPU has them, cudnn.benchmark off)."""
import json, os, sys, time

spawned = time.time() * 1000
ckpt, inp_path, ref_path, batch, size, warmup = sys.argv[1:7]
batch, size, warmup = int(batch), int(size), int(warmup)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np
import torch
import lowformer_torch as lt

dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
sd, _ = lt.read_checkpoint(ckpt)
model = lt.LowFormer(lt.detect_config(sd))
model.load_state_dict(sd, strict=True)
model = model.float().eval().to(dev)
per = 3 * size * size
inp = np.fromfile(inp_path, dtype="<f4")
ref = np.fromfile(ref_path, dtype="<f4")
k = inp.size // per
classes = ref.size // k
x = torch.from_numpy(np.stack([inp[(i % k) * per:(i % k + 1) * per] for i in range(batch)]).reshape(batch, 3, size, size).copy()).to(dev)


def run():
    with torch.inference_mode():
        y = model(x)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return y


first = run().cpu().numpy().reshape(-1)
cold = time.time() * 1000 - spawned
for _ in range(warmup):
    run()
print(json.dumps({"ready": True, "cold_start_ms": cold}), flush=True)
times, last = [], first
for line in sys.stdin:
    if not line.strip():
        continue
    t = time.perf_counter()
    y = run()
    times.append((time.perf_counter() - t) * 1000)
    last = y
    print(json.dumps({"ms": times[-1]}), flush=True)
last = last.cpu().numpy().reshape(-1) if torch.is_tensor(last) else last
worst = 0.0
for y in (first, last):
    for b in range(batch):
        worst = max(worst, float(np.max(np.abs(y[b * classes:(b + 1) * classes] - ref[(b % k) * classes:(b % k + 1) * classes]))))
name = torch.cuda.get_device_name(0) if dev.type == "cuda" else "CPU"
tf32 = torch.backends.cudnn.allow_tf32 if dev.type == "cuda" else False
print(json.dumps({"engine": "pytorch-" + dev.type, "adapter": f"{name}, PyTorch {torch.__version__} fp32 eager, cudnn.allow_tf32={tf32}",
                  "max_abs_err": worst, "times_ms": times}), flush=True)
