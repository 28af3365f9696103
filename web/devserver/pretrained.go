package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/pretrained"
)

// maxSamples is how many Fashion-MNIST test images the demo offers.
const maxSamples = 12

// pretrainedEntries offers the embedded Fashion-MNIST model and its first
// test images (28×28 PNGs named by their true class).
func pretrainedEntries() (weights, samples []entry, err error) {
	st := pretrained.FashionMNIST()
	weights = []entry{{Name: "pretrained/fashion_mnist.safetensors", URL: "weights/pretrained/fashion_mnist.safetensors",
		Size: int64(len(st)), Autoload: true, data: st}}
	labels, err := classNames(st)
	if err != nil {
		return nil, nil, err
	}
	imgs, truth := pretrained.Samples()
	for i, img := range imgs[:min(len(imgs), maxSamples)] {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, nil, err
		}
		name := fmt.Sprintf("fashion-%02d.png", i)
		e := entry{Name: "fashion-mnist/" + name, URL: "samples/pretrained/" + name, Size: int64(buf.Len()), Domain: "fashion-mnist", data: buf.Bytes()}
		if truth[i] >= 0 && truth[i] < len(labels) {
			e.Truth = labels[truth[i]]
		}
		samples = append(samples, e)
	}
	return weights, samples, nil
}

// classNames opens the model on the CPU to read its class names.
func classNames(st []byte) ([]string, error) {
	m, err := lowformer.OpenBytes(context.Background(), st, lowformer.Options{Backend: lowformer.CPU})
	if err != nil {
		return nil, fmt.Errorf("the embedded Fashion-MNIST model: %w", err)
	}
	defer m.Close()
	return m.Info().Labels, nil
}
