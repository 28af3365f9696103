package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

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
	fs := newFlags("classify", "[-weights FILE] [-top 5] [-size R] [-threshold P] [-allow LABEL]... [-deny LABEL]... [-roi x,y,w,h] [-backend gpu|cpu] [-json] [-q] IMAGE...", stderr)
	mf := addModelFlags(fs)
	img := addImageFlags(fs)
	top := fs.Int("top", 5, "number of classes to print per image (at most: the filters below may leave fewer)")
	threshold := fs.Float64("threshold", 0, "print only the classes of at least this probability (0..1)")
	var allow, deny labelList
	fs.Var(&allow, "allow", "print only this class (its whole label, as info -json lists them); repeat the flag for several")
	fs.Var(&deny, "deny", "never print this class (its whole label); repeat the flag for several; not with -allow")
	roiFlag := fs.String("roi", "", "classify only this region of each image: `x,y,w,h` as fractions of the width and height (0,0 the top left corner), e.g. 0.25,0.25,0.5,0.5 for the center")
	batch := fs.Int("batch", 8, "images per forward pass")
	asJSON := fs.Bool("json", false, "print one JSON document (per image: file, predictions or error)")
	quiet := fs.Bool("q", false, "quiet: no model line and no shader-compilation progress on stderr (warnings and errors still go there)")
	if err := parseArgs(fs, args, 1, -1, "IMAGE"); err != nil {
		return err
	}
	if *top < 1 {
		return fmt.Errorf("-top %d: want at least 1", *top)
	}
	if *batch < 1 {
		return fmt.Errorf("-batch %d: want at least 1", *batch)
	}
	if !(*threshold >= 0 && *threshold <= 1) {
		return fmt.Errorf("-threshold %v: want a probability in 0..1", *threshold)
	}
	if len(allow) > 0 && len(deny) > 0 {
		return fmt.Errorf("-allow and -deny are mutually exclusive")
	}
	roi, err := parseROI(*roiFlag)
	if err != nil {
		return err
	}
	opt := lowformer.ClassifyOptions{TopK: *top, ScoreThreshold: float32(*threshold), CategoryAllowlist: allow, CategoryDenylist: deny, RegionOfInterest: roi}
	if err := img.check(); err != nil {
		return err
	}
	ctx := context.Background()
	m, err := mf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	if !*quiet {
		fmt.Fprintln(stderr, modelLine(m.Info(), mf.weights))
	}
	if note := testWeightsNote(m.Info()); note != "" {
		fmt.Fprintf(stderr, "lowformer classify: note: %s\n", note)
	}

	img.size = img.sizeOr(m.Info().NativeSide)
	out := classifyOutput{Variant: m.Info().Variant, Backend: m.Info().Backend.String(), Size: img.size}
	paths, failed := fs.Args(), 0
	for start := 0; start < len(paths); start += *batch {
		var stop func()
		if start == 0 && !*quiet && m.Info().Backend == lowformer.GPU && isTerminal(stderr) {
			stop = showProgress(stderr, "first run on the GPU: compiling the shaders (the driver caches them)")
		}
		res, err := classifyBatch(ctx, m, img, paths[start:min(start+*batch, len(paths))], opt)
		if stop != nil {
			stop()
		}
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

// modelLine says which model classify uses, for stderr:
//
//	lowformer classify: model B0, 1000 classes, file evalmodel.pt, on gpu (NVIDIA H100)
//	lowformer classify: model custom, 10 classes, built-in Fashion-MNIST LowFormer, on cpu
func modelLine(in lowformer.Info, weights string) string {
	src := "file " + weights
	if weights == "" {
		src = "built-in"
		if _, name, err := defaultWeights(); err == nil && name != "" {
			src += " " + name
		}
	}
	where := in.Backend.String()
	if in.Adapter != "" {
		where += " (" + in.Adapter + ")"
	}
	if in.Kernels != "" {
		where += ", kernels " + string(in.Kernels) + " (" + in.KernelsReason + ")"
	}
	return fmt.Sprintf("lowformer classify: model %s, %d classes, %s, on %s", in.Variant, in.Classes, src, where)
}

// isTerminal reports whether w is a terminal (a character device); it is
// a variable so that tests can pretend.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressDelay is how long showProgress waits before it draws (so that a
// fast step, such as shaders already in the driver's cache, prints
// nothing); progressTick is how often it then updates the elapsed seconds.
var progressDelay, progressTick = 300 * time.Millisecond, time.Second

// showProgress writes msg with the seconds elapsed on one line of w, from
// progressDelay on and updated every progressTick, until the returned stop
// erases the line.
func showProgress(w io.Writer, msg string) (stop func()) {
	t0 := time.Now()
	done := make(chan struct{})
	drawn := make(chan bool, 1)
	go func() {
		shown := false
		defer func() { drawn <- shown }()
		wait := time.NewTimer(progressDelay)
		defer wait.Stop()
		select {
		case <-done:
			return
		case <-wait.C:
		}
		tick := time.NewTicker(progressTick)
		defer tick.Stop()
		for {
			fmt.Fprintf(w, "\r\x1b[K%s… %ds", msg, int(time.Since(t0).Seconds()))
			shown = true
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		if <-drawn {
			fmt.Fprint(w, "\r\x1b[K")
		}
	}
}

// classifyBatch decodes paths and classifies those that decode in one
// forward pass with opt (its Side set from f). Images that fail to decode
// get their error in the result; a failure of the model itself (or options
// it refuses) is returned.
func classifyBatch(ctx context.Context, m *lowformer.Model, f *imageFlags, paths []string, opt lowformer.ClassifyOptions) ([]classifyResult, error) {
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
	opt.Side = f.size
	preds, err := m.ClassifyBatch(ctx, imgs, opt)
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
	if len(r.Predictions) == 0 {
		fmt.Fprintln(w, "  (no class passes -threshold, -allow or -deny)")
	}
	for _, p := range r.Predictions {
		fmt.Fprintf(w, "  %7.2f%%  %s  (%d)\n", 100*p.Prob, p.Label, p.Index)
	}
}

// labelList is a flag that collects every value it is given (class labels
// hold commas, so one flag per label).
type labelList []string

func (l *labelList) String() string { return strings.Join(*l, "; ") }

func (l *labelList) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty label")
	}
	*l = append(*l, s)
	return nil
}

// parseROI parses -roi x,y,w,h (fractions of the image size) as a region of
// interest; "" is none.
func parseROI(s string) (*lowformer.Rect, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, fmt.Errorf("-roi %q: want four comma-separated fractions x,y,w,h", s)
	}
	v := make([]float64, 4)
	for i, p := range parts {
		var err error
		if v[i], err = strconv.ParseFloat(strings.TrimSpace(p), 64); err != nil {
			return nil, fmt.Errorf("-roi %q: %q is not a number", s, p)
		}
	}
	// x+w may exceed 1 by a rounding error (0.1+0.9).
	r := &lowformer.Rect{Left: v[0], Top: v[1], Right: snap(v[0] + v[2]), Bottom: snap(v[1] + v[3])}
	if v[2] <= 0 || v[3] <= 0 || r.Validate() != nil {
		return nil, fmt.Errorf("-roi %q: want x, y ≥ 0, w, h > 0, x+w ≤ 1 and y+h ≤ 1 (fractions of the image width and height)", s)
	}
	return r, nil
}

// snap returns 1 for values within a rounding error above it.
func snap(v float64) float64 {
	if v > 1 && v < 1+1e-9 {
		return 1
	}
	return v
}
