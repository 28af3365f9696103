package main

import (
	"io"

	"github.com/lowformer/lowformer-webgpu/preprocess"
)

func init() {
	register("preprocess", "write an image's normalized [1,3,r,r] float32 input tensor (raw little-endian)", runPreprocess)
}

func runPreprocess(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("preprocess", "[-size 224] -o OUT.bin IMAGE", stderr)
	img := addImageFlags(fs)
	out := fs.String("o", "", "output `file` for the [1,3,r,r] float32 tensor (raw little-endian, NCHW); - for stdout")
	if err := parseArgs(fs, args, 1, 1, "IMAGE"); err != nil {
		return err
	}
	if err := required("-o", *out); err != nil {
		return err
	}
	if err := img.check(); err != nil {
		return err
	}
	im, err := img.decode(fs.Arg(0))
	if err != nil {
		return err
	}
	return writeFloats(*out, preprocess.Tensor(im, img.sizeOr(preprocess.DefaultSize)), stdout)
}
