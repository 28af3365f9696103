// Command mksafetensors converts PyTorch checkpoints to float32 safetensors
// for the browser tests, which load the same weights from both formats:
//
//	go run ./web/test/mksafetensors -out web/test/out/fixtures b0=../shared/testdata/lowformer/b0/evalmodel.pt
//
// Each NAME=PATH argument writes OUT/NAME.safetensors, skipping files that
// are already newer than their source.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

func main() {
	out := flag.String("out", "web/test/out/fixtures", "output folder")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: mksafetensors [-out DIR] NAME=checkpoint.pt ...")
		os.Exit(2)
	}
	for _, arg := range flag.Args() {
		name, src, ok := strings.Cut(arg, "=")
		if !ok || name == "" || src == "" {
			fmt.Fprintf(os.Stderr, "mksafetensors: argument %q is not NAME=PATH\n", arg)
			os.Exit(2)
		}
		if err := convert(src, filepath.Join(*out, name+".safetensors")); err != nil {
			fmt.Fprintln(os.Stderr, "mksafetensors:", err)
			os.Exit(1)
		}
	}
}

// convert writes src's state dict as float32 safetensors to dst unless dst
// is already newer than src.
func convert(src, dst string) error {
	si, err := os.Stat(src)
	if err != nil {
		return err
	}
	if di, err := os.Stat(dst); err == nil && di.ModTime().After(si.ModTime()) {
		return nil
	}
	sd, err := checkpoint.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp := dst + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = checkpoint.WriteSafetensors(w, sd, checkpoint.F32, map[string]string{"source": filepath.Base(src)})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return os.Rename(tmp, dst)
}
