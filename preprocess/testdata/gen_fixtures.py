#!/usr/bin/python3
"""Generates the preprocess test fixtures.

    gen_fixtures.py inputs SKIMAGE_DATA_DIR   # writes the input images
    gen_fixtures.py expected                  # writes expected/ from them

Needs Debian's python3-pil (9.4), python3-numpy, python3-torch and
python3-torchvision (0.14). SKIMAGE_DATA_DIR is skimage/data from Debian's
python3-skimage 0.19.3 (e.g. `apt-get download python3-skimage && dpkg -x
python3-skimage_*.deb x`, then x/usr/lib/python3/dist-packages/skimage/data).

"expected" runs the official LowFormer evaluation transform literally:
torchvision.datasets.folder.pil_loader (Image.open + convert("RGB")), then
Resize(ceil(r/0.95), BICUBIC) and CenterCrop(r) (torchvision 0.14, which
calls PIL's Image.resize(size, BICUBIC)), and for the .f32 files also
ToTensor + Normalize(ImageNet mean/std).
"""
import hashlib
import io
import math
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected")

# Fixture name -> description (also the README's list).
FIXTURES = [
    "chelsea_420.jpg",
    "rocket_422_progressive.jpg",
    "coffee_444_progressive.jpg",
    "camera_gray.jpg",
    "astronaut_cmyk.jpg",
    "chelsea_exif6.jpg",
    "astronaut_rgba.png",
    "chelsea_palette_trns.png",
    "coffee_rgb16.png",
    "camera_gray16.png",
    "chelsea_anim.gif",
    "offset_frame_trns.gif",
    "coffee_lossy.webp",
    "astronaut_alpha_lossy.webp",
    "rocket_lossless.webp",
    "coffee.bmp",
    "rocket_lzw.tif",
]
SIZES = (224, 160)
# The second size is checked on a subset, to keep the repository small.
SECOND_SIZE_FIXTURES = {
    "chelsea_420.jpg", "rocket_422_progressive.jpg", "astronaut_cmyk.jpg",
    "chelsea_anim.gif", "coffee_lossy.webp", "astronaut_rgba.png",
}


def png16(path, arr):
    """Writes an RGB uint16 array as a 16-bit PNG (PIL cannot write one)."""
    h, w, _ = arr.shape
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def make_inputs(src):
    def load(name):
        return Image.open(os.path.join(src, name))

    out = lambda n: os.path.join(HERE, n)
    chelsea, rocket, coffee = load("chelsea.png"), load("rocket.jpg"), load("coffee.png")
    camera, astronaut = load("camera.png"), load("astronaut.png")

    chelsea.save(out("chelsea_420.jpg"), quality=90, subsampling=2)
    rocket.save(out("rocket_422_progressive.jpg"), quality=80, subsampling=1, progressive=True)
    coffee.save(out("coffee_444_progressive.jpg"), quality=75, subsampling=0, progressive=True)
    camera.save(out("camera_gray.jpg"), quality=85)
    astronaut.resize((300, 300), Image.LANCZOS).convert("CMYK").save(out("astronaut_cmyk.jpg"), quality=85)
    exif = Image.Exif()
    exif[0x0112] = 6
    chelsea.save(out("chelsea_exif6.jpg"), quality=85, exif=exif.tobytes())

    a = astronaut.resize((160, 160), Image.LANCZOS).convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, 160).astype(np.uint8), (160, 1))
    a.putalpha(Image.fromarray(alpha))
    a.save(out("astronaut_rgba.png"), optimize=True)

    p = chelsea.resize((225, 150), Image.LANCZOS).quantize(256)
    p.save(out("chelsea_palette_trns.png"), transparency=5, optimize=True)

    c16 = np.asarray(coffee.resize((150, 100), Image.LANCZOS)).astype(np.uint16) * 257
    c16 ^= np.random.RandomState(1).randint(0, 256, c16.shape).astype(np.uint16)  # noisy low bytes
    png16(out("coffee_rgb16.png"), c16)

    g = np.asarray(camera.resize((64, 64), Image.LANCZOS)).astype(np.uint16) * 2  # half clips at 255
    Image.fromarray(g).save(out("camera_gray16.png"))

    f1 = chelsea.resize((200, 133), Image.LANCZOS)
    f2 = ImageOps.mirror(f1)
    f1.save(out("chelsea_anim.gif"), save_all=True, append_images=[f2], duration=100, loop=0, transparency=3)

    # A 6x4 GIF whose only frame is 3x2 at (2, 1), transparent index 2: Pillow
    # fills the rest of the screen with the transparent index, whose palette
    # colour (7, 8, 9) then shows after convert("RGB").
    q = Image.new("P", (3, 2))
    q.putpalette([10, 20, 30, 200, 100, 50, 7, 8, 9, 250, 250, 250])
    q.putdata([1, 3, 2, 0, 1, 3])
    buf = io.BytesIO()
    q.save(buf, "GIF", transparency=2)
    g = bytearray(buf.getvalue())
    g[6:10] = struct.pack("<HH", 6, 4)
    d = g.index(b",")
    g[d + 1:d + 5] = struct.pack("<HH", 2, 1)
    with open(out("offset_frame_trns.gif"), "wb") as f:
        f.write(bytes(g))

    coffee.resize((301, 201), Image.LANCZOS).save(out("coffee_lossy.webp"), quality=80)
    b = astronaut.resize((255, 255), Image.LANCZOS).convert("RGBA")
    b.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, 255).astype(np.uint8), (255, 1)).T.copy()))
    b.save(out("astronaut_alpha_lossy.webp"), quality=80)
    rocket.resize((107, 160), Image.LANCZOS).save(out("rocket_lossless.webp"), lossless=True)

    coffee.resize((120, 80), Image.LANCZOS).save(out("coffee.bmp"))
    rocket.resize((107, 160), Image.LANCZOS).save(out("rocket_lzw.tif"), compression="tiff_lzw")


def pil_loader(path):
    # torchvision.datasets.folder.pil_loader
    with open(path, "rb") as f:
        img = Image.open(f)
        return img.convert("RGB")


def crop_of(img, r):
    from torchvision import transforms as T

    t = T.Compose([T.Resize(int(math.ceil(r / 0.95)), interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(r)])
    return t(img)


def save_crop(img, path):
    # Re-wrap the pixels so that no info (e.g. a GIF's transparency) is saved.
    Image.fromarray(np.asarray(img)).save(path, optimize=True)


def make_expected():
    import torch
    from torchvision import transforms as T

    os.makedirs(EXPECTED, exist_ok=True)
    lines = []
    for name in FIXTURES:
        img = pil_loader(os.path.join(HERE, name))
        lines.append("%s %dx%d %s" % (name, img.width, img.height, hashlib.sha256(img.tobytes()).hexdigest()))
        for r in SIZES:
            if r != SIZES[0] and name not in SECOND_SIZE_FIXTURES:
                continue
            save_crop(crop_of(img, r), os.path.join(EXPECTED, "%s.r%d.png" % (name, r)))
    exif = ImageOps.exif_transpose(pil_loader(os.path.join(HERE, "chelsea_exif6.jpg")))
    save_crop(crop_of(exif, 224), os.path.join(EXPECTED, "chelsea_exif6.jpg.transposed.r224.png"))
    lines.append("chelsea_exif6.jpg:transposed %dx%d %s" % (exif.width, exif.height, hashlib.sha256(exif.tobytes()).hexdigest()))

    # Standard library JPEG variants that every Go installation ships.
    goroot = os.popen("go env GOROOT").read().strip()
    tdir = os.path.join(goroot, "src", "image", "testdata")
    for name in sorted(os.listdir(tdir)):
        if name.endswith(".jpeg") and "truncated" not in name:
            img = pil_loader(os.path.join(tdir, name))
            lines.append("GOROOT/%s %dx%d %s" % (name, img.width, img.height, hashlib.sha256(img.tobytes()).hexdigest()))
    with open(os.path.join(EXPECTED, "decoded_sha256.txt"), "w") as f:
        f.write("# fixture WxH sha256(PIL Image.open(f).convert('RGB').tobytes())\n")
        f.write("\n".join(lines) + "\n")

    # Full pipeline in float32 at a small resolution.
    r = 32
    t = T.Compose([
        T.Resize(int(math.ceil(r / 0.95)), interpolation=T.InterpolationMode.BICUBIC),
        T.CenterCrop(r),
        T.ToTensor(),
        T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    for name in ("chelsea_420.jpg", "rocket_422_progressive.jpg"):
        x = t(pil_loader(os.path.join(HERE, name)))
        assert x.dtype == torch.float32 and tuple(x.shape) == (3, r, r)
        x.numpy().astype("<f4").tofile(os.path.join(EXPECTED, "%s.r%d.f32" % (name, r)))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "inputs":
        make_inputs(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "expected":
        make_expected()
    else:
        sys.exit(__doc__)
