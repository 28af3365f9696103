// Package pretrained embeds a small LowFormer trained on Fashion-MNIST, so
// the engine has a real trained model out of the box.
//
//	m, err := lowformer.OpenBytes(ctx, pretrained.FashionMNIST(), lowformer.Options{})
//	preds, err := m.ClassifyBatch(ctx, imgs, lowformer.ClassifyOptions{TopK: 1})
//
// The network is a custom LowFormer (widths 8, 16, 32, 64, 96; one block per
// stage; attention+MLP LowFormer blocks in stages 3-4; head 128/128; 10
// classes) trained by tools/train_fashion_mnist.py; README.md gives its
// accuracy and how it was trained. The class names are in the file's
// safetensors metadata.
package pretrained

import (
	_ "embed"
	"fmt"
	"image"
)

// FashionMNISTSize is the input resolution r the model was trained at: the
// 28×28 images are resized (shorter side ⌈r/0.95⌉, bicubic) and
// center-cropped to r×r, as lowformer's preprocessing does.
const FashionMNISTSize = 48

// SampleSide is the width and height of a Fashion-MNIST image.
const SampleSide = 28

//go:embed fashion_mnist.safetensors
var fashionMNIST []byte

//go:embed fashion_mnist_samples.bin
var samples []byte

//go:embed fashion_mnist_sample_labels.bin
var sampleLabels []byte

// FashionMNIST returns the model as a safetensors file (F32 weights). The
// slice is shared: do not modify it.
func FashionMNIST() []byte { return fashionMNIST }

// Samples returns the first Fashion-MNIST test images (28×28 gray, white
// garment on black as in the dataset) and their ground-truth class indices.
func Samples() ([]image.Image, []int) {
	imgs, labels, err := decodeSamples(samples, sampleLabels)
	if err != nil {
		// The embedded files are written together by the training script;
		// a mismatch is a build error, not bad input.
		panic(err)
	}
	return imgs, labels
}

// decodeSamples splits raw uint8 [n,28,28] images and n uint8 labels.
func decodeSamples(raw, labels []byte) ([]image.Image, []int, error) {
	const px = SampleSide * SampleSide
	if len(raw)%px != 0 || len(raw)/px != len(labels) {
		return nil, nil, fmt.Errorf("pretrained: %d sample bytes and %d labels do not describe %d×%d images", len(raw), len(labels), SampleSide, SampleSide)
	}
	imgs := make([]image.Image, len(labels))
	idx := make([]int, len(labels))
	for i := range labels {
		g := image.NewGray(image.Rect(0, 0, SampleSide, SampleSide))
		copy(g.Pix, raw[i*px:(i+1)*px])
		imgs[i] = g
		idx[i] = int(labels[i])
	}
	return imgs, idx, nil
}
