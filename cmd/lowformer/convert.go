package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/labels"
	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

func init() {
	register("convert", "validate a checkpoint and write it as safetensors (f32, f16, bf16 or int8) with its config and labels", runConvert)
}

func runConvert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("convert", "-in FILE -out FILE.safetensors [-dtype f32|f16|bf16|int8] [-labels FILE]", stderr)
	in := fs.String("in", "", "input checkpoint `file` (.pt or .safetensors)")
	out := fs.String("out", "", "output safetensors `file`")
	dtypeName := fs.String("dtype", "f32", "type of the output: f32 (lossless), f16 or bf16 (half the size), int8 (conv and linear weights as int8 per output channel, the rest f32: about a quarter)")
	labelsFile := fs.String("labels", "", "text `file` with one class name per line, in logit order (default: the input's labels, or the ImageNet names for 1000 classes)")
	variant := fs.String("variant", "", "expected `variant` (b0, b1, b15, b3, E1, E2, E3); empty detects it")
	if err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	if err := required("-in", *in, "-out", *out); err != nil {
		return err
	}
	dtype, err := parseDType(*dtypeName)
	if err != nil {
		return err
	}
	sd, err := checkpoint.ReadFile(*in)
	if err != nil {
		return err
	}
	cfg, err := model.ResolveConfig(*variant, sd)
	if err != nil {
		return fmt.Errorf("%s is not a usable LowFormer checkpoint: %w", *in, err)
	}
	names, err := chooseLabels(*labelsFile, sd.Meta, cfg.Classes)
	if err != nil {
		return err
	}
	meta, err := convertMeta(sd.Meta, cfg, names)
	if err != nil {
		return err
	}
	trainerMeta(meta, sd.Trainer)
	if _, err := model.Build(cfg, sd); err != nil {
		return fmt.Errorf("%s is not a usable LowFormer checkpoint: %w", *in, err)
	}
	outSD, floatType := sd, dtype
	if dtype == checkpoint.I8 {
		if outSD, err = model.QuantizeInt8(cfg, sd, model.MinQuantElements); err != nil {
			return err
		}
		meta[checkpoint.MetaQuantization], floatType = checkpoint.QuantInt8, checkpoint.F32
	}
	size, err := writeAtomically(*out, func(w io.Writer) error { return checkpoint.WriteSafetensors(w, outSD, floatType, meta) })
	if err != nil {
		return err
	}
	inSize := int64(0)
	if st, err := os.Stat(*in); err == nil {
		inSize = st.Size()
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d tensors, %s, %.1f MB (from %s %s, %.1f MB)\n",
		*out, cfg.Name, len(sd.Keys), dtype, float64(size)/1e6, sd.Format, sd.FileDType, float64(inSize)/1e6)
	if q := len(outSD.Keys) - len(sd.Keys); q > 0 {
		fmt.Fprintf(stdout, "%d conv and linear weights are int8 (symmetric, per output channel, scales in %q tensors); the other tensors are F32\n", q, checkpoint.ScaleSuffix)
	}
	if sd.HasOptimizerState {
		fmt.Fprintln(stdout, "the optimizer state of the input was dropped")
	}
	return nil
}

// parseDType parses the -dtype flag.
func parseDType(s string) (checkpoint.DType, error) {
	switch strings.ToLower(s) {
	case "f32", "float32", "fp32":
		return checkpoint.F32, nil
	case "f16", "float16", "fp16", "half":
		return checkpoint.F16, nil
	case "bf16", "bfloat16":
		return checkpoint.BF16, nil
	case "int8", "i8":
		return checkpoint.I8, nil
	}
	return "", fmt.Errorf("-dtype %q: want f32, f16, bf16 or int8", s)
}

// chooseLabels returns the class names to store: those of the -labels file,
// else those already in the input's metadata, else the ImageNet names for
// 1000 classes, else none.
func chooseLabels(file string, meta map[string]string, classes int) ([]string, error) {
	var names []string
	switch s, inMeta := meta[lowformer.MetaLabels]; {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading -labels: %w", err)
		}
		names = strings.Split(strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
		for i, n := range names {
			if strings.TrimSpace(n) == "" {
				return nil, fmt.Errorf("-labels %s: line %d is empty", file, i+1)
			}
		}
		if len(names) != classes {
			return nil, fmt.Errorf("-labels %s has %d names, the model has %d classes", file, len(names), classes)
		}
	case inMeta:
		if err := json.Unmarshal([]byte(s), &names); err != nil {
			return nil, fmt.Errorf("the input's %q metadata is not a JSON list of strings: %v", lowformer.MetaLabels, err)
		}
		if len(names) != classes {
			return nil, fmt.Errorf("the input's %q metadata has %d names, the model has %d classes", lowformer.MetaLabels, len(names), classes)
		}
	case classes == labels.NumClasses:
		names = labels.ImageNet[:]
	}
	return names, nil
}

// trainerMeta carries a .pt trainer dict's epoch and best_val (percent)
// into the metadata keys that lowformer.Info.Training reads, so that a
// converted file still says how it was trained.
func trainerMeta(meta map[string]string, r checkpoint.TrainerRecord) {
	if r.HasEpoch {
		meta[lowformer.MetaEpoch] = strconv.FormatInt(r.Epoch, 10)
	}
	if r.HasBestVal && r.BestVal > 0 && r.BestVal <= 100 {
		meta[lowformer.MetaValAccuracy] = strconv.FormatFloat(r.BestVal/100, 'f', -1, 64)
	}
}

// convertMeta returns the output metadata: the input's, with the config,
// the variant and the labels (when there are any) set.
func convertMeta(in map[string]string, cfg model.Config, names []string) (map[string]string, error) {
	meta := maps.Clone(in)
	if meta == nil {
		meta = map[string]string{}
	}
	c, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	meta[lowformer.MetaConfig], meta[lowformer.MetaVariant] = string(c), cfg.Name
	if names != nil {
		l, err := json.Marshal(names)
		if err != nil {
			return nil, err
		}
		meta[lowformer.MetaLabels] = string(l)
	}
	return meta, nil
}

// writeAtomically writes a file through a temporary file in the same
// folder that replaces path only once write succeeded, so a failure never
// leaves a partial file (and path may be the input). It returns the size.
func writeAtomically(path string, write func(io.Writer) error) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return 0, err
	}
	st, err := tmp.Stat()
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
