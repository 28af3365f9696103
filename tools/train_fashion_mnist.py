#!/usr/bin/env python3
"""Train a small custom LowFormer on Fashion-MNIST and export it for the Go engine.

The model is written from /work/shared/spec/lowformer.md (sections 2-3) with module names that
give exactly the official state-dict key scheme (spec section 5), so model.DetectConfig infers
its configuration from keys and shapes. Images go through the same preprocessing the Go side
applies at inference (preprocess.Tensor): the 28x28 gray image as RGB, shorter side resized to
ceil(r/0.95) with Pillow's bicubic, center crop r, ToTensor and ImageNet Normalize.

Outputs (under --out, default pretrained/):
  fashion_mnist.safetensors      F32 weights + I64 num_batches_tracked, metadata: labels,
                                 lowformer.config, input_size, dataset
  testdata/torch_preds.bin       uint8 argmax of the PyTorch model, all 10000 test images
  testdata/torch_logits.f32      float32 logits [300,10] of the sample images
  fashion_mnist_samples.bin      uint8 [300,28,28], test images 0..299 (embedded by pretrained.go)
  fashion_mnist_sample_labels.bin uint8 [300], their ground-truth labels
  testdata/preprocessed.f32      float32 [3,3,r,r], the normalized inputs of test images 0..2
  testdata/train_info.json       parameters, accuracies and training time of the run

Needs Debian's python3-torch, python3-numpy, python3-pil and dataset-fashion-mnist
(apt-get install dataset-fashion-mnist). Runs on the CPU.
Usage: /usr/bin/python3 tools/train_fashion_mnist.py [--epochs 5] [--threads 1]
       /usr/bin/python3 tools/train_fashion_mnist.py --export-only   # test data from the committed weights
"""
import argparse, gzip, json, math, os, struct, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

DATA = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
NSAMPLES = 300  # test images 0..NSAMPLES-1 are committed as the Go sample set
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

# The custom architecture: every width and head width a multiple of 4; stages 3-4 use
# attention+MLP LowFormer blocks with nh = max(1, (C/2)//30) heads of hd = (C//nh)/2:
# C = 64 -> 1 head of 32, C = 128 -> 2 heads of 32. Both < 256, so the local module is the
# fused MBConv (3x3 conv with bias + BN, 1x1 conv + BN).
CONFIG = {
    "widths": [8, 16, 32, 64, 96],
    "depths": [0, 1, 1, 1, 1],
    "stem_expand": 2,
    "stage12_expand": 4,
    "stage34_expand": 4,
    "head": [128, 128],
    "attention": True,
    "mlp": True,
    "classes": 10,
}


# ----------------------------------------------------------------------------------------------
# data


def read_idx(path):
    """Reads a gzipped idx file (idx3 images or idx1 labels) into a uint8 array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def preprocess_u8(img28, r):
    """The Go preprocess.Unnormalized of one 28x28 gray image: [r, r] uint8 (all three RGB
    planes are equal). Resize the shorter side to ceil(r/0.95) with PIL bicubic (torchvision
    Resize), then CenterCrop r with offsets round((s-r)/2)."""
    s = int(math.ceil(r / 0.95))
    im = Image.fromarray(img28, mode="L").convert("RGB").resize((s, s), Image.BICUBIC)
    o = int(round((s - r) / 2.0))
    a = np.asarray(im.crop((o, o, o + r, o + r)))
    return a[:, :, 0].copy()


def preprocess_all(images, r, cache):
    """Preprocesses every image (uint8 [N, r, r]), cached in a .npy file."""
    if cache and os.path.exists(cache):
        arr = np.load(cache)
        if arr.shape == (len(images), r, r):
            return arr
    s = int(math.ceil(r / 0.95))
    o = int(round((s - r) / 2.0))
    out = np.empty((len(images), r, r), dtype=np.uint8)
    for i, img in enumerate(images):
        # Resizing the L image equals resizing its RGB copy band by band; checked below.
        im = Image.fromarray(img, mode="L").resize((s, s), Image.BICUBIC)
        out[i] = np.asarray(im)[o:o + r, o:o + r]
    for i in range(0, len(images), max(1, len(images) // 7)):
        assert np.array_equal(out[i], preprocess_u8(images[i], r)), "L and RGB resize differ"
    if cache:
        np.save(cache, out)
    return out


def to_input(u8):
    """uint8 [N, r, r] -> normalized float32 [N, 3, r, r], rounded in float32 at each step
    like torchvision ToTensor + Normalize and the Go preprocess.Tensor."""
    x = torch.from_numpy(u8).float().div(255.0).unsqueeze(1).expand(-1, 3, -1, -1)
    mean = torch.from_numpy(MEAN).view(1, 3, 1, 1)
    std = torch.from_numpy(STD).view(1, 3, 1, 1)
    return (x - mean) / std


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
    def __init__(self, cin, cout, stride, expand, spatial_bias=False):
        super().__init__()
        mid = round(cin * expand)
        self.spatial_conv = ConvLayer(cin, mid, 3, stride, bias=spatial_bias)
        self.point_conv = ConvLayer(mid, cout, 1, act=False)

    def forward(self, x):
        return self.point_conv(self.spatial_conv(x))


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
        self.nh = int(max(1, (c * 0.5) // 30))
        self.hd = int((c // self.nh) * 0.5)
        self.stride = stride
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
    """B-series block: x + Attn(GN(x)); x + MLP(x); x + Local(x). Keys .total.0.{0,1}.main.*,
    .total.1.main.*."""

    def __init__(self, c, att_stride):
        super().__init__()
        attn = Block(nn.Sequential(nn.GroupNorm(1, c), ConvAttention(c, att_stride)), True)
        mlp = Block(nn.Sequential(nn.GroupNorm(1, c), nn.Conv2d(c, 4 * c, 1), nn.GELU(),
                                  nn.Conv2d(4 * c, c, 1)), True)
        assert c < 256, "this script builds only the fused local module"
        local = Block(FusedMBConv(c, c, 1, 4, spatial_bias=True), True)
        self.total = nn.Sequential(nn.Sequential(attn, mlp), local)

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
            ops += [LowFormerBlock(W[s + 1], 2 if s == 2 else 1) for _ in range(D[s + 1])]
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
        self.backbone = Backbone(cfg)
        h0, h1 = cfg["head"]
        self.head = OpList([ConvLayer(cfg["widths"][4], h0, 1), Pool(),
                            Linear(h0, h1, False, True), Linear(h1, cfg["classes"], True, False)])

    def forward(self, x):
        return self.head(self.backbone(x))


# ----------------------------------------------------------------------------------------------
# safetensors


def write_safetensors(path, sd, meta):
    """Writes sd (name -> tensor) as safetensors: 8-byte LE header length, JSON header,
    then the raw little-endian data in header order."""
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


# ----------------------------------------------------------------------------------------------
# training


def evaluate(model, u8, bs=500):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(u8), bs):
            out.append(model(to_input(u8[i:i + bs])))
    return torch.cat(out)


def read_safetensors(path):
    """Reads a safetensors file written by write_safetensors: (state dict, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    n, = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    base, sd = 8 + n, {}
    for k, e in header.items():
        b, end = e["data_offsets"]
        dt = {"F32": "<f4", "I64": "<i8"}[e["dtype"]]
        sd[k] = torch.from_numpy(np.frombuffer(raw[base + b:base + end], dtype=dt).copy()).reshape(e["shape"])
    return sd, meta


def train(model, ptr, ytr, pte, yte, args):
    """AdamW with warmup + cosine decay, label smoothing 0.1, random horizontal flips.
    Returns the training time in seconds."""
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    steps_per_epoch = len(ptr) // args.batch
    total = steps_per_epoch * args.epochs
    warm = max(1, min(300, total // 10))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: (i + 1) / warm if i < warm else 0.5 * (1 + math.cos(math.pi * (i - warm) / max(1, total - warm))))
    ytr_t = torch.from_numpy(ytr)
    t1 = time.time()
    for ep in range(args.epochs):
        model.train()
        perm = np.random.permutation(len(ptr))
        loss_sum, correct = 0.0, 0
        for b in range(steps_per_epoch):
            idx = perm[b * args.batch:(b + 1) * args.batch]
            x = to_input(ptr[idx])
            flip = torch.rand(len(idx)) < 0.5  # horizontal flip augmentation
            x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
            y = ytr_t[idx]
            logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item()
            correct += (logits.argmax(1) == y).sum().item()
            if args.bench and b == 19:
                dt = (time.time() - t1) / 20
                print(f"bench: {dt*1000:.0f} ms/step, epoch ~{dt*steps_per_epoch/60:.1f} min")
                sys.exit(0)
            if b % 100 == 0:
                print(f"ep {ep} step {b}/{steps_per_epoch} loss {loss.item():.3f} lr {sched.get_last_lr()[0]:.2e} "
                      f"t {time.time()-t1:.0f}s", flush=True)
        acc = (evaluate(model, pte).argmax(1).numpy() == yte).mean()
        print(f"epoch {ep}: train loss {loss_sum/steps_per_epoch:.4f} train acc {correct/(steps_per_epoch*args.batch):.4f} "
              f"test acc {acc:.4f} time {time.time()-t1:.0f}s", flush=True)
    return time.time() - t1


def export_testdata(model, pte, xte, yte, out, r):
    """Writes the PyTorch predictions, the sample set and the preprocessing check. Returns the
    test accuracy and the sample-set accuracy."""
    logits = evaluate(model, pte)
    pred = logits.argmax(1).numpy().astype(np.uint8)
    os.makedirs(f"{out}/testdata", exist_ok=True)
    pred.tofile(f"{out}/testdata/torch_preds.bin")
    logits[:NSAMPLES].numpy().astype("<f4").tofile(f"{out}/testdata/torch_logits.f32")
    xte[:NSAMPLES].astype(np.uint8).tofile(f"{out}/fashion_mnist_samples.bin")
    yte[:NSAMPLES].astype(np.uint8).tofile(f"{out}/fashion_mnist_sample_labels.bin")
    # The normalized inputs of test images 0..2 ([3, 3, r, r] float32) for the Go check of
    # preprocess.Tensor against this PIL pipeline.
    to_input(np.stack([preprocess_u8(xte[i], r) for i in range(3)])).numpy().astype("<f4").tofile(
        f"{out}/testdata/preprocessed.f32")
    return float((pred == yte).mean()), float((pred[:NSAMPLES] == yte[:NSAMPLES]).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=48, help="input resolution r")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pretrained"))
    ap.add_argument("--cache", default="/tmp/fmnist_cache")
    ap.add_argument("--bench", action="store_true", help="time a few training steps and exit")
    ap.add_argument("--export-only", action="store_true",
                    help="load OUT/fashion_mnist.safetensors instead of training; rewrite only the test data")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    r = args.size
    out = os.path.abspath(args.out)

    t0 = time.time()
    os.makedirs(args.cache, exist_ok=True)
    xte = read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz")
    yte = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    pte = preprocess_all(xte, r, f"{args.cache}/test_r{r}.npy")
    model = LowFormer(CONFIG)
    nparam = sum(p.numel() for p in model.parameters())
    print(f"params: {nparam}", flush=True)

    if args.export_only:
        sd, meta = read_safetensors(f"{out}/fashion_mnist.safetensors")
        if int(meta["input_size"]) != r:
            sys.exit(f"the model was trained at input size {meta['input_size']}, not {r}")
        model.load_state_dict(sd, strict=True)
        acc, sacc = export_testdata(model, pte, xte, yte, out, r)
        print(f"test accuracy {acc:.4f} (file says {meta.get('test_accuracy')}), samples {sacc:.4f}")
        return

    xtr = read_idx(f"{DATA}/train-images-idx3-ubyte.gz")
    ytr = read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64)
    ptr = preprocess_all(xtr, r, f"{args.cache}/train_r{r}.npy")
    print(f"data: train {ptr.shape} test {pte.shape} preprocessed in {time.time()-t0:.1f}s", flush=True)
    train_time = train(model, ptr, ytr, pte, yte, args)
    model.eval()
    acc, sacc = export_testdata(model, pte, xte, yte, out, r)
    print(f"final test accuracy {acc:.4f}, training time {train_time:.0f}s", flush=True)
    meta = {
        "labels": json.dumps(LABELS),
        "lowformer.config": json.dumps(CONFIG),
        "input_size": str(r),
        "dataset": "fashion-mnist",
        "test_accuracy": f"{acc:.4f}",
    }
    write_safetensors(f"{out}/fashion_mnist.safetensors", model.state_dict(), meta)
    info = {"params": nparam, "test_accuracy": acc, "sample_accuracy": sacc, "train_seconds": round(train_time),
            "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "size": r, "seed": args.seed,
            "threads": args.threads, "config": CONFIG}
    with open(f"{out}/testdata/train_info.json", "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
