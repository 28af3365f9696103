"""LowFormer in PyTorch for training, with the Go engine's preprocessing and checkpoint format.

Shared by train_fashion_mnist.py and train_lowformer.py. The model is written from
/work/shared/spec/lowformer.md (sections 2-3) with module paths that give exactly the official
state-dict key scheme (spec section 5), so model.DetectConfig on the Go side infers the
configuration from keys and shapes. It covers every released layout: B-series blocks
(GroupNorm + attention + MLP), E3 (attention without GroupNorm, no MLP), E1/E2 (local module
only), the fused local module for C < 256 and the MBConv one for C >= 256.

A configuration is a dict with the JSON keys of the Go model.Config: widths (W0..W4), depths
(D0..D4), stem_expand, stage12_expand, stage34_expand, head ([h0, h1]), attention, mlp, classes.
"""
import json, math, struct, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
try:
    from PIL import Image  # only the image helpers need it
except ImportError:  # e.g. scripts/gpu-check.sh on a machine with torch alone
    Image = None

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
CROP_RATIO = 0.95


# The keys of a configuration, in the Go model.Config's JSON order.
CONFIG_KEYS = ("widths", "depths", "stem_expand", "stage12_expand", "stage34_expand", "head", "attention", "mlp",
               "classes")


def _cfg(widths, depths, e12, e34, head, attention=True, mlp=True, stem_expand=2):
    return {"widths": list(widths), "depths": list(depths), "stem_expand": stem_expand,
            "stage12_expand": e12, "stage34_expand": e34, "head": list(head),
            "attention": attention, "mlp": mlp, "classes": 1000}


# Architecture presets. tiny is the Fashion-MNIST model (1.0 M parameters with 10 classes);
# small (7.1 M) is twice as wide, with two blocks in stages 2-4; the others are the released
# variants (spec section 1).
# stem_expand only matters with stem blocks (D0 > 0); it is 2 otherwise, as detect_config says.
PRESETS = {
    "tiny": _cfg([8, 16, 32, 64, 96], [0, 1, 1, 1, 1], 4, 4, [128, 128]),
    "small": _cfg([16, 32, 64, 128, 192], [0, 1, 2, 2, 2], 4, 4, [256, 256]),
    "b0": _cfg([16, 32, 64, 128, 256], [0, 1, 1, 3, 4], 4, 4, [1536, 1600]),
    "b1": _cfg([16, 32, 64, 128, 256], [0, 1, 1, 5, 5], 6, 6, [1536, 1600]),
    "b15": _cfg([20, 40, 80, 160, 320], [0, 1, 1, 6, 6], 6, 6, [2304, 2560]),
    "b3": _cfg([32, 64, 128, 256, 512], [1, 2, 3, 6, 6], 6, 6, [1536, 1600], stem_expand=4),
    "E1": _cfg([20, 40, 80, 160, 320], [0, 1, 1, 4, 4], 6, 6, [2304, 2560], False, False),
    "E2": _cfg([32, 64, 128, 256, 512], [1, 2, 3, 4, 4], 6, 6, [1536, 1600], False, False, stem_expand=4),
    "E3": _cfg([32, 64, 128, 256, 512], [1, 2, 3, 6, 6], 6, 6, [1536, 1600], True, False, stem_expand=4),
}


def attention_heads(c):
    """Heads and head size of the attention of a stage of width c (spec 2.1)."""
    nh = int(max(1, (c * 0.5) // 30))
    return nh, int((c // nh) * 0.5)


def check_config(cfg):
    """Raises ValueError, saying what is wrong, for a configuration the Go engine refuses
    (model.Config.Validate)."""
    W, D = cfg["widths"], cfg["depths"]
    if len(W) != 5 or len(D) != 5 or len(cfg["head"]) != 2:
        raise ValueError(f"want 5 widths, 5 depths and 2 head widths, got {W}, {D}, {cfg['head']}")
    for name, vals in (("width", W), ("head width", cfg["head"])):
        for v in vals:
            if v < 4 or v % 4:
                raise ValueError(f"{name} {v} must be a positive multiple of 4 (got {vals})")
    if min(D) < 0 or D[1] < 1 or D[2] < 1:
        raise ValueError(f"depths {D}: D1 and D2 count the stride-2 block and must be >= 1, others >= 0")
    if cfg["mlp"] and not cfg["attention"]:
        raise ValueError("mlp without attention is not a LowFormer block layout")
    if cfg["attention"]:
        for c in W[3:]:
            nh, hd = attention_heads(c)
            if hd % 4:
                raise ValueError(f"width {c} gives {nh} attention heads of size {hd}, not a multiple of 4")
    if cfg["classes"] < 1:
        raise ValueError(f"class count {cfg['classes']} must be positive")


# ----------------------------------------------------------------------------------------------
# model (spec sections 2-3; module paths give the official state-dict keys)


class ConvLayer(nn.Module):
    """conv (.conv) -> optional BN (.norm) -> optional hswish."""

    def __init__(self, cin, cout, k=3, stride=1, groups=1, bias=False, norm=True, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=bias)
        self.norm = nn.BatchNorm2d(cout) if norm else None
        self.act = nn.Hardswish() if act else None

    def forward(self, x):
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        return self.act(x) if self.act is not None else x


class FusedMBConv(nn.Module):
    """3x3 conv (+BN, hswish) expanding to round(cin*expand), 1x1 conv + BN to cout."""

    def __init__(self, cin, cout, stride, expand, spatial_bias=False):
        super().__init__()
        mid = round(cin * expand)
        self.spatial_conv = ConvLayer(cin, mid, 3, stride, bias=spatial_bias)
        self.point_conv = ConvLayer(mid, cout, 1, act=False)

    def forward(self, x):
        return self.point_conv(self.spatial_conv(x))


class MBConv(nn.Module):
    """The local module for C >= 256: 1x1 (bias) hswish, depthwise 3x3 (bias) hswish,
    1x1 + BN; the first two without norm."""

    def __init__(self, c, expand=4):
        super().__init__()
        mid = c * expand
        self.inverted_conv = ConvLayer(c, mid, 1, bias=True, norm=False)
        self.depth_conv = ConvLayer(mid, mid, 3, groups=mid, bias=True, norm=False)
        self.point_conv = ConvLayer(mid, c, 1, act=False)

    def forward(self, x):
        return self.point_conv(self.depth_conv(self.inverted_conv(x)))


class Block(nn.Module):
    """x + main(x) when residual, else main(x): the official ResidualBlock (keys .main.*)."""

    def __init__(self, main, residual):
        super().__init__()
        self.main = main
        self.residual = residual

    def forward(self, x):
        return x + self.main(x) if self.residual else self.main(x)


class OpList(nn.Module):
    def __init__(self, ops):
        super().__init__()
        self.op_list = nn.ModuleList(ops)

    def forward(self, x):
        for op in self.op_list:
            x = op(x)
        return x


class ConvAttention(nn.Module):
    """Lowtention (spec 2.1): depthwise k x k stride s + BN, 1x1 qkv (no bias), softmax attention
    with channels grouped [head][q|k|v][d], dense ConvTranspose output, top-left crop."""

    def __init__(self, c, stride):
        super().__init__()
        self.nh, self.hd = attention_heads(c)
        k = 5 if stride == 2 else 3
        a = self.nh * self.hd
        self.conv_proj = nn.Sequential(nn.Conv2d(c, c, k, stride, k // 2, groups=c, bias=False),
                                       nn.BatchNorm2d(c))
        self.pwise = nn.Sequential(nn.Conv2d(c, 3 * a, 1, bias=False))
        if stride == 2:
            self.upsampling = nn.ConvTranspose2d(a, c, 4, 2, 1)
        else:
            self.upsampling = nn.ConvTranspose2d(a, c, 3, 1, 1)

    def forward(self, x):
        n, c, H, W = x.shape
        qkv = self.pwise(self.conv_proj(x))
        h, w = qkv.shape[-2:]
        qkv = qkv.reshape(n, self.nh, 3 * self.hd, h * w).transpose(-1, -2)
        q, k, v = qkv.split(self.hd, dim=-1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd), dim=-1)
        o = (att @ v).transpose(-1, -2).reshape(n, self.nh * self.hd, h, w)
        return self.upsampling(o)[:, :, :H, :W]


class LowFormerBlock(nn.Module):
    """total = Sequential(context, local) (spec 2.2). B-series context: x + Attn(GN(x)) then
    x + MLP(x) (keys .total.0.{0,1}.main.*); E3: x + Attn(x) (.total.0.main.*); E1/E2: none.
    Local: x + FusedMBConv (C < 256) or x + MBConv (.total.1.main.*)."""

    def __init__(self, c, att_stride, attention, mlp):
        super().__init__()
        if mlp:
            attn = Block(nn.Sequential(nn.GroupNorm(1, c), ConvAttention(c, att_stride)), True)
            ffn = Block(nn.Sequential(nn.GroupNorm(1, c), nn.Conv2d(c, 4 * c, 1), nn.GELU(),
                                      nn.Conv2d(4 * c, c, 1)), True)
            context = nn.Sequential(attn, ffn)
        elif attention:
            context = Block(ConvAttention(c, att_stride), True)
        else:
            context = nn.Identity()
        local = FusedMBConv(c, c, 1, 4, spatial_bias=True) if c < 256 else MBConv(c)
        self.total = nn.Sequential(context, Block(local, True))

    def forward(self, x):
        return self.total(x)


class Linear(nn.Module):
    def __init__(self, cin, cout, bias, norm):
        super().__init__()
        self.linear = nn.Linear(cin, cout, bias=bias)
        self.norm = nn.LayerNorm(cout) if norm else None
        self.act = nn.Hardswish() if norm else None

    def forward(self, x):
        x = self.linear(x)
        return self.act(self.norm(x)) if self.norm is not None else x


class Pool(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


class Backbone(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        W, D = cfg["widths"], cfg["depths"]
        stem = [ConvLayer(3, W[0], 3, 2)]
        stem += [Block(FusedMBConv(W[0], W[0], 1, cfg["stem_expand"]), True) for _ in range(D[0])]
        self.input_stem = OpList(stem)
        stages = []
        for s in range(2):
            ops = [Block(FusedMBConv(W[s], W[s + 1], 2, cfg["stage12_expand"]), False)]
            ops += [Block(FusedMBConv(W[s + 1], W[s + 1], 1, 4), True) for _ in range(D[s + 1] - 1)]
            stages.append(OpList(ops))
        for s in (2, 3):
            ops = [Block(FusedMBConv(W[s], W[s + 1], 2, cfg["stage34_expand"]), False)]
            ops += [LowFormerBlock(W[s + 1], 2 if s == 2 else 1, cfg["attention"], cfg["mlp"])
                    for _ in range(D[s + 1])]
            stages.append(OpList(ops))
        self.stages = nn.ModuleList(stages)

    def forward(self, x):
        x = self.input_stem(x)
        for st in self.stages:
            x = st(x)
        return x


class LowFormer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        check_config(cfg)
        self.backbone = Backbone(cfg)
        h0, h1 = cfg["head"]
        self.head = OpList([ConvLayer(cfg["widths"][4], h0, 1), Pool(),
                            Linear(h0, h1, False, True), Linear(h1, cfg["classes"], True, False)])

    def forward(self, x):
        return self.head(self.backbone(x))


# The last linear layer: re-initialized when fine-tuning for other classes.
CLASSIFIER_KEYS = ("head.op_list.3.linear.weight", "head.op_list.3.linear.bias")


def detect_config(sd):
    """Infers the configuration of a LowFormer state dict from its keys and shapes, as the
    Go model.DetectConfig does. Raises ValueError naming a missing key."""
    def dim(key, i):
        if key not in sd:
            raise ValueError(f"not a LowFormer state dict: no tensor {key}")
        return int(sd[key].shape[i])

    def ratio(key, cin):
        mid = dim(key, 0)
        if mid % cin:
            raise ValueError(f"{key}: {mid} channels are not a multiple of the input width {cin}")
        return mid // cin

    W0 = dim("backbone.input_stem.op_list.0.conv.weight", 0)
    d0 = 0
    while f"backbone.input_stem.op_list.{d0 + 1}.main.spatial_conv.conv.weight" in sd:
        d0 += 1
    cfg = {"widths": [W0], "depths": [d0], "stem_expand": 2}
    if d0:
        cfg["stem_expand"] = ratio("backbone.input_stem.op_list.1.main.spatial_conv.conv.weight", W0)
    expand = []
    for s in range(4):
        pre = f"backbone.stages.{s}.op_list."
        cfg["widths"].append(dim(pre + "0.main.point_conv.conv.weight", 0))
        expand.append(ratio(pre + "0.main.spatial_conv.conv.weight", cfg["widths"][s]))
        block = pre + ("{}.main.point_conv.conv.weight" if s < 2 else "{}.total.1.main.point_conv.conv.weight")
        n = 1
        while block.format(n) in sd:
            n += 1
        cfg["depths"].append(n if s < 2 else n - 1)
    if expand[1] != expand[0] or expand[3] != expand[2]:
        raise ValueError(f"stride-2 expand ratios {expand} are not one for stages 1-2 and one for stages 3-4")
    cfg["stage12_expand"], cfg["stage34_expand"] = expand[0], expand[2]
    cfg["attention"] = cfg["mlp"] = False
    for s in (2, 3):
        if cfg["depths"][s + 1]:
            pre = f"backbone.stages.{s}.op_list.1.total.0."
            cfg["mlp"] = pre + "0.main.1.pwise.0.weight" in sd
            cfg["attention"] = cfg["mlp"] or pre + "main.pwise.0.weight" in sd
            break
    cfg["head"] = [dim("head.op_list.0.conv.weight", 0), dim("head.op_list.2.linear.weight", 0)]
    cfg["classes"] = dim(CLASSIFIER_KEYS[0], 0)
    check_config(cfg)
    return {k: cfg[k] for k in CONFIG_KEYS}


# ----------------------------------------------------------------------------------------------
# preprocessing: the Go preprocess.Tensor (torchvision Resize(ceil(r/0.95)) bicubic,
# CenterCrop(r), ToTensor, Normalize with the ImageNet mean/std)


def resize_short_side(r):
    """The side the shorter image side is resized to for crop size r."""
    return int(math.ceil(r / CROP_RATIO))


def resized_size(w, h, s):
    """torchvision Resize(s) output (width, height): the shorter side becomes s and the longer
    int(s * long / short)."""
    if w <= h:
        return s, int(s * h / w)
    return int(s * w / h), s


def crop_offset(n, r):
    """torchvision CenterCrop offset: int(round((n - r) / 2)), round half to even."""
    return int(round((n - r) / 2.0))


def load_rgb(path):
    """Opens an image file as Pillow RGB (alpha dropped, not composited; EXIF orientation
    ignored), as the Go decoder does."""
    with Image.open(path) as im:
        return im.convert("RGB")


def resize_rgb(im, r):
    """im resized so that its shorter side is ceil(r/0.95), with Pillow's bicubic."""
    w, h = resized_size(im.width, im.height, resize_short_side(r))
    return im.resize((w, h), Image.BICUBIC)


def eval_crop(im, r):
    """The model input of a Pillow RGB image at resolution r before normalization:
    uint8 [r, r, 3]."""
    im = resize_rgb(im, r)
    x, y = crop_offset(im.width, r), crop_offset(im.height, r)
    return np.asarray(im.crop((x, y, x + r, y + r)))


def to_input(u8):
    """uint8 [N, r, r] (gray, replicated to RGB) or [N, r, r, 3] -> normalized float32
    [N, 3, r, r], rounded in float32 at each step like torchvision ToTensor + Normalize and the
    Go preprocess.Tensor."""
    u8 = np.ascontiguousarray(u8)
    x = torch.from_numpy(u8 if u8.flags.writeable else u8.copy()).float().div(255.0)
    x = x.unsqueeze(1).expand(-1, 3, -1, -1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
    mean = torch.from_numpy(MEAN).view(1, 3, 1, 1)
    std = torch.from_numpy(STD).view(1, 3, 1, 1)
    return (x - mean) / std


# ----------------------------------------------------------------------------------------------
# checkpoints


def write_safetensors(path, sd, meta):
    """Writes sd (name -> tensor) as safetensors: 8-byte LE header length, JSON header,
    then the raw little-endian data in header order. int64 tensors stay I64, others F32."""
    header, blobs, off = {}, [], 0
    for k in sorted(sd):
        t = sd[k].detach().cpu().contiguous()
        if t.dtype == torch.int64:
            dt, b = "I64", t.numpy().astype("<i8").tobytes()
        else:
            dt, b = "F32", t.float().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Reads a safetensors file (F32, F16, BF16, I64 tensors): (state dict, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    n, = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    base, sd = 8 + n, {}
    for k, e in header.items():
        b, end = e["data_offsets"]
        buf = raw[base + b:base + end]
        if e["dtype"] == "BF16":
            a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif e["dtype"] in ("F32", "F16", "I64"):
            a = np.frombuffer(buf, dtype={"F32": "<f4", "F16": "<f2", "I64": "<i8"}[e["dtype"]])
            a = a.astype(np.float32) if e["dtype"] == "F16" else a
        else:
            raise ValueError(f"{path}: tensor {k} has dtype {e['dtype']}, want F32, F16, BF16 or I64")
        sd[k] = torch.from_numpy(a.copy()).reshape(e["shape"])
    return sd, meta


def read_checkpoint(path):
    """Reads a .safetensors file or an official PyTorch checkpoint (evalmodel.pt), the latter
    with torch.load(weights_only=True), so no pickled code runs: (state dict, metadata).
    Raises ValueError when torch's restricted unpickler cannot read the file (torch 1.13's
    refuses the float in an official checkpoint); `lowformer convert` reads it safely."""
    if path.endswith(".safetensors"):
        return read_safetensors(path)
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # the restricted unpickler raises several types
        raise ValueError(f"{path}: torch.load(weights_only=True) cannot read it ({str(e).splitlines()[-1][-100:]}); "
                         f"convert it first: go run ./cmd/lowformer convert -in {path} -out model.safetensors") from None
    sd = ck.get("state_dict", ck) if isinstance(ck, dict) else None
    if not isinstance(sd, dict):
        raise ValueError(f"{path}: not a state dict or a checkpoint with a 'state_dict'")
    out = {}
    for k, v in sd.items():
        k = k[len("module."):] if k.startswith("module.") else k
        k = "head." + k[len("head.opseq."):] if k.startswith("head.opseq.") else k
        out[k] = v
    return out, {}


# ----------------------------------------------------------------------------------------------
# training


def fit(model, n, batch_fn, epochs, batch, lr, end_of_epoch=None, params=None, freeze_backbone=False,
        drop_last=True, bench=False, log_every=100):
    """Trains model with AdamW (weight decay 0.05), linear warm-up (10 % of the steps, at most
    300) then cosine decay, label smoothing 0.1. Each epoch visits a random permutation of the
    n training items in batches; batch_fn(indices) returns the (input, target) tensors.
    end_of_epoch(epoch) returns a string to append to the epoch line. With freeze_backbone
    only the head learns and the backbone's BatchNorm statistics stay fixed. With bench it
    prints the time of 20 steps and returns None. Returns the training time in seconds."""
    if freeze_backbone:
        for p in model.backbone.parameters():
            p.requires_grad_(False)
    params = [p for p in (params or model.parameters()) if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.05)
    steps_per_epoch = n // batch if drop_last else math.ceil(n / batch)
    if steps_per_epoch < 1:
        raise ValueError(f"{n} training images are fewer than one batch of {batch}")
    total = steps_per_epoch * epochs
    warm = max(1, min(300, total // 10))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: (i + 1) / warm if i < warm else 0.5 * (1 + math.cos(math.pi * (i - warm) / max(1, total - warm))))
    t1 = time.time()
    for ep in range(epochs):
        model.train()
        if freeze_backbone:
            model.backbone.eval()
        perm = np.random.permutation(n)
        loss_sum, correct, seen = 0.0, 0, 0
        for b in range(steps_per_epoch):
            idx = perm[b * batch:(b + 1) * batch]
            if len(idx) < 2:  # BatchNorm cannot train on one image of 1x1 features
                continue
            x, y = batch_fn(idx)
            logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(idx)
            if bench and b == 19:
                dt = (time.time() - t1) / 20
                print(f"bench: {dt*1000:.0f} ms/step, epoch ~{dt*steps_per_epoch/60:.1f} min")
                return None
            if b % log_every == 0:
                print(f"ep {ep} step {b}/{steps_per_epoch} loss {loss.item():.3f} lr {sched.get_last_lr()[0]:.2e} "
                      f"t {time.time()-t1:.0f}s", flush=True)
        extra = end_of_epoch(ep) if end_of_epoch else ""
        print(f"epoch {ep}: train loss {loss_sum/max(1, seen):.4f} train acc {correct/max(1, seen):.4f} "
              f"{extra}time {time.time()-t1:.0f}s", flush=True)
    return time.time() - t1


def predict(model, batch_fn, n, bs=256):
    """Eval-mode logits [n, classes] of items 0..n-1, batch_fn(indices) giving their inputs."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, n, bs):
            out.append(model(batch_fn(np.arange(i, min(n, i + bs)))))
    return torch.cat(out) if out else torch.zeros(0)
