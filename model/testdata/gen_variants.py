#!/usr/bin/env python3
"""Generates the per-variant fixtures in variants/: for every released LowFormer
variant, a deterministic synthetic state dict (never written: it is recomputed in
Go from the same formula), a small input, and the logits of the float64
reference forward pass of ../../../shared/spec/reference_forward.py (imported,
not copied).

Run from this folder with Debian's python3-torch:  /usr/bin/python3 gen_variants.py

Outputs, all raw little-endian float32 in C order:
  variants/<v>.keys.tsv              key, shape (this script's own derivation of the
                                     key scheme from spec §3/§5; the Go test checks
                                     ExpectedParams against it)
  variants/input_<H>x<W>.bin         [1,3,H,W] NCHW input (the same for every variant)
  variants/<v>_<H>x<W>.logits.bin    [1,1000] logits (fp64 forward, rounded to f32)
  variants/manifest.json             the list of cases with shapes and logit ranges

Synthetic weights (synthWeights in the Go tests implements the same formula):
  h   = FNV-1a 64 of the key's UTF-8 bytes
  z_i = splitmix64(h + (i+1)·0x9E3779B97F4A7C15)  for element i (C order), mod 2^64,
        splitmix64(z) = z^=z>>30; z*=0xBF58476D1CE4E5B9; z^=z>>27; z*=0x94D049BB133111EB; z^=z>>31
  u_i = (z_i >> 40) / 2^24                         in [0,1), exact in float32 and float64
  value (computed in float64, then rounded to float32):
    num_batches_tracked            0 (int64)
    *.running_var, 1-dim *.weight  0.5 + u                       (BN/GN/LN scales)
    *.running_mean, 1-dim *.bias   (2u - 1) · 0.2                (shifts and conv biases)
    other weights                  (2u - 1) · (gain · sqrt(3 / fan_in))
  fan_in = shape[1]·kH·kW for conv weights, shape[1] for linear weights, and for the
  attention ConvTranspose ("upsampling.weight", [in, out, k, k]) shape[0]·k·k/s² with
  s = 2 for k = 4 and 1 for k = 3. gain = 2 for "pwise" (qkv) weights (attention rows
  with a max probability of about 0.4-0.8), 0.3 for "upsampling" weights (an attention
  branch about 0.3× the residual stream, so that E3, which has no pre-norm, stays
  bounded), else 1.
  The input uses the key "input" with value (2u - 1) · 2.
"""
import importlib.util, json, math, os, sys
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, "..", "..", "..", "shared", "spec", "reference_forward.py")
SHARED = os.path.join(HERE, "..", "..", "..", "shared", "testdata", "lowformer")
OUT = os.path.join(HERE, "variants")
VARIANTS = ["b0", "b1", "b15", "b3", "E1", "E2", "E3"]
SIZES = [(64, 64), (80, 56)]  # (H, W); 80x56 gives odd stage-3 sizes (5x7) and a cropped ConvT


def load_reference():
    argv, sys.argv = sys.argv, [SPEC]  # its module body runs a loop over sys.argv[1:]
    try:
        spec = importlib.util.spec_from_file_location("reference_forward", SPEC)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.argv = argv
    return mod


def expected_keys(cfg):
    """The state-dict keys and shapes of a variant, derived from spec §3 and §5."""
    W, D, se, e12, e34, head, att, mlp = cfg
    out = []

    def bn(pre, c):
        out.extend([(pre + ".weight", [c]), (pre + ".bias", [c]), (pre + ".running_mean", [c]),
                    (pre + ".running_var", [c]), (pre + ".num_batches_tracked", [])])

    def convbn(pre, cin, cout, k, bias=False, norm=True, depthwise=False):
        out.append((pre + ".conv.weight", [cout, 1 if depthwise else cin, k, k]))
        if bias:
            out.append((pre + ".conv.bias", [cout]))
        if norm:
            bn(pre + ".norm", cout)

    def fused(pre, cin, mid, cout, bias=False):
        convbn(pre + ".spatial_conv", cin, mid, 3, bias=bias)
        convbn(pre + ".point_conv", mid, cout, 1)

    convbn("backbone.input_stem.op_list.0", 3, W[0], 3)
    for i in range(D[0]):
        fused(f"backbone.input_stem.op_list.{i+1}.main", W[0], W[0] * se, W[0])
    for s in range(2):
        for i in range(D[s + 1]):
            cin = W[s] if i == 0 else W[s + 1]
            fused(f"backbone.stages.{s}.op_list.{i}.main", cin, cin * (e12 if i == 0 else 4), W[s + 1])
    for s in (2, 3):
        C = W[s + 1]
        fused(f"backbone.stages.{s}.op_list.0.main", W[s], W[s] * e34, C)
        nh = max(1, int((C * 0.5) // 30)); hd = int((C // nh) * 0.5); k = 5 if s == 2 else 3
        for i in range(D[s + 1]):
            pre = f"backbone.stages.{s}.op_list.{i+1}.total"
            if att:
                a = pre + (".0.0.main" if mlp else ".0.main")
                if mlp:
                    out.extend([(a + ".0.weight", [C]), (a + ".0.bias", [C])])
                    a += ".1"
                out.append((a + ".conv_proj.0.weight", [C, 1, k, k]))
                bn(a + ".conv_proj.1", C)
                out.append((a + ".pwise.0.weight", [3 * nh * hd, C, 1, 1]))
                out.extend([(a + ".upsampling.weight", [nh * hd, C, k - 1 if s == 2 else 3, k - 1 if s == 2 else 3]),
                            (a + ".upsampling.bias", [C])])
            if mlp:
                m = pre + ".0.1.main"
                out.extend([(m + ".0.weight", [C]), (m + ".0.bias", [C]), (m + ".1.weight", [4 * C, C, 1, 1]),
                            (m + ".1.bias", [4 * C]), (m + ".3.weight", [C, 4 * C, 1, 1]), (m + ".3.bias", [C])])
            loc = pre + ".1.main"
            if C < 256:
                fused(loc, C, 4 * C, C, bias=True)
            else:
                convbn(loc + ".inverted_conv", C, 4 * C, 1, bias=True, norm=False)
                convbn(loc + ".depth_conv", 4 * C, 4 * C, 3, bias=True, norm=False, depthwise=True)
                convbn(loc + ".point_conv", 4 * C, C, 1)
    convbn("head.op_list.0", W[4], head[0], 1)
    out.extend([("head.op_list.2.linear.weight", [head[1], head[0]]), ("head.op_list.2.norm.weight", [head[1]]),
                ("head.op_list.2.norm.bias", [head[1]]), ("head.op_list.3.linear.weight", [1000, head[1]]),
                ("head.op_list.3.linear.bias", [1000])])
    return out


M64 = (1 << 64) - 1


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def uniforms(key, n):
    """u_i in [0,1) for i < n, as float64."""
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a64(key)) + (np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        z ^= z >> np.uint64(30); z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27); z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)


def synth(key, shape):
    n = int(np.prod(shape)) if shape else 1
    if key.endswith(".num_batches_tracked"):
        return torch.zeros((), dtype=torch.int64)
    u = uniforms(key, n)
    if key.endswith(".running_var") or (len(shape) == 1 and key.endswith(".weight")):
        v = 0.5 + u
    elif key.endswith(".running_mean") or key.endswith(".bias"):
        v = (2.0 * u - 1.0) * 0.2
    else:
        if key.endswith("upsampling.weight"):
            k = shape[2]
            fan = shape[0] * k * k / (4 if k == 4 else 1)
        else:
            fan = int(np.prod(shape[1:]))
        gain = 2.0 if "pwise" in key else (0.3 if "upsampling" in key else 1.0)
        v = (2.0 * u - 1.0) * (gain * math.sqrt(3.0 / fan))
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def check_against_shared(ref):
    for v in ("b0", "E1"):
        path = os.path.join(SHARED, v, "state_dict_keys.tsv")
        if not os.path.exists(path):
            continue
        rows = [l.rstrip("\n").split("\t") for l in open(path)][1:]
        want = [(k, json.loads(s)) for k, s, _ in rows]
        assert expected_keys(ref.CFG[v]) == want, f"expected_keys({v}) differs from {path}"
        print(f"{v}: key list matches {path}")


def main():
    ref = load_reference()
    check_against_shared(ref)
    os.makedirs(OUT, exist_ok=True)
    manifest = []
    for v in VARIANTS:
        keys = expected_keys(ref.CFG[v])
        with open(os.path.join(OUT, f"{v}.keys.tsv"), "w") as f:
            for k, s in keys:
                f.write(f"{k}\t{json.dumps(s)}\n")
        sd = {k: synth(k, s) for k, s in keys}
        sd64 = {k: t.double() if t.is_floating_point() else t for k, t in sd.items()}
        for h, w in SIZES:
            x = torch.from_numpy(((2.0 * uniforms("input", 3 * h * w) - 1.0) * 2.0).astype(np.float32).reshape(1, 3, h, w))
            with torch.no_grad():
                y, unused = ref.forward(sd64, v, x.double())
            assert not unused, f"{v}: unused keys {sorted(unused)[:3]}"
            name, inp = f"{v}_{h}x{w}", f"input_{h}x{w}.bin"
            x.numpy().astype("<f4").tofile(os.path.join(OUT, inp))
            y.float().numpy().astype("<f4").tofile(os.path.join(OUT, name + ".logits.bin"))
            yy = y.float()
            manifest.append({"variant": v, "h": h, "w": w, "input": inp, "input_shape": [1, 3, h, w],
                             "logits": name + ".logits.bin", "logits_shape": list(y.shape),
                             "logits_max_abs": round(yy.abs().max().item(), 4), "logits_std": round(yy.std().item(), 4)})
            print(name, "keys", len(keys), "logits max-abs %.3f std %.3f" % (yy.abs().max().item(), yy.std().item()))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
