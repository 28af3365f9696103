#!/usr/bin/env python3
"""Writes classify_b0.json (the image names, the reference top-5 of each) and
classify_b0_logits.bin (the float64 reference logits rounded to float32,
little-endian, [3, 1000]) of the b0 synthetic-weight checkpoint for three
fixture images of preprocess/testdata.

The input of each image is the torchvision crop stored in
preprocess/testdata/expected/NAME.r224.png (Resize(236, BICUBIC) +
CenterCrop(224) by Pillow 9.4 / torchvision 0.14), normalized with ToTensor and
Normalize in float32 as torch does; the forward pass is the independent float64
reference of /work/shared/spec/reference_forward.py. So nothing of the Go code
is involved.

Usage (from the repository root):
    /usr/bin/python3 cmd/lowformer/testdata/gen_classify_ref.py
"""
import importlib.util, json, os, sys
import numpy as np, torch
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SHARED = os.path.join(ROOT, "..", "shared")
IMAGES = ["chelsea_420.jpg", "coffee_444_progressive.jpg", "rocket_lossless.webp"]
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(3, 1, 1)

spec = importlib.util.spec_from_file_location("ref", os.path.join(SHARED, "spec", "reference_forward.py"))
ref = importlib.util.module_from_spec(spec)
argv, sys.argv = sys.argv, [sys.argv[0]]  # the module runs its checks for sys.argv[1:]
spec.loader.exec_module(ref)
sys.argv = argv

ck = torch.load(os.path.join(SHARED, "testdata", "lowformer", "b0", "evalmodel.pt"), map_location="cpu")
sd = {k: t.double() if t.is_floating_point() else t for k, t in ck["state_dict"].items()}
batch = []
for name in IMAGES:
    crop = np.asarray(Image.open(os.path.join(ROOT, "preprocess", "testdata", "expected", name + ".r224.png")).convert("RGB"))
    x = crop.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    batch.append((x - MEAN) / STD)
x = torch.from_numpy(np.stack(batch)).double()
with torch.no_grad():
    logits, unused = ref.forward(sd, "b0", x)
assert not unused, unused
out = []
for name, l in zip(IMAGES, logits):
    p = torch.softmax(l, 0)
    order = torch.argsort(l, descending=True)
    out.append({
        "image": name,
        "top5": [{"index": int(i), "probability": float(p[i])} for i in order[:5]],
        "min_logit_gap_top6": float(min(l[order[i]] - l[order[i + 1]] for i in range(5))),
    })
here = os.path.dirname(os.path.abspath(__file__))
logits.numpy().astype("<f4").tofile(os.path.join(here, "classify_b0_logits.bin"))
with open(os.path.join(here, "classify_b0.json"), "w") as f:
    json.dump({"model": "shared/testdata/lowformer/b0/evalmodel.pt", "size": 224,
               "logits": "classify_b0_logits.bin", "images": out}, f, indent=1)
    f.write("\n")
