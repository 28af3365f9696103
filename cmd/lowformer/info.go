package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/model"
)

func init() {
	register("info", "describe a checkpoint: variant, parameters, dtype, classes, size, recorded training", runInfo)
}

// infoRecord is the -json output of info.
type infoRecord struct {
	File           string       `json:"file"`
	FileBytes      int64        `json:"file_bytes"`
	Variant        string       `json:"variant"`
	Architecture   string       `json:"architecture"`
	Config         model.Config `json:"config"`
	Params         int          `json:"params"`
	Format         string       `json:"format"`
	DType          string       `json:"dtype"`
	Quantization   string       `json:"quantization,omitempty"`
	NativeSide     int          `json:"input_size"` // lowformer.Info.NativeSide, named as the metadata key
	Classes        int          `json:"classes"`
	Labels         []string     `json:"labels"`
	OptimizerState bool         `json:"optimizer_state"`
	Training       trainingJSON `json:"training"`
	Note           string       `json:"note,omitempty"` // lowformer.TestWeightsNote when the file records no training
	// With -kernels: the adapter and the GPU kernel set a GPU model uses there, and why.
	Adapter       string `json:"adapter,omitempty"`
	Kernels       string `json:"kernels,omitempty"`
	KernelsReason string `json:"kernels_reason,omitempty"`
	// With -kernels: how the GPU model starts (-start) and its phase once
	// open (a progressive one is generic until its first run).
	Start string `json:"start,omitempty"`
	Phase string `json:"phase,omitempty"`
}

// trainingJSON is lowformer.Training in the -json output of info.
type trainingJSON struct {
	Known         bool    `json:"known"`
	Epoch         int     `json:"epoch"`    // -1: none recorded
	Accuracy      float64 `json:"accuracy"` // fraction; 0: none recorded
	AccuracySplit string  `json:"accuracy_split,omitempty"`
	Dataset       string  `json:"dataset,omitempty"`
	TrainImages   int     `json:"train_images,omitempty"`
}

func runInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("info", "[-json] [-kernels auto|cpu|gpu] [-start progressive|specialized] FILE", stderr)
	asJSON := fs.Bool("json", false, "print JSON (with the full label list)")
	kernels := fs.String("kernels", "", "also open the WebGPU adapter and say which GPU kernel `set` a GPU model uses there and why (auto: chosen from the adapter; cpu or gpu: forced)")
	start := fs.String("start", "progressive", "with -kernels: "+startUsage)
	if err := parseArgs(fs, args, 1, 1, "checkpoint FILE"); err != nil {
		return err
	}
	if *kernels != "" && !validKernels(*kernels) {
		return fmt.Errorf("-kernels %q: want auto, cpu or gpu", *kernels)
	}
	st0, err := lowformer.ParseStart(*start)
	if err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	path := fs.Arg(0)
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	m, err := lowformer.Open(context.Background(), path, lowformer.Options{Backend: lowformer.CPU})
	if err != nil {
		return err
	}
	defer m.Close()
	in := m.Info()
	rec := infoRecord{
		File: path, FileBytes: st.Size(), Variant: in.Variant, Architecture: in.Config.String(), Config: in.Config,
		Params: in.Params, Format: in.Format, DType: in.DType, Quantization: in.Quantization, NativeSide: in.NativeSide,
		Classes: in.Classes, Labels: in.Labels, OptimizerState: in.HasOptState,
		Training: trainingJSON(in.Training), Note: testWeightsNote(in),
	}
	if *kernels != "" {
		g, err := lowformer.Open(context.Background(), path, lowformer.Options{Backend: lowformer.GPU, Kernels: lowformer.Kernels(*kernels), Start: st0})
		if err != nil {
			return fmt.Errorf("info -kernels: %w", err)
		}
		gi := g.Info()
		g.Close()
		rec.Adapter, rec.Kernels, rec.KernelsReason = gi.Adapter, string(gi.Kernels), gi.KernelsReason
		rec.Start, rec.Phase = string(gi.Start), string(gi.Phase)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rec)
	}
	fmt.Fprintf(stdout, "file:            %s (%.1f MB)\n", path, float64(st.Size())/1e6)
	fmt.Fprintf(stdout, "variant:         %s\n", in.Variant)
	fmt.Fprintf(stdout, "architecture:    %s\n", rec.Architecture)
	fmt.Fprintf(stdout, "parameters:      %d (%.1f M)\n", in.Params, float64(in.Params)/1e6)
	fmt.Fprintf(stdout, "format, dtype:   %s, %s%s\n", in.Format, in.DType, quantNote(in.Quantization))
	fmt.Fprintf(stdout, "input size:      %d×%d (any size ≥ %d works)\n", in.NativeSide, in.NativeSide, minSize)
	fmt.Fprintf(stdout, "classes:         %d (%s)\n", in.Classes, labelPreview(in.Labels, 3))
	fmt.Fprintf(stdout, "optimizer state: %s\n", map[bool]string{false: "no", true: "yes (ignored for inference; convert drops it)"}[in.HasOptState])
	fmt.Fprintf(stdout, "training:        %s\n", in.Training)
	fmt.Fprintf(stdout, "backends:        %s\n", backends())
	if rec.Kernels != "" {
		fmt.Fprintf(stdout, "kernels:         %s on %s (%s)\n", rec.Kernels, rec.Adapter, rec.KernelsReason)
		fmt.Fprintf(stdout, "start, phase:    %s, %s once open\n", rec.Start, rec.Phase)
	}
	if rec.Note != "" {
		fmt.Fprintf(stdout, "note:            %s\n", rec.Note)
	}
	return nil
}

// testWeightsNote returns lowformer.TestWeightsNote for a model whose
// checkpoint records no training, else "".
func testWeightsNote(in lowformer.Info) string {
	if in.Training.Known {
		return ""
	}
	return lowformer.TestWeightsNote
}

// backends says where this build runs models.
func backends() string {
	if lowformer.GPUSupported {
		return "gpu (WebGPU), cpu"
	}
	return "cpu only (this build has no GPU support: it was built without cgo)"
}

// labelPreview joins the first names (up to the first comma) of the first
// n labels, with an ellipsis when there are more.
func labelPreview(l []string, n int) string {
	short := make([]string, 0, n+1)
	for i, s := range l {
		if i == n {
			short = append(short, "…")
			break
		}
		first, _, _ := strings.Cut(s, ",")
		short = append(short, first)
	}
	return strings.Join(short, "; ")
}

// quantNote describes the quantization of an int8 file for the dtype line.
func quantNote(scheme string) string {
	if scheme == "" {
		return ""
	}
	return " (" + scheme + ": conv and linear weights int8 with per-channel scales, dequantized to F32 at load)"
}
