#!/usr/bin/env python3
"""Makes the fixtures of the deep-variant fidelity check (TestFidelityDeep in ../fidelity_test.go):
for each variant, the deterministic synthetic weights of gen_variants.py as an official-format
checkpoint, a seeded input, and two sets of logits:

  OUT/<v>/evalmodel.pt     {"state_dict": ...} as torch.save writes it (the official format)
  OUT/<v>/input.bin        [N,3,H,W] float32, (2u - 1)·2 with u the uniforms of the key "input"
  OUT/<v>/fp64.bin         [N,1000] logits of ../../../shared/spec/reference_forward.py in float64
                           (the truth), rounded to float32
  OUT/<v>/fp32.bin         [N,1000] logits of PyTorch fp32: tools/lowformer_torch.py's LowFormer
                           (nn.Conv2d + BatchNorm2d modules, eval mode), float32 on the CPU
  OUT/<v>/fp32_dist.txt    max-abs of fp32 against fp64 (for the log)

  /usr/bin/python3 fidelity.py OUT H W N VARIANT...

Needs Debian's python3-torch and python3-numpy (and python3-pil, which lowformer_torch imports)."""
import os, sys
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import gen_variants as gv  # noqa: E402
import lowformer_torch as lt  # noqa: E402


def main():
    out, h, w, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    ref = gv.load_reference()
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    x = torch.from_numpy(((2.0 * gv.uniforms("input", n * 3 * h * w) - 1.0) * 2.0).astype(np.float32).reshape(n, 3, h, w))
    for v in sys.argv[5:]:
        if v not in ref.CFG:
            sys.exit(f"fidelity.py: unknown variant {v!r}; want one of {', '.join(ref.CFG)}")
        d = os.path.join(out, v)
        os.makedirs(d, exist_ok=True)
        sd = {k: gv.synth(k, s) for k, s in gv.expected_keys(ref.CFG[v])}
        torch.save({"state_dict": sd}, os.path.join(d, "evalmodel.pt"))
        x.numpy().astype("<f4").tofile(os.path.join(d, "input.bin"))
        sd64 = {k: t.double() if t.is_floating_point() else t for k, t in sd.items()}
        with torch.no_grad():
            y64, unused = ref.forward(sd64, v, x.double())
        if unused:
            sys.exit(f"fidelity.py: {v}: the reference left keys unused: {sorted(unused)[:3]}")
        model = lt.LowFormer(lt.detect_config(sd))
        model.load_state_dict(sd, strict=True)
        model = model.float().eval()
        with torch.inference_mode():
            y32 = model(x).double()
        dist = (y32 - y64).abs().max().item()
        y64.float().numpy().astype("<f4").tofile(os.path.join(d, "fp64.bin"))
        y32.float().numpy().astype("<f4").tofile(os.path.join(d, "fp32.bin"))
        with open(os.path.join(d, "fp32_dist.txt"), "w") as f:
            f.write("%.6e\n" % dist)
        print("%s %dx%d n=%d: PyTorch fp32 vs fp64 %.3e, max|logit| %.3f" % (v, h, w, n, dist, y64.abs().max().item()), flush=True)


if __name__ == "__main__":
    main()
