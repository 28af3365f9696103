package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"strconv"
	"strings"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

func init() {
	register("embed", "print image embeddings (the classifier's input vector) or write them for a raw float32 batch", runEmbed)
}

// embedResult is one image's entry in the -json output.
type embedResult struct {
	File      string    `json:"file"`
	Embedding []float32 `json:"embedding,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// embedOutput is the -json document.
type embedOutput struct {
	Variant    string        `json:"variant"`
	Backend    string        `json:"backend"`
	Size       int           `json:"size"`
	Dim        int           `json:"dim"`
	Normalized bool          `json:"normalized"`
	Results    []embedResult `json:"results"`
}

// runEmbed prints the embeddings of images, or, like logits, runs a raw
// batch:
//
//	lowformer embed [-weights FILE] [-normalize] [-json] IMAGE...
//	lowformer embed -weights FILE -input IN.bin -shape N,3,H,W -o OUT.bin
//
// OUT.bin is N×D raw little-endian float32 (D = the model's embedding size).
// As text, each image prints one line: its file name, a tab and the D
// values separated by spaces; -pairs then prints the cosine similarity of
// every pair as "cosine<TAB>A<TAB>B<TAB>VALUE" lines.
func runEmbed(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("embed", "[-weights FILE] [-size R] [-normalize] [-json] [-pairs] [-backend gpu|cpu] IMAGE... | -input IN.bin -shape N,3,H,W -o OUT.bin", stderr)
	mf := addModelFlags(fs)
	img := addImageFlags(fs)
	normalize := fs.Bool("normalize", false, "L2-normalize each embedding (unit length: dot products are cosine similarities)")
	asJSON := fs.Bool("json", false, "print one JSON document (per image: file, embedding or error)")
	pairs := fs.Bool("pairs", false, "also print the cosine similarity of every pair of images")
	input := fs.String("input", "", "raw little-endian float32 NCHW input `file`, already normalized (instead of images)")
	shape := fs.String("shape", "", "input shape `N,3,H,W` of -input")
	out := fs.String("o", "", "output `file` for the raw little-endian float32 embeddings [N, D] of -input; - for stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *input != "" || *shape != "" || *out != "" {
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments %q: -input takes no images", fs.Args())
		}
		return embedTensor(mf, *input, *shape, *out, *normalize, stdout, stderr)
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("missing IMAGE argument (or -input; run \"lowformer embed -h\" for help)")
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
	res := make([]embedResult, fs.NArg())
	var imgs []image.Image
	var ok []int
	for i, p := range fs.Args() {
		res[i].File = p
		im, err := img.decode(p)
		if err != nil {
			res[i].Error = err.Error()
			fmt.Fprintf(stderr, "lowformer embed: %s\n", res[i].Error)
			continue
		}
		imgs = append(imgs, im)
		ok = append(ok, i)
	}
	if len(imgs) > 0 {
		embs, err := m.EmbedBatch(ctx, imgs, lowformer.EmbedOptions{Side: img.size, Normalize: *normalize})
		if err != nil {
			return err
		}
		for j, i := range ok {
			res[i].Embedding = embs[j]
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		doc := embedOutput{Variant: m.Info().Variant, Backend: m.Info().Backend.String(), Size: img.size,
			Dim: m.Info().EmbeddingSize, Normalized: *normalize, Results: res}
		if err := enc.Encode(doc); err != nil {
			return err
		}
	} else {
		for _, r := range res {
			if r.Error == "" {
				fmt.Fprintf(stdout, "%s\t%s\n", r.File, formatFloats(r.Embedding))
			}
		}
	}
	if *pairs {
		for a := range ok {
			for b := a + 1; b < len(ok); b++ {
				ra, rb := res[ok[a]], res[ok[b]]
				c, err := lowformer.CosineSimilarity(ra.Embedding, rb.Embedding)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "cosine\t%s\t%s\t%.6f\n", ra.File, rb.File, c)
			}
		}
	}
	if failed := fs.NArg() - len(ok); failed > 0 {
		return fmt.Errorf("%d of %d images could not be embedded", failed, fs.NArg())
	}
	return nil
}

// embedTensor runs a raw NCHW batch and writes its [N, D] embeddings.
func embedTensor(mf *modelFlags, input, shape, out string, normalize bool, stdout, stderr io.Writer) error {
	ctx := context.Background()
	m, b, err := openRawBatch(ctx, mf, input, shape, out, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	n := b.n
	emb, err := m.Embeddings(ctx, b.x, b.n, b.h, b.w)
	if err != nil {
		return err
	}
	if normalize {
		d := m.Info().EmbeddingSize
		for i := 0; i < n; i++ {
			lowformer.L2Normalize(emb[i*d : (i+1)*d])
		}
	}
	return writeFloats(out, emb, stdout)
}

// formatFloats writes v as space-separated shortest float32 decimals.
func formatFloats(v []float32) string {
	var b strings.Builder
	for i, x := range v {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(float64(x), 'g', -1, 32))
	}
	return b.String()
}
