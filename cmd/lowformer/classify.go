package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

func init() {
	register("classify", "classify images and print the top-k classes of each", runClassify)
}

// classifyResult is one image's entry in the -json output: its predictions
// or the error that stopped it.
type classifyResult struct {
	File        string                 `json:"file"`
	Predictions []lowformer.Prediction `json:"predictions,omitempty"`
	Error       string                 `json:"error,omitempty"`
}

// classifyOutput is the -json document.
type classifyOutput struct {
	Variant string           `json:"variant"`
	Backend string           `json:"backend"`
	Size    int              `json:"size"`
	Results []classifyResult `json:"results"`
}

func runClassify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classify", "[-weights FILE] [-top 5] [-size R] [-backend gpu|cpu] [-json] IMAGE...", stderr)
	mf := addModelFlags(fs)
	img := addImageFlags(fs)
	top := fs.Int("top", 5, "number of classes to print per image")
	batch := fs.Int("batch", 8, "images per forward pass")
	asJSON := fs.Bool("json", false, "print one JSON document (per image: file, predictions or error)")
	if err := parseArgs(fs, args, 1, -1, "IMAGE"); err != nil {
		return err
	}
	if *top < 1 {
		return fmt.Errorf("-top %d: want at least 1", *top)
	}
	if *batch < 1 {
		return fmt.Errorf("-batch %d: want at least 1", *batch)
	}
	if err := img.check(); err != nil {
		return err
	}
	ctx := context.Background()
	m, err := mf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer m.Close()

	img.size = img.sizeOr(m.Info().NativeSide)
	out := classifyOutput{Variant: m.Info().Variant, Backend: m.Info().Backend.String(), Size: img.size}
	paths, failed := fs.Args(), 0
	for start := 0; start < len(paths); start += *batch {
		res, err := classifyBatch(ctx, m, img, paths[start:min(start+*batch, len(paths))], *top)
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Error != "" {
				failed++
				fmt.Fprintf(stderr, "lowformer classify: %s\n", r.Error)
			} else if !*asJSON {
				printPredictions(stdout, r)
			}
		}
		out.Results = append(out.Results, res...)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images could not be classified", failed, len(paths))
	}
	return nil
}

// classifyBatch decodes paths and classifies those that decode in one
// forward pass. Images that fail to decode get their error in the result;
// a failure of the model itself is returned.
func classifyBatch(ctx context.Context, m *lowformer.Model, f *imageFlags, paths []string, top int) ([]classifyResult, error) {
	res := make([]classifyResult, len(paths))
	var imgs []image.Image
	var ok []int // indices into res of the decoded images
	for i, p := range paths {
		res[i].File = p
		im, err := f.decode(p)
		if err != nil {
			res[i].Error = err.Error()
			continue
		}
		imgs = append(imgs, im)
		ok = append(ok, i)
	}
	if len(imgs) == 0 {
		return res, nil
	}
	preds, err := m.ClassifyBatch(ctx, imgs, lowformer.ClassifyOptions{TopK: top, Side: f.size})
	if err != nil {
		return nil, err
	}
	for j, i := range ok {
		res[i].Predictions = preds[j]
	}
	return res, nil
}

// printPredictions writes one image's result as text:
//
//	cat.jpg
//	   87.31%  tabby, tabby cat  (281)
func printPredictions(w io.Writer, r classifyResult) {
	fmt.Fprintln(w, r.File)
	for _, p := range r.Predictions {
		fmt.Fprintf(w, "  %7.2f%%  %s  (%d)\n", 100*p.Prob, p.Label, p.Index)
	}
}
