//go:build js

package main

import (
	"fmt"

	"github.com/hack-pad/safejs"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// preprocess(rgba, width, height, size) → Float32Array [3, size, size]: the
// CPU path's model input for the pixels (preprocess.Tensor), for comparing
// the GPU preprocessing with it.
func (a *api) preprocess(args []safejs.Value) (work, error) {
	if err := needArgs(args, 4, "preprocess(rgba: Uint8ClampedArray, width, height, size)"); err != nil {
		return nil, err
	}
	w, err := argInt(args[1], "width")
	if err != nil {
		return nil, err
	}
	h, err := argInt(args[2], "height")
	if err != nil {
		return nil, err
	}
	size, err := argInt(args[3], "size")
	if err != nil {
		return nil, err
	}
	if size < lowformer.MinSide || size > lowformer.MaxClassifySide {
		return nil, fmt.Errorf("lowformer: size %d outside %d..%d", size, lowformer.MinSide, lowformer.MaxClassifySide)
	}
	img, err := pixelsArg(args[0], w, h)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return float32sToJS(preprocess.Tensor(img, size)) }, nil
}
