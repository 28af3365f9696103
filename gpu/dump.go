package gpu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvDumpWGSL names the environment variable that, natively, makes Open
// write every pipeline's WGSL to DIR/<label>.wgsl (see Options.DumpWGSL).
const EnvDumpWGSL = "LOWFORMER_DUMP_WGSL"

// ErrDumpWGSL is wrapped by the errors of a WGSL dump that cannot be made:
// an unusable dump folder at Open, or a failed write or Options.DumpWGSL
// callback when a pipeline is created.
var ErrDumpWGSL = errors.New("cannot dump the WGSL")

// DumpDir returns an Options.DumpWGSL that writes each pipeline's WGSL to
// dir/<label>.wgsl, creating dir (and its parents) now. The content is
// exactly the WGSL handed to the driver. Each file is written under a
// temporary name and renamed into place, so that a reader never sees half a
// file and two devices dumping the same kernel do not mix their writes. The
// kernels' labels are made of [a-z0-9_x]; in a label passed to
// Device.CreatePipeline directly, bytes other than ASCII letters, digits,
// '_', '-' and '.' (and a leading '.') become '_' in the file name.
func DumpDir(dir string) (func(label, wgsl string) error, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: no dump folder given", ErrDumpWGSL)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w to %s: %w", ErrDumpWGSL, dir, err)
	}
	return func(label, wgsl string) error {
		path := filepath.Join(dir, DumpFileName(label))
		if err := writeFileAtomic(path, wgsl); err != nil {
			return fmt.Errorf("%w to %s: %w", ErrDumpWGSL, path, err)
		}
		return nil
	}, nil
}

// DumpFileName is the file name DumpDir writes the WGSL of the pipeline
// labelled label to: label + ".wgsl" for every kernel label.
func DumpFileName(label string) string {
	b := []byte(label)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' && i > 0
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		b = []byte("_")
	}
	return string(b) + ".wgsl"
}

// writeFileAtomic writes s to a temporary file next to path and renames it
// to path.
func writeFileAtomic(path, s string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+strings.TrimSuffix(filepath.Base(path), ".wgsl")+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// dumpFromEnv is opt.DumpWGSL, or, when that is nil and EnvDumpWGSL is set,
// DumpDir of its value.
func dumpFromEnv(opt Options) (func(label, wgsl string) error, error) {
	if opt.DumpWGSL != nil {
		return opt.DumpWGSL, nil
	}
	dir := os.Getenv(EnvDumpWGSL)
	if dir == "" {
		return nil, nil
	}
	f, err := DumpDir(dir)
	if err != nil {
		return nil, fmt.Errorf("gpu: %s=%s: %w", EnvDumpWGSL, dir, err)
	}
	return f, nil
}

// dump hands every spec's WGSL to the device's dump callback, if any.
func (d *Device) dump(specs []PipelineSpec) error {
	if d.dumpWGSL == nil {
		return nil
	}
	for _, s := range specs {
		if err := d.dumpWGSL(s.Label, s.WGSL); err != nil {
			if !errors.Is(err, ErrDumpWGSL) {
				err = fmt.Errorf("%w: %w", ErrDumpWGSL, err)
			}
			return fmt.Errorf("gpu: pipeline %s: %w", s.Label, err)
		}
	}
	return nil
}
