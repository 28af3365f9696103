package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

func init() {
	register("logits", "run a raw float32 NCHW batch and write the raw float32 logits", runLogits)
}

// runLogits implements the contract other tools rely on:
//
//	lowformer logits -weights FILE -input IN.bin -shape N,3,H,W -o OUT.bin [-backend gpu|cpu]
//
// IN.bin is N×3×H×W normalized float32, OUT.bin N×classes float32, both raw
// little-endian.
func runLogits(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("logits", "-weights FILE -input IN.bin -shape N,3,H,W -o OUT.bin [-backend gpu|cpu]", stderr)
	mf := addModelFlags(fs)
	input := fs.String("input", "", "raw little-endian float32 NCHW input `file`, already normalized")
	shape := fs.String("shape", "", "input shape `N,3,H,W`")
	out := fs.String("o", "", "output `file` for the raw little-endian float32 logits [N, classes]; - for stdout")
	if err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	ctx := context.Background()
	m, b, err := openRawBatch(ctx, mf, *input, *shape, *out, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	logits, err := m.Logits(ctx, b.x, b.n, b.h, b.w)
	if err != nil {
		return err
	}
	return writeFloats(*out, logits, stdout)
}

// parseShape parses "N,3,H,W" with N ≥ 1 and H, W within the sizes the
// model accepts.
func parseShape(s string) (n, h, w int, err error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return 0, 0, 0, fmt.Errorf("-shape %q: want four comma-separated sizes N,3,H,W", s)
	}
	v := make([]int, 4)
	for i, p := range parts {
		v[i], err = strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v[i] < 1 {
			return 0, 0, 0, fmt.Errorf("-shape %q: %q is not a positive integer", s, p)
		}
	}
	switch {
	case v[1] != 3:
		return 0, 0, 0, fmt.Errorf("-shape %q: the channel dimension must be 3 (RGB), not %d", s, v[1])
	case v[2] < minSize || v[3] < minSize:
		return 0, 0, 0, fmt.Errorf("-shape %q: H and W must be at least %d (the network's stride)", s, minSize)
	case v[0] > 1<<16 || v[2] > 1<<16 || v[3] > 1<<16 || v[0]*v[2]*v[3] > 1<<31/3:
		return 0, 0, 0, fmt.Errorf("-shape %q is too large", s)
	}
	return v[0], v[2], v[3], nil
}
