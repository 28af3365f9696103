#!/usr/bin/python3
"""Extracts spot-check values from the shared LowFormer reference checkpoints.

Run from this folder with /usr/bin/python3 (Debian python3-torch 1.13.1) while
/work/shared/testdata/lowformer exists:

    /usr/bin/python3 gen_reference.py

For each variant it loads evalmodel.pt with torch and records, for a handful of
tensors (first, middle, last, largest, the first num_batches_tracked and the
first attention projection), the shape, dtype, first and last 4 values and the
exact sum (math.fsum) of all values. Writes reference_values.json.
"""
import json
import math

import torch

ROOT = "/work/shared/testdata/lowformer"


def record(key, t):
    flat = t.reshape(-1)
    vals = flat.double().tolist() if t.is_floating_point() else [int(x) for x in flat.tolist()]
    return {
        "key": key,
        "shape": list(t.shape),
        "dtype": "F32" if t.dtype == torch.float32 else "I64",
        "first": vals[:4],
        "last": vals[-4:],
        "sum": math.fsum(vals),
    }


def main():
    out = {}
    for variant in ("b0", "E1"):
        ckpt = torch.load("%s/%s/evalmodel.pt" % (ROOT, variant), map_location="cpu")
        sd = ckpt["state_dict"]
        keys = list(sd.keys())
        chosen = [keys[0], keys[len(keys) // 2], keys[-1],
                  max(keys, key=lambda k: sd[k].numel())]
        chosen += [k for k in keys if k.endswith("num_batches_tracked")][:1]
        chosen += [k for k in keys if "pwise" in k or "upsampling.weight" in k][:2]
        seen, recs = set(), []
        for k in chosen:
            if k not in seen:
                seen.add(k)
                recs.append(record(k, sd[k]))
        out[variant] = {"count": len(keys), "tensors": recs,
                        "has_optimizer_state": bool(ckpt["optimizer"]["state"])}
    with open("reference_values.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
