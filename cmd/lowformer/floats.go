package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
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
