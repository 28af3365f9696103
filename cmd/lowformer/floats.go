package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// readFloats reads a raw little-endian float32 file that must hold exactly
// count values.
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

// writeFloats writes v as raw little-endian float32 to path, or to stdout
// when path is "-".
func writeFloats(path string, v []float32, stdout io.Writer) error {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	if path == "-" {
		_, err := stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// rawBatch is a raw normalized NCHW float32 batch of n images of h×w.
type rawBatch struct {
	x       []float32
	n, h, w int
}

// openRawBatch is the start of every command that runs a raw batch
// (logits, embed -input, features): it checks that -input, -shape and -o
// are set and the model flags, reads the batch and opens the model, which
// the caller closes.
func openRawBatch(ctx context.Context, mf *modelFlags, input, shape, out string, stderr io.Writer) (*lowformer.Model, rawBatch, error) {
	if err := required("-input", input, "-shape", shape, "-o", out); err != nil {
		return nil, rawBatch{}, err
	}
	if err := mf.check(); err != nil {
		return nil, rawBatch{}, err
	}
	n, h, w, err := parseShape(shape)
	if err != nil {
		return nil, rawBatch{}, err
	}
	x, err := readFloats(input, n*3*h*w)
	if err != nil {
		return nil, rawBatch{}, err
	}
	m, err := mf.open(ctx, stderr)
	if err != nil {
		return nil, rawBatch{}, err
	}
	return m, rawBatch{x, n, h, w}, nil
}
