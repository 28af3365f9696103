package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

func init() {
	register("features", "write the backbone stage outputs (multi-scale NCHW feature maps) of a raw float32 batch", runFeatures)
}

// runFeatures runs a raw batch, like logits, and writes the outputs of the
// chosen backbone stages:
//
//	lowformer features -weights FILE [-stages 1,2,3,4] -input IN.bin -shape N,3,H,W -o OUT.bin
//
// OUT.bin holds the stages' outputs one after the other, in the order of
// -stages, each raw little-endian float32 NCHW. stdout gets one line per
// stage, "stage<TAB>S<TAB>N,C,H,W<TAB>OFFSET", OFFSET counting float32
// values from the start of OUT.bin.
func runFeatures(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("features", "[-weights FILE] [-stages 1,2,3,4] [-backend gpu|cpu] -input IN.bin -shape N,3,H,W -o OUT.bin", stderr)
	mf := addModelFlags(fs)
	stagesFlag := fs.String("stages", "1,2,3,4", "comma-separated backbone `stages`: 0 is the stem (stride 2), 1-4 are at strides 4, 8, 16 and 32")
	input := fs.String("input", "", "raw little-endian float32 NCHW input `file`, already normalized")
	shape := fs.String("shape", "", "input shape `N,3,H,W` of -input")
	out := fs.String("o", "", "output `file` for the stages' raw little-endian float32 NCHW outputs, one after the other; - for stdout (then the stage lines go to stderr)")
	if err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	stages, err := parseStages(*stagesFlag)
	if err != nil {
		return err
	}
	ctx := context.Background()
	m, b, err := openRawBatch(ctx, mf, *input, *shape, *out, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	fs2, err := m.Features(ctx, b.x, b.n, b.h, b.w, stages)
	if err != nil {
		return err
	}
	var all []float32
	report := stdout
	if *out == "-" {
		report = stderr
	}
	for _, f := range fs2 {
		s := f.Shape
		fmt.Fprintf(report, "stage\t%d\t%d,%d,%d,%d\t%d\n", f.Stage, s[0], s[1], s[2], s[3], len(all))
		all = append(all, f.Data...)
	}
	return writeFloats(*out, all, stdout)
}

// parseStages parses a comma-separated list of stage numbers; their range
// is checked by the library.
func parseStages(s string) ([]int, error) {
	var stages []int
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("-stages %q: want comma-separated stage numbers such as 1,2,3,4", s)
		}
		stages = append(stages, v)
	}
	return stages, nil
}
