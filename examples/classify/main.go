// Command classify is a minimal example of the lowformer Go API: it opens a
// LowFormer checkpoint, classifies image files and prints the five most
// probable classes of each.
//
// Run it from the repository root; without -weights it uses the built-in
// LowFormer trained on Fashion-MNIST (pretrained/), like the CLI, and with
// -weights an official checkpoint (evalmodel.pt, its download folder or zip)
// or a safetensors file written by "lowformer convert":
//
//	go run ./examples/classify photo.png
//	go run ./examples/classify -weights evalmodel.pt cat.jpg dog.png
//
// It uses the GPU through WebGPU when there is one and the CPU otherwise;
// -backend cpu forces the CPU.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"io"
	"log"
	"os"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/preprocess"
	"github.com/lowformer/lowformer-webgpu/pretrained"
)

func main() {
	weights := flag.String("weights", "", "checkpoint file (.pt or .safetensors); empty: the built-in Fashion-MNIST model")
	backend := flag.String("backend", "auto", "auto, gpu or cpu")
	flag.Parse()
	log.SetFlags(0)
	if flag.NArg() == 0 {
		log.Fatal("usage: classify [-weights FILE] [-backend auto|gpu|cpu] IMAGE...")
	}
	if err := run(context.Background(), *weights, *backend, flag.Args(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run opens the model (the built-in one when weights is empty) and prints
// the top-5 classes of each image to w.
func run(ctx context.Context, weights, backend string, images []string, w io.Writer) error {
	be, err := lowformer.ParseBackend(backend)
	if err != nil {
		return err
	}
	var m *lowformer.Model
	if weights == "" {
		m, err = lowformer.OpenBytes(ctx, pretrained.FashionMNIST(), lowformer.Options{Backend: be})
	} else {
		m, err = lowformer.Open(ctx, weights, lowformer.Options{Backend: be})
	}
	if err != nil {
		return err
	}
	defer m.Close()
	for _, path := range images {
		img, err := decode(path)
		if err != nil {
			return err
		}
		preds, err := m.Classify(ctx, img, lowformer.ClassifyOptions{}) // the zero value: the top 5 at the native side
		if err != nil {
			return err
		}
		fmt.Fprintln(w, path)
		for _, p := range preds {
			fmt.Fprintf(w, "  %6.2f%%  %s\n", 100*p.Prob, p.Label)
		}
	}
	return nil
}

// decode reads an image file as the official evaluation does (no EXIF
// rotation; huge images are refused before decoding).
func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := preprocess.Decode(f, preprocess.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
