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
import argparse, gzip, json, os, struct, sys, time
import numpy as np
import torch
from PIL import Image

from lowformer_torch import (PRESETS, LowFormer, crop_offset, eval_crop, fit, predict, read_safetensors,
                             resize_short_side, to_input, write_safetensors)

DATA = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
NSAMPLES = 300  # test images 0..NSAMPLES-1 are committed as the Go sample set

# The custom architecture (preset "tiny"): every width and head width a multiple of 4; stages
# 3-4 use attention+MLP LowFormer blocks with nh = max(1, (C/2)//30) heads of hd = (C//nh)/2:
# C = 64 -> 1 head of 32, C = 96 -> 1 head of 48. Both < 256, so the local module is the
# fused MBConv (3x3 conv with bias + BN, 1x1 conv + BN).
CONFIG = dict(PRESETS["tiny"], classes=10)


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
    return eval_crop(Image.fromarray(img28, mode="L").convert("RGB"), r)[:, :, 0].copy()


def preprocess_all(images, r, cache):
    """Preprocesses every image (uint8 [N, r, r]), cached in a .npy file."""
    if cache and os.path.exists(cache):
        arr = np.load(cache)
        if arr.shape == (len(images), r, r):
            return arr
    s = resize_short_side(r)
    o = crop_offset(s, r)
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


# ----------------------------------------------------------------------------------------------
# training


def evaluate(model, u8, bs=500):
    """Eval-mode logits of the preprocessed images u8 (uint8 [N, r, r])."""
    return predict(model, lambda idx: to_input(u8[idx]), len(u8), bs)


def train(model, ptr, ytr, pte, yte, args):
    """AdamW with warmup + cosine decay, label smoothing 0.1, random horizontal flips
    (lowformer_torch.fit). Returns the training time in seconds."""
    ytr_t = torch.from_numpy(ytr)

    def batch(idx):
        x = to_input(ptr[idx])
        flip = torch.rand(len(idx)) < 0.5  # horizontal flip augmentation
        return torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x), ytr_t[idx]

    def test_acc(ep):
        return f"test acc {(evaluate(model, pte).argmax(1).numpy() == yte).mean():.4f} "

    t = fit(model, len(ptr), batch, args.epochs, args.batch, args.lr, end_of_epoch=test_acc, bench=args.bench)
    if t is None:  # --bench
        sys.exit(0)
    return t


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
