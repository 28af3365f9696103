#!/usr/bin/env python3
"""Writes testdata/tiny.pt: the tensors of testdata/tiny.safetensors (the
tiny custom LowFormer of the root package's tests, written by
`LOWFORMER_WRITE_FIXTURES=1 go test -run TestTinyFixtures .`) saved with
torch.save as an OrderedDict state dict, as the official training code
saves evalmodel.pt. Run from the repository root: python3 testdata/gen_tiny_pt.py
"""
import collections
import json
import struct

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}

with open("testdata/tiny.safetensors", "rb") as f:
    raw = f.read()
hlen = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + hlen])
data = raw[8 + hlen:]
sd = collections.OrderedDict()
for name, e in header.items():  # json keeps the file order
    if name == "__metadata__":
        continue
    b, end = e["data_offsets"]
    arr = np.frombuffer(data[b:end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    sd[name] = torch.from_numpy(arr.copy())
torch.save(sd, "testdata/tiny.pt")
print(f"wrote testdata/tiny.pt with {len(sd)} tensors")
