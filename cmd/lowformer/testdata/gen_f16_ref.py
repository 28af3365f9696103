#!/usr/bin/env python3
"""Writes b0_f16_logits.bin: the float64 reference logits (rounded to float32,
little-endian, [1, 1000]) of the b0 synthetic-weight checkpoint with every
floating tensor rounded to float16 (round to nearest even, as "lowformer
convert -dtype f16" stores it), on the first image of the b0 reference input.

Rounding the weights to f16 alone moves this checkpoint's logits by up to
0.024 from the f32 reference, so the f16 conversion is checked against these
logits instead (the forward pass is /work/shared/spec/reference_forward.py).

Usage (from the repository root):
    /usr/bin/python3 cmd/lowformer/testdata/gen_f16_ref.py
"""
import importlib.util, os, sys
import numpy as np, torch

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "..", "shared")
B0 = os.path.join(SHARED, "testdata", "lowformer", "b0")

spec = importlib.util.spec_from_file_location("ref", os.path.join(SHARED, "spec", "reference_forward.py"))
ref = importlib.util.module_from_spec(spec)
argv, sys.argv = sys.argv, [sys.argv[0]]  # the module runs its checks for sys.argv[1:]
spec.loader.exec_module(ref)
sys.argv = argv

ck = torch.load(os.path.join(B0, "evalmodel.pt"), map_location="cpu")
sd = {k: t.half().double() if t.is_floating_point() else t for k, t in ck["state_dict"].items()}
x = np.fromfile(os.path.join(B0, "input.bin"), dtype="<f4").reshape(2, 3, 224, 224)[:1]
with torch.no_grad():
    logits, unused = ref.forward(sd, "b0", torch.from_numpy(x.copy()).double())
assert not unused, unused
logits.numpy().astype("<f4").tofile(os.path.join(HERE, "b0_f16_logits.bin"))
f32 = np.fromfile(os.path.join(B0, "logits.bin"), dtype="<f4")[:1000]
print("max |f16-weight logits - f32 reference| = %.4g" % np.abs(logits.numpy()[0] - f32).max())
