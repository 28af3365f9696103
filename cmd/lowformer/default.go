package main

import "github.com/lowformer/lowformer-webgpu/pretrained"

// The built-in model: the small LowFormer trained on Fashion-MNIST
// (pretrained/), used when -weights is omitted.
func init() {
	defaultWeights = func() ([]byte, string, error) {
		return pretrained.FashionMNIST(), "Fashion-MNIST LowFormer", nil
	}
}
