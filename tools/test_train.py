#!/usr/bin/env python3
"""Tests of train_lowformer.py and lowformer_torch.py (about a minute on one CPU thread).

  /usr/bin/python3 tools/test_train.py            # or: /usr/bin/python3 -m unittest tools/test_train.py

The end-to-end tests build a tiny ImageFolder data set (random crops of photographs in
preprocess/testdata), train on it, and run the Go CLI (`go build ./cmd/lowformer`) on the
result: its labels must be the folder names and its probabilities PyTorch's. They skip when
`go` is not on the PATH. Run as a script, `--make-dataset DIR [N]` only writes the data set.
"""
import atexit, json, os, shutil, subprocess, sys, tempfile, unittest
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_lowformer  # noqa: E402
from lowformer_torch import (CLASSIFIER_KEYS, PRESETS, LowFormer, detect_config, eval_crop,  # noqa: E402
                             load_rgb, predict, read_checkpoint, to_input)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTOS = {"cat": "chelsea_420.jpg", "coffee": "coffee_444_progressive.jpg", "rocket": "rocket_422_progressive.jpg"}


def make_dataset(root, per_class, seed=0):
    """Writes root/<class>/NNN.{png,jpg,bmp,gif}: per_class random crops (random aspect ratio,
    scale and flip) of one photograph per class, in mixed formats and modes. Returns the
    class names."""
    rng = np.random.RandomState(seed)
    for name, photo in PHOTOS.items():
        src = load_rgb(os.path.join(REPO, "preprocess", "testdata", photo))
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(per_class):
            w = int(src.width * rng.uniform(0.4, 0.9))
            h = int(min(src.height, w * rng.uniform(0.6, 1.5)))
            x, y = rng.randint(0, src.width - w + 1), rng.randint(0, src.height - h + 1)
            im = src.crop((x, y, x + w, y + h)).resize((int(w * rng.uniform(0.2, 0.5)), int(h * rng.uniform(0.2, 0.5))))
            if rng.rand() < 0.5:
                im = im.transpose(Image.FLIP_LEFT_RIGHT)
            path = os.path.join(root, name, f"{i:03d}")
            kind = i % 4
            if kind == 0:
                im.save(path + ".png")
            elif kind == 1:
                im.save(path + ".jpg", quality=90)
            elif kind == 2:
                im.convert("RGBA").save(path + ".bmp" if i % 8 == 2 else path + "_rgba.png")
            else:
                im.convert("P").save(path + ".gif")
    return sorted(PHOTOS)


def go_cli():
    """Builds the lowformer CLI once into a temporary folder; None without go."""
    if shutil.which("go") is None:
        return None
    if not hasattr(go_cli, "path"):
        go_cli.dir = tempfile.mkdtemp(prefix="lowformer-cli-")
        atexit.register(shutil.rmtree, go_cli.dir, True)
        go_cli.path = os.path.join(go_cli.dir, "lowformer")
        subprocess.run(["go", "build", "-o", go_cli.path, "./cmd/lowformer"], cwd=REPO, check=True)
    return go_cli.path


def run_cli(*args):
    """Runs the CLI; returns its stdout."""
    return subprocess.run([go_cli(), *args], check=True, capture_output=True, text=True).stdout


class Preprocessing(unittest.TestCase):
    def test_window_holds_the_inference_crop(self):
        for w, h in [(451, 300), (300, 451), (33, 34), (40, 40), (17, 200), (999, 35)]:
            im = Image.fromarray(np.random.RandomState(w * h).randint(0, 256, (h, w, 3), dtype=np.uint8))
            path = os.path.join(self.tmp, f"{w}x{h}.png")
            im.save(path)
            for r in (32, 48, 61, 64, 224):
                win = train_lowformer.window(path, r)
                c = train_lowformer.crop_offset(win.shape[0], r)
                np.testing.assert_array_equal(win[c:c + r, c:c + r], eval_crop(load_rgb(path), r), err_msg=f"{w}x{h} r={r}")

    @unittest.skipIf(shutil.which("go") is None, "go is not on the PATH")
    def test_matches_go_preprocess(self):
        """The training inputs equal the Go engine's preprocess.Tensor bit for bit."""
        fixtures = [os.path.join(REPO, "preprocess", "testdata", f) for f in
                    ("astronaut_rgba.png", "chelsea_palette_trns.png", "coffee.bmp", "rocket_lossless.webp",
                     "chelsea_420.jpg", "camera_gray.jpg", "chelsea_anim.gif")]
        for f in fixtures:
            for r in (32, 61, 64):
                out = os.path.join(self.tmp, "t.bin")
                run_cli("preprocess", "-size", str(r), "-o", out, f)
                got = np.fromfile(out, dtype="<f4").reshape(3, r, r)
                want = to_input(eval_crop(load_rgb(f), r)[None])[0].numpy()
                np.testing.assert_array_equal(got, want, err_msg=f"{f} r={r}")

    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)


class Model(unittest.TestCase):
    def test_detect_config(self):
        """detect_config recovers every block layout from the state-dict keys and shapes."""
        tiny = dict(PRESETS["tiny"], classes=5)
        for cfg in [tiny, dict(PRESETS["small"], classes=3), dict(tiny, attention=True, mlp=False),
                    dict(tiny, attention=False, mlp=False), dict(tiny, depths=[1, 2, 1, 0, 2], stem_expand=4),
                    dict(tiny, widths=[8, 16, 32, 64, 256], stage12_expand=6, stage34_expand=6)]:
            self.assertEqual(detect_config(LowFormer(cfg).state_dict()), cfg)

    def test_bad_config(self):
        for bad in [dict(widths=[8, 16, 30, 64, 96]), dict(depths=[0, 0, 1, 1, 1]), dict(head=[128]),
                    dict(mlp=True, attention=False), dict(widths=[8, 16, 32, 64, 100])]:
            with self.assertRaises(ValueError, msg=str(bad)):
                LowFormer(dict(PRESETS["tiny"], classes=3, **bad))

    def test_official_reference_logits(self):
        """The official b0 and E1 reference checkpoints give their reference logits."""
        shared = os.path.join(os.path.dirname(REPO), "shared", "testdata", "lowformer")
        if not os.path.isdir(shared) or shutil.which("go") is None:
            self.skipTest("needs ../shared/testdata/lowformer and go")
        tmp = tempfile.mkdtemp()
        try:
            for v in ("b0", "E1"):
                st = os.path.join(tmp, v + ".safetensors")
                run_cli("convert", "-in", os.path.join(shared, v, "evalmodel.pt"), "-out", st)
                sd, _ = read_checkpoint(st)
                cfg = detect_config(sd)
                self.assertEqual(cfg, PRESETS[v])
                m = LowFormer(cfg)
                m.load_state_dict(sd, strict=True)
                x = torch.from_numpy(np.fromfile(os.path.join(shared, v, "input.bin"), dtype="<f4").reshape(2, 3, 224, 224))
                ref = np.fromfile(os.path.join(shared, v, "logits.bin"), dtype="<f4").reshape(2, -1)
                got = predict(m, lambda idx: x[idx], 2).numpy()
                self.assertLess(np.abs(got - ref).max(), 2e-4, v)
        finally:
            shutil.rmtree(tmp)


class Train(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)
        cls.tmp = tempfile.mkdtemp()
        cls.data = os.path.join(cls.tmp, "photos")
        cls.classes = make_dataset(cls.data, 12)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_train_and_classify_in_go(self):
        out = os.path.join(self.tmp, "model.safetensors")
        train_lowformer.main(["--images", self.data, "--out", out, "--epochs", "2", "--size", "40",
                              "--val-fraction", "0.25", "--threads", "1"])
        sd, meta = read_checkpoint(out)
        self.assertEqual(json.loads(meta["labels"]), self.classes)
        self.assertEqual(meta["input_size"], "40")
        self.assertEqual(meta["dataset"], "photos")
        self.assertEqual(meta["train_images"], "27")  # 36 images, 3 per class held out
        self.assertEqual(detect_config(sd), json.loads(meta["lowformer.config"]))
        if go_cli() is None:
            self.skipTest("go is not on the PATH")
        info = json.loads(run_cli("info", "-json", out))
        self.assertEqual((info["classes"], info["labels"], info["variant"]), (3, self.classes, "custom"))
        model = LowFormer(detect_config(sd))
        model.load_state_dict(sd, strict=True)
        images = [os.path.join(self.data, c, "000.png") for c in self.classes]
        want = torch.softmax(predict(model, lambda idx: to_input(np.stack([eval_crop(load_rgb(images[i]), 40)
                                                                          for i in idx])), 3), 1).numpy()
        res = json.loads(run_cli("classify", "-json", "-backend", "cpu", "-top", "3", "-weights", out, *images))
        self.assertEqual(res["size"], 40)
        for r, p in zip(res["results"], want):
            for pred in r["predictions"]:
                self.assertEqual(pred["label"], self.classes[pred["index"]])
                self.assertAlmostEqual(pred["probability"], p[pred["index"]], delta=1e-4, msg=r["file"])

    def test_finetune_keeps_the_backbone(self):
        """--init loads every weight but the last linear layer, which gets the new class count."""
        init = os.path.join(REPO, "pretrained", "fashion_mnist.safetensors")
        args = train_lowformer.parse_args(["--images", self.data, "--out", "x.safetensors", "--init", init])
        model, cfg, how, meta = train_lowformer.build_model(args, self.classes)
        self.assertEqual((cfg["classes"], meta["input_size"]), (3, "48"))
        self.assertIn("re-initialized", how)
        old, _ = read_checkpoint(init)
        for k, v in model.state_dict().items():
            if k in CLASSIFIER_KEYS:
                self.assertEqual(v.shape[0], 3, k)
            else:
                self.assertTrue(torch.equal(v, old[k]), k)
        for bad in (["--arch", "small"], ["--widths", "8,16,32,64,96"]):
            with self.assertRaises(train_lowformer.UsageError):
                train_lowformer.build_model(train_lowformer.parse_args(
                    ["--images", self.data, "--out", "x.safetensors", "--init", init] + bad), self.classes)

    def test_folder_errors(self):
        cases = {"one class": ["a/x.png"], "empty class": ["a/x.png", "b/readme.txt"],
                 "extra val class": ["train/a/x.png", "train/b/y.png", "val/c/z.png"]}
        for name, files in cases.items():
            root = os.path.join(self.tmp, name.replace(" ", "_"))
            for f in files:
                os.makedirs(os.path.dirname(os.path.join(root, f)), exist_ok=True)
                Image.new("RGB", (40, 40)).save(os.path.join(root, f), format="PNG")
            with self.assertRaises(train_lowformer.UsageError, msg=name):
                train_lowformer.dataset(train_lowformer.parse_args(["--images", root, "--out", "x.safetensors"]))

    def test_train_val_layout(self):
        root = os.path.join(self.tmp, "split")
        for part, n in (("train", 3), ("val", 1)):
            for c in ("b", "a"):
                os.makedirs(os.path.join(root, part, c))
                for i in range(n):
                    Image.new("RGB", (40, 50)).save(os.path.join(root, part, c, f"{i}.png"))
        classes, train, val, _ = train_lowformer.dataset(
            train_lowformer.parse_args(["--images", root, "--out", "x.safetensors"]))
        self.assertEqual((classes, len(train), len(val)), (["a", "b"], 6, 2))
        self.assertEqual([c for _, c in val], [0, 1])


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--make-dataset":
        print(make_dataset(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 40))
    else:
        unittest.main()
