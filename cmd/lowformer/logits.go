package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

func init() {
	register("logits", "run a raw float32 NCHW batch and write the raw float32 logits", runLogits)
}

func runLogits(args []string, stdout io.Writer) error {
	fs := newFlags("logits", "-weights FILE -input IN.bin -shape N,3,H,W -o OUT.bin [-backend gpu|cpu]")
	weights := fs.String("weights", "", "checkpoint `file` (.pt or .safetensors)")
	input := fs.String("input", "", "raw little-endian float32 NCHW input `file`, already normalized")
	shape := fs.String("shape", "", "input shape `N,3,H,W`")
	out := fs.String("o", "", "output `file` for the raw little-endian float32 logits [N, classes]")
	backend := fs.String("backend", "auto", "where to run: auto, gpu or cpu")
	variant := fs.String("variant", "", "expected variant (b0, b1, b15, b3, E1, E2, E3); empty detects it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *weights == "" || *input == "" || *shape == "" || *out == "" {
		fs.Usage()
		return errors.New("-weights, -input, -shape and -o are required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	n, h, w, err := parseShape(*shape)
	if err != nil {
		return err
	}
	be, err := lowformer.ParseBackend(*backend)
	if err != nil {
		return err
	}
	x, err := readFloats(*input, n*3*h*w)
	if err != nil {
		return err
	}
	ctx := context.Background()
	m, err := lowformer.Open(ctx, *weights, lowformer.Options{Backend: be, Variant: *variant})
	if err != nil {
		return err
	}
	defer m.Close()
	logits, err := m.Logits(ctx, x, n, h, w)
	if err != nil {
		return err
	}
	return writeFloats(*out, logits)
}

// parseShape parses "N,3,H,W".
func parseShape(s string) (n, h, w int, err error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return 0, 0, 0, fmt.Errorf("-shape %q: want N,3,H,W", s)
	}
	v := make([]int, 4)
	for i, p := range parts {
		v[i], err = strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v[i] < 1 {
			return 0, 0, 0, fmt.Errorf("-shape %q: %q is not a positive integer", s, p)
		}
	}
	if v[1] != 3 {
		return 0, 0, 0, fmt.Errorf("-shape %q: the channel dimension must be 3 (RGB)", s)
	}
	return v[0], v[2], v[3], nil
}

// readFloats reads exactly count little-endian float32 values.
func readFloats(path string, count int) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) != 4*count {
		return nil, fmt.Errorf("input %s has %d bytes, the shape needs %d (%d float32 values)", path, len(b), 4*count, count)
	}
	out := make([]float32, count)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

// writeFloats writes little-endian float32 values.
func writeFloats(path string, v []float32) error {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return os.WriteFile(path, b, 0o644)
}
