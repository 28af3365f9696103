package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

func init() {
	register("info", "describe a checkpoint: variant, parameters, dtype, classes, size", runInfo)
}

func runInfo(args []string, stdout io.Writer) error {
	fs := newFlags("info", "[-json] FILE")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("want exactly one checkpoint file")
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
	rec := map[string]any{
		"file": path, "file_bytes": st.Size(), "variant": in.Variant, "params": in.Params,
		"format": in.Format, "dtype": in.DType, "classes": in.Classes, "input_size": 224,
		"optimizer_state": in.HasOptState, "config": in.Config.String(),
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rec)
	}
	fmt.Fprintf(stdout, "file:            %s (%.1f MB)\n", path, float64(st.Size())/1e6)
	fmt.Fprintf(stdout, "variant:         %s\n", in.Variant)
	fmt.Fprintf(stdout, "architecture:    %s\n", in.Config)
	fmt.Fprintf(stdout, "parameters:      %d (%.1f M)\n", in.Params, float64(in.Params)/1e6)
	fmt.Fprintf(stdout, "format, dtype:   %s, %s\n", in.Format, in.DType)
	fmt.Fprintf(stdout, "classes:         %d\n", in.Classes)
	fmt.Fprintf(stdout, "input size:      224×224 (any size ≥ 32 works)\n")
	fmt.Fprintf(stdout, "optimizer state: %v\n", in.HasOptState)
	return nil
}
