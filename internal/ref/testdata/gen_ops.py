#!/usr/bin/env python3
"""Generates ops.json: small odd-shaped cases for every internal/ref op, with
outputs computed by torch (float64) from float32 inputs.

Run from this folder with Debian's python3-torch:  /usr/bin/python3 gen_ops.py

Layouts in the file: "x" and "residual" NCHW (the Go test converts them with
FromNCHW), weights already in the Go layouts (dense conv [k][k][Cin][Cout],
depthwise [k][k][C], ConvTranspose [4][4][Cin][Cout], linear [K][N]), "out"
NCHW (or [N, C] for MeanPool/Linear/LayerNorm)."""
import json, math
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
ACTS = {"none": lambda t: t,
        "hswish": lambda t: t * torch.clamp(t + 3, 0, 6) / 6,
        "gelu": lambda t: 0.5 * t * (1 + torch.erf(t / math.sqrt(2)))}


def rnd(*shape, scale=1.0, shift=0.0):
    """float32-representable random values, returned as float64."""
    return (torch.randn(*shape) * scale + shift).float().double()


def flat(t):
    """float32 values with 9 significant digits (enough to round-trip)."""
    return [float("%.9g" % v) for v in t.float().reshape(-1).tolist()]


def conv_case(name, n, cin, h, w, cout, k, stride, act, bias, residual, depthwise=False):
    x = rnd(n, cin, h, w, scale=2.0)
    if depthwise:
        wt = rnd(cin, 1, k, k, scale=1 / k)
        gw = wt[:, 0].permute(1, 2, 0)  # [k][k][C]
    else:
        wt = rnd(cout, cin, k, k, scale=1 / math.sqrt(cin * k * k))
        gw = wt.permute(2, 3, 1, 0)  # [k][k][Cin][Cout]
    b = rnd(cout) if bias else None
    y = F.conv2d(x, wt, b, stride=stride, padding=k // 2, groups=cin if depthwise else 1)
    y = ACTS[act](y.float().double())
    case = {"name": name, "op": "depthwise" if depthwise else "conv", "k": k, "stride": stride,
            "cout": cout, "act": act, "x_shape": [n, cin, h, w], "x": flat(x), "w": flat(gw)}
    if b is not None:
        case["bias"] = flat(b)
    if residual:
        r = rnd(*y.shape)
        y = y + r
        case["residual"] = flat(r)
    case["out_shape"] = list(y.shape)
    case["out"] = flat(y)
    return case


def convt_case(name, n, cin, h, w, cout, crop_h, crop_w, bias, residual):
    x = rnd(n, cin, h, w)
    wt = rnd(cin, cout, 4, 4, scale=0.3)  # torch layout [in, out, kH, kW]
    b = rnd(cout) if bias else None
    y = F.conv_transpose2d(x, wt, b, stride=2, padding=1)[:, :, :crop_h, :crop_w]
    case = {"name": name, "op": "convt", "cout": cout, "crop_h": crop_h, "crop_w": crop_w,
            "x_shape": [n, cin, h, w], "x": flat(x), "w": flat(wt.permute(2, 3, 0, 1))}
    if b is not None:
        case["bias"] = flat(b)
    if residual:
        r = rnd(*y.shape)
        y = y + r
        case["residual"] = flat(r)
    case["out_shape"] = list(y.shape)
    case["out"] = flat(y)
    return case


def attention_case(name, n, heads, hd, h, w):
    x = rnd(n, heads * 3 * hd, h, w)
    L = h * w
    qkv = x.reshape(n, heads, 3, hd, L)  # channel = head*3*hd + part*hd + d
    q, k, v = (qkv[:, :, i].transpose(-1, -2) for i in range(3))
    a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), dim=-1)
    o = (a @ v).transpose(-1, -2).reshape(n, heads * hd, h, w)
    return {"name": name, "op": "attention", "heads": heads, "head_dim": hd,
            "x_shape": [n, heads * 3 * hd, h, w], "x": flat(x),
            "out_shape": list(o.shape), "out": flat(o)}


def groupnorm_case(name, n, c, h, w):
    x = rnd(n, c, h, w, scale=3.0, shift=1.5)
    g, b = rnd(c, shift=1.0), rnd(c)
    y = F.group_norm(x, 1, g, b, eps=1e-5)
    return {"name": name, "op": "groupnorm", "x_shape": [n, c, h, w], "x": flat(x),
            "gamma": flat(g), "beta": flat(b), "out_shape": list(y.shape), "out": flat(y)}


def meanpool_case(name, n, c, h, w):
    x = rnd(n, c, h, w, shift=0.5)
    y = x.mean(dim=(2, 3))
    return {"name": name, "op": "meanpool", "x_shape": [n, c, h, w], "x": flat(x),
            "out_shape": list(y.shape), "out": flat(y)}


def linear_case(name, n, k, m, act, bias):
    x = rnd(n, k, 1, 1)
    wt = rnd(m, k, scale=1 / math.sqrt(k))  # torch layout [out, in]
    b = rnd(m) if bias else None
    y = ACTS[act](F.linear(x.reshape(n, k), wt, b).float().double())
    case = {"name": name, "op": "linear", "n": m, "act": act, "x_shape": [n, k, 1, 1],
            "x": flat(x), "w": flat(wt.t())}
    if b is not None:
        case["bias"] = flat(b)
    case["out_shape"] = list(y.shape)
    case["out"] = flat(y)
    return case


def layernorm_case(name, n, c, act):
    x = rnd(n, c, 1, 1, scale=2.0, shift=-0.7)
    g, b = rnd(c, shift=1.0), rnd(c)
    y = F.layer_norm(x.reshape(n, c), (c,), g, b, eps=1e-5)
    y = ACTS[act](y.float().double())
    return {"name": name, "op": "layernorm", "act": act, "x_shape": [n, c, 1, 1], "x": flat(x),
            "gamma": flat(g), "beta": flat(b), "out_shape": list(y.shape), "out": flat(y)}


cases = [
    conv_case("conv k3 s1 bias hswish residual", 2, 5, 7, 6, 6, 3, 1, "hswish", True, True),
    conv_case("conv k3 s2 odd", 2, 3, 9, 7, 4, 3, 2, "none", False, False),
    conv_case("conv k1 gelu bias", 1, 7, 5, 3, 9, 1, 1, "gelu", True, False),
    conv_case("conv k5 s2 residual", 1, 4, 6, 5, 3, 5, 2, "none", True, True),
    conv_case("depthwise k3 s1 bias hswish", 2, 6, 5, 7, 6, 3, 1, "hswish", True, False, depthwise=True),
    conv_case("depthwise k5 s2", 1, 5, 9, 6, 5, 5, 2, "none", False, False, depthwise=True),
    conv_case("depthwise k3 s1 residual", 1, 4, 4, 3, 4, 3, 1, "none", True, True, depthwise=True),
    convt_case("convt full", 2, 6, 4, 3, 5, 8, 6, True, False),
    convt_case("convt crop residual", 1, 3, 3, 4, 7, 5, 7, True, True),
    convt_case("convt no bias", 1, 4, 2, 2, 4, 4, 3, False, False),
    attention_case("attention 2 heads", 2, 2, 3, 3, 4),
    attention_case("attention 3 heads odd", 1, 3, 5, 2, 5),
    groupnorm_case("groupnorm", 2, 5, 3, 4),
    meanpool_case("meanpool", 2, 6, 3, 5),
    linear_case("linear bias hswish", 2, 7, 5, "hswish", True),
    linear_case("linear no bias wide", 1, 5, 300, "none", False),
    layernorm_case("layernorm hswish", 2, 9, "hswish"),
    layernorm_case("layernorm", 1, 6, "none"),
]
with open("ops.json", "w") as f:
    json.dump(cases, f, separators=(",", ":"))
