package main

import (
	"bytes"
	"image"

	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// decodeRGBA decodes an image file as preprocess.Decode does and returns
// its opaque RGBA pixels, width×height×4 bytes: the pixels that
// lowformer.wasm's pixels path (classify, embed) turns into the same
// tensor as the decoded image.
func decodeRGBA(file []byte, opt preprocess.Options) (width, height int, rgba []byte, err error) {
	img, err := preprocess.Decode(bytes.NewReader(file), opt)
	if err != nil {
		return 0, 0, nil, err
	}
	m := img.(*image.RGBA) // Decode's documented result: opaque, at the origin
	w, h := m.Rect.Dx(), m.Rect.Dy()
	if m.Stride == 4*w && len(m.Pix) == 4*w*h {
		return w, h, m.Pix, nil
	}
	pix := make([]byte, 0, 4*w*h)
	for y := range h {
		pix = append(pix, m.Pix[y*m.Stride:y*m.Stride+4*w]...)
	}
	return w, h, pix, nil
}
