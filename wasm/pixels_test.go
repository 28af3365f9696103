package main

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// TestDecodedPixelsMatchDecode: the pixels path (pixelsImage, what
// lowformer.js sends after lowformer-decoders.wasm decoded a GIF, WebP, BMP
// or TIFF file) gives the tensor and the classification of Decode's image,
// bit for bit, for every format.
func TestDecodedPixelsMatchDecode(t *testing.T) {
	ctx := context.Background()
	m, err := lowformer.Open(ctx, "../testdata/tiny.safetensors", lowformer.Options{Backend: lowformer.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, name := range []string{"chelsea_anim.gif", "offset_frame_trns.gif", "coffee_lossy.webp", "rocket_lossless.webp",
		"astronaut_alpha_lossy.webp", "coffee.bmp", "rocket_lzw.tif", "chelsea_420.jpg", "astronaut_rgba.png"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "preprocess", "testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			img, err := preprocess.Decode(bytes.NewReader(b), preprocess.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rgba := img.(*image.RGBA)
			px, err := pixelsImage(slices.Clone(rgba.Pix), rgba.Rect.Dx(), rgba.Rect.Dy())
			if err != nil {
				t.Fatal(err)
			}
			for _, side := range []int{32, 224} {
				if a, b := preprocess.Tensor(img, side), preprocess.Tensor(px, side); !slices.Equal(a, b) {
					t.Errorf("side %d: the pixels' tensor differs from the decoded image's", side)
				}
			}
			opt := lowformer.ClassifyOptions{TopK: 3}
			want, err := classifyImage(ctx, m, img, opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := classifyImage(ctx, m, px, opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Predictions, want.Predictions) {
				t.Errorf("pixels %v, decoded %v", got.Predictions, want.Predictions)
			}
		})
	}
}
