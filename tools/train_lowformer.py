#!/usr/bin/env python3
"""Train or fine-tune a LowFormer on your own images and export it for the Go engine and the
browser (lowformer classify -weights, LowFormer.load({weights})).

DIR holds one sub-folder per class (the torchvision ImageFolder layout); the class names are
the folder names, sorted, and become the model's labels:

  DIR/cat/*.jpg  DIR/dog/*.png ...            validation: --val-fraction of each class
  DIR/train/<class>/...  DIR/val/<class>/...  validation: DIR/val (or --val OTHER_DIR)

Images (.jpg .jpeg .png .gif .bmp .webp .tif .tiff, in sub-folders too) go through exactly the
preprocessing the engine applies at inference: Pillow open, convert("RGB"), shorter side resized
to ceil(R/0.95) with bicubic, center crop R, ToTensor, ImageNet mean/std. Training adds random
horizontal flips and a random R x R crop of the central ceil(R/0.95) square (--no-flip,
--no-crop turn them off); validation uses the exact inference crop. All images are decoded once
and held in memory (ceil(R/0.95)^2 * 3 bytes each).

--init FILE fine-tunes from a checkpoint (.safetensors, e.g. pretrained/fashion_mnist.safetensors
or an official evalmodel.pt converted with `lowformer convert`): the architecture is the
checkpoint's, every weight is loaded, and the last linear layer of the head is re-initialized
unless the checkpoint already has these labels. Without --init a new model of --arch is trained.

The output is F32 safetensors with metadata labels (JSON list), lowformer.config (JSON),
input_size (R), dataset (DIR's name), train_images and, with a validation set, val_accuracy.

Needs Debian's python3-torch, python3-numpy, python3-pil. Runs on the CPU.
Usage: /usr/bin/python3 tools/train_lowformer.py --images DIR --out model.safetensors
           [--size 64] [--epochs 10] [--arch tiny|small|b0|...] [--init FILE] [--freeze-backbone]
"""
import argparse, json, os, sys, time
import numpy as np
import torch
from PIL import Image

from lowformer_torch import (CLASSIFIER_KEYS, PRESETS, LowFormer, crop_offset, detect_config, fit,
                             load_rgb, predict, read_checkpoint, resize_rgb, resize_short_side, to_input,
                             write_safetensors)

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff")
DEFAULT_SIZE = 64


class UsageError(Exception):
    """A problem with the command line or the image folders, reported without a traceback."""


# ----------------------------------------------------------------------------------------------
# image folders


def class_folders(root):
    """The sorted names of root's sub-folders (hidden ones skipped)."""
    if not os.path.isdir(root):
        raise UsageError(f"{root} is not a folder")
    return sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))


def scan(root, classes):
    """[(path, class index)] of the images under root/<class>/ for each class name, walked
    recursively in sorted order like torchvision's ImageFolder. Missing class folders give
    no images."""
    items = []
    for ci, c in enumerate(classes):
        for d, subdirs, files in sorted(os.walk(os.path.join(root, c), followlinks=True)):
            subdirs.sort()
            items += [(os.path.join(d, f), ci) for f in sorted(files)
                      if f.lower().endswith(IMAGE_EXTS) and not f.startswith(".")]
    return items


def split_items(items, fraction, seed):
    """Moves round(fraction * n) random images of each class (at least 1 when fraction > 0,
    never all of them) from items to a validation list: (train, val)."""
    rng = np.random.RandomState(seed)
    by_class = {}
    for it in items:
        by_class.setdefault(it[1], []).append(it)
    train, val = [], []
    for _, group in sorted(by_class.items()):
        k = min(len(group) - 1, max(1, round(fraction * len(group)))) if fraction > 0 else 0
        order = rng.permutation(len(group))
        val += [group[i] for i in sorted(order[:k])]
        train += [group[i] for i in sorted(order[k:])]
    return train, val


def dataset(args):
    """Reads the folder layout: (class names, train items, val items, description)."""
    root = args.images
    names = class_folders(root)
    if args.val is None and "train" in names and "val" in names:
        root, args.val = os.path.join(root, "train"), os.path.join(root, "val")
    classes = class_folders(root)
    if len(classes) < 2:
        raise UsageError(f"{root} has {len(classes)} class folder(s) ({', '.join(classes) or 'none'}); want one "
                         f"sub-folder per class, at least 2")
    train = scan(root, classes)
    counts = np.bincount([c for _, c in train], minlength=len(classes))
    if (counts == 0).any():
        empty = [classes[i] for i in np.flatnonzero(counts == 0)]
        raise UsageError(f"class folder(s) {', '.join(empty)} under {root} hold no images ({' '.join(IMAGE_EXTS)})")
    if args.val is not None:
        extra = sorted(set(class_folders(args.val)) - set(classes))
        if extra:
            raise UsageError(f"validation folder {args.val} has classes that {root} lacks: {', '.join(extra)}")
        val, how = scan(args.val, classes), f"validation images from {args.val}"
    else:
        train, val = split_items(train, args.val_fraction, args.seed)
        how = f"validation: {args.val_fraction:g} of each class" if val else "no validation set"
    return classes, train, val, how


def window(path, r):
    """The central resize_short_side(r) square of the resized image, placed so that its
    crop at offset crop_offset(s, r) is exactly the inference crop: uint8 [s, s, 3]."""
    im = resize_rgb(load_rgb(path), r)
    s = resize_short_side(r)
    c = crop_offset(s, r)
    x0, y0 = crop_offset(im.width, r) - c, crop_offset(im.height, r) - c
    assert 0 <= x0 <= im.width - s and 0 <= y0 <= im.height - s, (path, im.size, r)
    return np.asarray(im.crop((x0, y0, x0 + s, y0 + s)))


def load_images(items, r, what):
    """Decodes and resizes every image: (uint8 [N, s, s, 3], int64 labels [N]). Unreadable
    files are skipped with a warning."""
    s = resize_short_side(r)
    out, labels, t0 = np.empty((len(items), s, s, 3), dtype=np.uint8), [], time.time()
    for path, c in items:
        try:
            out[len(labels)] = window(path, r)
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            print(f"warning: skipping {path}: {e}", file=sys.stderr)
            continue
        labels.append(c)
    print(f"{what}: {len(labels)} images decoded in {time.time()-t0:.1f}s", flush=True)
    return out[:len(labels)], np.array(labels, dtype=np.int64)


# ----------------------------------------------------------------------------------------------
# model


def int_list(s):
    """Parses "8,16,32" into [8, 16, 32]."""
    try:
        return [int(v) for v in s.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a comma-separated list of integers") from None


def build_model(args, classes):
    """The model to train: (model, config, description of its initialization, metadata of
    the --init file)."""
    if args.init is None:
        cfg = dict(PRESETS[args.arch or "tiny"], classes=len(classes))
        for key in ("widths", "depths", "head"):
            if getattr(args, key) is not None:
                cfg[key] = getattr(args, key)
        try:
            return LowFormer(cfg), cfg, f"new {args.arch or 'tiny'} model", {}
        except ValueError as e:
            raise UsageError(f"bad architecture: {e}") from None
    if args.arch or args.widths or args.depths or args.head:
        raise UsageError("--init fixes the architecture: drop --arch, --widths, --depths and --head")
    try:
        sd, meta = read_checkpoint(args.init)
        cfg = detect_config(sd)
    except (OSError, ValueError, KeyError) as e:
        raise UsageError(f"cannot use --init {args.init}: {e}") from None
    old_labels = json.loads(meta.get("labels", "null"))
    keep = cfg["classes"] == len(classes) and old_labels == classes
    if not keep:
        for k in CLASSIFIER_KEYS:
            del sd[k]
    cfg = dict(cfg, classes=len(classes))
    model = LowFormer(cfg)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if unexpected or set(missing) - set(CLASSIFIER_KEYS):
        raise UsageError(f"--init {args.init}: unexpected keys {unexpected[:5]}, missing keys {missing[:5]}")
    how = "all weights" if keep else f"all but the last linear layer (re-initialized for {len(classes)} classes)"
    return model, cfg, f"fine-tuning {args.init}: loaded {how}", meta


# ----------------------------------------------------------------------------------------------
# training


def batches(images, labels, r, flip, crop):
    """The training batch function for lowformer_torch.fit: random crops and flips."""
    s = images.shape[1]
    c = crop_offset(s, r)
    y_all = torch.from_numpy(labels)

    def batch(idx):
        n = len(idx)
        oy = np.random.randint(0, s - r + 1, n) if crop else np.full(n, c)
        ox = np.random.randint(0, s - r + 1, n) if crop else np.full(n, c)
        u8 = np.stack([images[i, y:y + r, x:x + r] for i, y, x in zip(idx, oy, ox)])
        x = to_input(u8)
        if flip:
            f = torch.rand(n) < 0.5
            x = torch.where(f.view(-1, 1, 1, 1), x.flip(-1), x)
        return x, y_all[idx]
    return batch


def eval_inputs(images, r):
    """The batch function giving the exact inference inputs of images (uint8 [N, s, s, 3])."""
    c = crop_offset(images.shape[1], r)
    return lambda idx: to_input(images[idx, c:c + r, c:c + r])


def report(model, images, labels, r, classes):
    """Prints the accuracy per class; returns the overall accuracy."""
    pred = predict(model, eval_inputs(images, r), len(images)).argmax(1).numpy()
    for i, name in enumerate(classes):
        m = labels == i
        if m.any():
            print(f"  {name}: {(pred[m] == i).mean()*100:.1f} % of {m.sum()}")
    return float((pred == labels).mean())


def reload_check(path, model, images, r):
    """Reads the written file into a fresh model and returns the largest logit difference
    to the trained model on up to 8 images."""
    sd, _ = read_checkpoint(path)
    fresh = LowFormer(detect_config(sd))
    fresh.load_state_dict(sd, strict=True)
    n = min(8, len(images))
    a = predict(model, eval_inputs(images, r), n)
    b = predict(fresh, eval_inputs(images, r), n)
    return float((a - b).abs().max())


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", required=True, metavar="DIR", help="one sub-folder of images per class")
    ap.add_argument("--out", required=True, metavar="FILE", help="the .safetensors file to write")
    ap.add_argument("--val", metavar="DIR", help="validation images, one sub-folder per class (default: DIR/val "
                    "when DIR holds train/ and val/, else --val-fraction of DIR)")
    ap.add_argument("--val-fraction", type=float, default=0.1, help="share of each class held out (default 0.1)")
    ap.add_argument("--size", type=int, metavar="R", help=f"input resolution (default {DEFAULT_SIZE}, or the "
                    "input_size of the --init file)")
    ap.add_argument("--arch", choices=sorted(PRESETS), help="architecture preset (default tiny)")
    ap.add_argument("--widths", type=int_list, metavar="W0,..,W4", help="override the preset's widths")
    ap.add_argument("--depths", type=int_list, metavar="D0,..,D4", help="override the preset's depths")
    ap.add_argument("--head", type=int_list, metavar="H0,H1", help="override the preset's head widths")
    ap.add_argument("--init", metavar="FILE", help="fine-tune from this checkpoint (.safetensors)")
    ap.add_argument("--freeze-backbone", action="store_true", help="train only the head")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, help="peak learning rate (default 3e-3, 1e-3 with --init)")
    ap.add_argument("--no-flip", action="store_true", help="no random horizontal flips")
    ap.add_argument("--no-crop", action="store_true", help="no random crops (always the inference crop)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not 0 <= args.val_fraction < 1:
        ap.error(f"--val-fraction {args.val_fraction}: want 0 <= f < 1")
    if args.epochs < 1 or args.batch < 2:
        ap.error("want --epochs >= 1 and --batch >= 2")
    if not args.out.endswith(".safetensors"):
        ap.error(f"--out {args.out}: the file name must end in .safetensors")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    classes, train_items, val_items, how = dataset(args)
    model, cfg, init, meta_in = build_model(args, classes)
    r = args.size or int(meta_in.get("input_size", DEFAULT_SIZE))
    if not 32 <= r <= 2048:
        raise UsageError(f"--size {r}: the engine takes 32 to 2048")
    lr = args.lr or (1e-3 if args.init else 3e-3)
    print(f"classes ({len(classes)}): {', '.join(classes)}")
    print(f"{len(train_items)} training images, {how} ({len(val_items)} images); input {r}x{r}")
    print(f"{init}; {sum(p.numel() for p in model.parameters())} parameters; config {json.dumps(cfg)}", flush=True)

    xtr, ytr = load_images(train_items, r, "train")
    xva, yva = load_images(val_items, r, "val")
    if len(xtr) < 2:
        raise UsageError(f"{len(xtr)} readable training image(s): want at least 2")

    def val_acc(ep):
        if not len(xva):
            return ""
        return f"val acc {(predict(model, eval_inputs(xva, r), len(xva)).argmax(1).numpy() == yva).mean():.4f} "

    t = fit(model, len(xtr), batches(xtr, ytr, r, not args.no_flip, not args.no_crop), args.epochs,
            min(args.batch, len(xtr)), lr, end_of_epoch=val_acc, freeze_backbone=args.freeze_backbone,
            drop_last=False, log_every=50)
    model.eval()
    meta = {"labels": json.dumps(classes), "lowformer.config": json.dumps(cfg), "input_size": str(r),
            "dataset": os.path.basename(os.path.normpath(args.images)), "train_images": str(len(xtr))}
    if len(xva):
        print("validation accuracy per class:")
        acc = report(model, xva, yva, r, classes)
        meta["val_accuracy"] = f"{acc:.4f}"
        print(f"validation accuracy {acc*100:.2f} % ({len(xva)} images)")
    write_safetensors(args.out, model.state_dict(), meta)
    diff = reload_check(args.out, model, xva if len(xva) else xtr, r)
    if diff > 1e-5:
        raise UsageError(f"{args.out} read back gives logits {diff:.1e} away from the trained model's")
    print(f"wrote {args.out} ({os.path.getsize(args.out)/1e6:.1f} MB) after {t:.0f}s of training; "
          f"reloaded, max |logit difference| {diff:.1e}")
    print(f"next: go run ./cmd/lowformer classify -weights {args.out} IMAGE")


if __name__ == "__main__":
    try:
        main()
    except UsageError as e:
        sys.exit(f"train_lowformer: {e}")
