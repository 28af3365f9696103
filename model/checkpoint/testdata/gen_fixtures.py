#!/usr/bin/python3
"""Generates the small checkpoint fixtures of model/checkpoint/testdata.

Run from this folder with /usr/bin/python3 (Debian python3-torch 1.13.1):

    /usr/bin/python3 gen_fixtures.py

Writes tiny PyTorch zip checkpoints (*.pt), safetensors files written with plain
struct/json (st_*.safetensors), and expected.json holding, for every fixture,
the keys in file order (after normalisation), shapes, source dtypes and all
values, plus conversion vectors for float32 -> float16/bfloat16 computed by
torch. The output is deterministic.
"""
import collections
import io
import json
import math
import struct

import torch

torch.manual_seed(1234)


def tiny_state_dict():
    """A small conv/bn/linear state dict with a 3-D tensor (TUPLE3 shape)."""
    sd = collections.OrderedDict()
    sd["backbone.conv.weight"] = torch.randn(3, 2, 3, 3)
    sd["backbone.norm.weight"] = torch.rand(3) + 0.5
    sd["backbone.norm.bias"] = torch.randn(3) * 0.2
    sd["backbone.norm.running_mean"] = torch.randn(3)
    sd["backbone.norm.running_var"] = torch.rand(3) + 1.0
    sd["backbone.norm.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)
    sd["backbone.conv1d.weight"] = torch.randn(2, 3, 4)
    sd["head.op_list.3.linear.weight"] = torch.randn(4, 3)
    sd["head.op_list.3.linear.bias"] = torch.randn(4)
    return sd


def trainer_dict(sd, optimizer_state=None, extra=None):
    """The trainer's dict layout (spec §5): state_dict, epoch, best_val, ..."""
    params = [torch.nn.Parameter(v.clone()) for v in sd.values() if v.is_floating_point()]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.1, amsgrad=optimizer_state is not None)
    if optimizer_state is not None:
        for p in params:
            p.grad = torch.randn_like(p)
        opt.step()
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0)
    d = {
        "state_dict": sd,
        "epoch": -1,
        "best_val": 0.0,
        "optimizer": opt.state_dict(),
        "lr_scheduler": {k: v for k, v in sched.state_dict().items() if k != "lr_lambdas"},
        "ema": {0.9998: sd},
        "scaler": None,
    }
    if extra:
        d.update(extra)
    return d


def save(obj, name):
    """torch.save to a file: the zip root folder is the file stem."""
    torch.save(obj, name)


def save_archive_root(obj, name):
    """torch.save through a buffer: the zip root folder is 'archive'."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    with open(name, "wb") as f:
        f.write(buf.getvalue())


def tensor_record(key, t):
    dtype = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.float64: "F64", torch.int64: "I64", torch.int32: "I32"}[t.dtype]
    flat = t.contiguous().reshape(-1)
    if t.is_floating_point():
        values = [float(x) for x in flat.float().tolist()]
    else:
        values = [int(x) for x in flat.tolist()]
    return {"key": key, "shape": list(t.shape), "dtype": dtype, "values": values}


def expect(sd, **flags):
    rec = {"tensors": [tensor_record(k, v) for k, v in sd.items()]}
    rec.update(flags)
    return rec


def normalise(sd):
    out = collections.OrderedDict()
    for k, v in sd.items():
        if k.startswith("module."):
            k = k[len("module."):]
        if k.startswith("head.opseq."):
            k = "head." + k[len("head.opseq."):]
        out[k] = v
    return out


def write_safetensors(name, sd, dtype, meta):
    """A safetensors file written by hand (no safetensors package)."""
    tdt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dtype]
    header, blobs, off = {}, [], 0
    if meta is not None:
        header["__metadata__"] = meta
    conv = collections.OrderedDict()
    for k, v in sd.items():
        if v.is_floating_point():
            v = v.to(tdt)
            raw = v.contiguous().view(torch.int16).numpy().tobytes() if dtype != "F32" else v.contiguous().numpy().tobytes()
            dt = dtype
        else:
            raw = v.contiguous().numpy().astype("<i8").tobytes()
            dt = "I64"
        conv[k] = v
        header[k] = {"dtype": dt, "shape": list(v.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hb = json.dumps(header).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(name, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
    return conv


def conversion_vectors():
    """float32 inputs and the float16 / bfloat16 bit patterns torch gives them."""
    vals = [0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3.0, 65504.0, 65519.0, 6.1035156e-05,
            5.9604645e-08, 2.9802322e-08, 2.9802326e-08, 1e-8, 3.0e-5, -2.5e-6,
            1.00048828125, 1.00146484375, 2049.0, 2051.0, 12345.678, -0.0009765625,
            math.pi, 1e30, -1e-30, 3.3895314e38]
    g = torch.Generator().manual_seed(99)
    vals += (torch.randn(40, generator=g) * torch.logspace(-8, 4, 40)).tolist()
    t = torch.tensor(vals, dtype=torch.float32)
    f16 = t.half().view(torch.int16).tolist()
    bf16 = t.bfloat16().view(torch.int16).tolist()
    return {
        "f32_bits": [struct.unpack("<I", struct.pack("<f", v))[0] for v in t.tolist()],
        "f16_bits": [b & 0xFFFF for b in f16],
        "bf16_bits": [b & 0xFFFF for b in bf16],
    }


def main():
    expected = {}
    base = tiny_state_dict()

    save(base, "bare.pt")
    expected["bare.pt"] = expect(base, has_optimizer_state=False)

    save(trainer_dict(base), "trainer.pt")
    expected["trainer.pt"] = expect(base, has_optimizer_state=False)

    save(trainer_dict(base, optimizer_state=True, extra={"seed": 2 ** 40 + 3}), "trainer_optim.pt")
    expected["trainer_optim.pt"] = expect(base, has_optimizer_state=True)

    prefixed = collections.OrderedDict(("module." + k, v) for k, v in base.items())
    save(trainer_dict(prefixed), "module_prefix.pt")
    expected["module_prefix.pt"] = expect(normalise(prefixed), has_optimizer_state=False)

    legacy = collections.OrderedDict(
        (k.replace("head.op_list.", "head.opseq.op_list."), v) for k, v in base.items())
    save(legacy, "legacy_head.pt")
    expected["legacy_head.pt"] = expect(normalise(legacy), has_optimizer_state=False)

    save_archive_root(base, "archive_root.pt")
    expected["archive_root.pt"] = expect(base, has_optimizer_state=False)

    mixed = collections.OrderedDict()
    mixed["half.weight"] = torch.randn(3, 5).half()
    mixed["bf16.weight"] = torch.randn(2, 3).bfloat16()
    mixed["double.weight"] = torch.randn(4, dtype=torch.float64)
    mixed["float.weight"] = torch.randn(2, 2)
    mixed["int.index"] = torch.arange(-3, 3, dtype=torch.int32)
    mixed["long.count"] = torch.tensor([2 ** 40, -5], dtype=torch.int64)
    save(mixed, "mixed_dtypes.pt")
    expected["mixed_dtypes.pt"] = expect(mixed, has_optimizer_state=False)

    half = collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in base.items())
    save(half, "half.pt")
    expected["half.pt"] = expect(half, has_optimizer_state=False)

    big = torch.randn(6, 4)
    views = collections.OrderedDict()
    views["offset.rows"] = big[2:5]            # storage offset 8, contiguous
    views["transposed"] = big.t()              # stride (1, 4), non-contiguous
    views["strided.cols"] = big[1:, ::2]       # offset 4, stride (4, 2)
    views["full"] = big                        # shares the storage
    views["expanded"] = torch.randn(3, 1).expand(3, 4)  # stride (1, 0)
    save(views, "views.pt")
    expected["views.pt"] = expect(views, has_optimizer_state=False)

    params = collections.OrderedDict()
    params["a.weight"] = torch.nn.Parameter(torch.randn(2, 3))
    params["a.bias"] = torch.randn(3)
    params["a.count"] = torch.tensor(3)
    torch.save(params, "params_proto4.pt", pickle_protocol=4)
    expected["params_proto4.pt"] = expect(
        collections.OrderedDict((k, v.detach()) for k, v in params.items()), has_optimizer_state=False)

    meta = {"format": "pt", "variant": "tiny"}
    for dt in ("F32", "F16", "BF16"):
        name = "st_%s.safetensors" % dt.lower()
        conv = write_safetensors(name, base, dt, meta)
        expected[name] = expect(conv, has_optimizer_state=False, meta=meta)

    expected["conversion"] = conversion_vectors()
    with open("expected.json", "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
