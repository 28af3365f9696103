package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// reference is the accuracy check of bench: k reference images of one size
// and their logits. A nil reference means no check (synthetic input).
type reference struct {
	input, logits []float32
	images        int
	from          string // the input file
}

// loadReference reads -ref-input and -ref-logits, or by default input.bin
// and logits.bin beside the weights when both exist and the images have
// -size; explicit files of another size are an error.
func loadReference(f *benchFlags) (*reference, error) {
	in, lg, explicit := f.refInput, f.refLogits, f.refInput != ""
	if !explicit {
		dir := filepath.Dir(f.weights)
		in, lg = filepath.Join(dir, "input.bin"), filepath.Join(dir, "logits.bin")
		if !fileExists(in) || !fileExists(lg) {
			return nil, nil
		}
	}
	if shape, ok := readShape(in); ok && (len(shape) != 4 || shape[1] != 3 || shape[2] != f.size || shape[3] != f.size) {
		if !explicit {
			return nil, nil // the default reference is of another size
		}
		return nil, fmt.Errorf("reference input %s has shape %v, not [k,3,%d,%d]", in, shape, f.size, f.size)
	}
	per := 3 * f.size * f.size
	st, err := os.Stat(in)
	if err != nil {
		return nil, fmt.Errorf("reference input: %w", err)
	}
	if st.Size() == 0 || st.Size()%int64(4*per) != 0 {
		if !explicit {
			return nil, nil // the default reference is of another size
		}
		return nil, fmt.Errorf("reference input %s has %d bytes, not a whole number of [3,%d,%d] float32 images", in, st.Size(), f.size, f.size)
	}
	k := int(st.Size() / int64(4*per))
	x, err := readFloats(in, k*per)
	if err != nil {
		return nil, err
	}
	st, err = os.Stat(lg)
	if err != nil {
		return nil, fmt.Errorf("reference logits: %w", err)
	}
	if st.Size()%int64(4*k) != 0 {
		return nil, fmt.Errorf("reference logits %s has %d bytes, not %d rows of float32 logits", lg, st.Size(), k)
	}
	y, err := readFloats(lg, int(st.Size()/4))
	if err != nil {
		return nil, err
	}
	return &reference{input: x, logits: y, images: k, from: in}, nil
}

// readShape reads the shape from the .json description beside a .bin file
// (as in shared/testdata), reporting whether there is one.
func readShape(bin string) ([]int, bool) {
	b, err := os.ReadFile(strings.TrimSuffix(bin, ".bin") + ".json")
	if err != nil {
		return nil, false
	}
	var meta struct{ Shape []int }
	if json.Unmarshal(b, &meta) != nil || meta.Shape == nil {
		return nil, false
	}
	return meta.Shape, true
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// batchInput returns the NCHW input of n images of size×size: image i is
// reference image i mod k, or deterministic values without a reference.
func (r *reference) batchInput(n, size int) []float32 {
	per := 3 * size * size
	x := make([]float32, n*per)
	for i := range n {
		dst := x[i*per : (i+1)*per]
		if r != nil {
			j := i % r.images
			copy(dst, r.input[j*per:(j+1)*per])
			continue
		}
		for p := range dst {
			dst[p] = float32((p*7919+i*104729)%2001)/1000 - 1
		}
	}
	return x
}

// check fills in the error of the first and the last run against the
// reference (the larger of the two), with whether each image's argmax
// matches, or says why there is no check.
func (r *reference) check(res *benchResult, classes, n int, runs ...[]float32) {
	if r == nil {
		res.Check = "no reference logits for this size: synthetic input, not checked"
		return
	}
	if len(r.logits) != r.images*classes {
		res.Check = fmt.Sprintf("not checked: the reference has %d logits for %d images, the model gives %d classes", len(r.logits), r.images, classes)
		return
	}
	worst, ok := 0.0, true
	for _, y := range runs {
		if len(y) != n*classes {
			res.Check = fmt.Sprintf("failed: %d logits, want %d", len(y), n*classes)
			return
		}
		for i := range n {
			got, want := y[i*classes:(i+1)*classes], r.logits[(i%r.images)*classes:(i%r.images+1)*classes]
			for c := range got {
				d := math.Abs(float64(got[c]) - float64(want[c]))
				if math.IsNaN(d) {
					d = math.Inf(1)
				}
				worst = math.Max(worst, d)
			}
			ok = ok && argmax(got) == argmax(want)
		}
	}
	res.MaxAbsErr, res.ArgmaxOK = finite(worst), &ok
	res.Check = fmt.Sprintf("first and last run against %s (image i = reference image i mod %d)", filepath.Base(filepath.Dir(r.from))+"/"+filepath.Base(r.from), r.images)
	if res.MaxAbsErr == nil {
		res.Check = "failed: the logits are not finite"
	}
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
