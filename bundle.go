package lowformer

import (
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// Bounds on the search of a weights folder: the official layout is five
// folders deep (.exp/cls/imagenet/<variant>/checkpoint/evalmodel.pt).
const (
	maxFolderDepth   = 8
	maxFolderEntries = 100000
)

var errFolderTooBig = errors.New("too many files")

// findCheckpoint finds the checkpoint file in folder dir: the one of
// variant when it is set, else the only one (see checkpoint.PickCheckpoint).
func findCheckpoint(dir, variant string) (string, error) {
	var names []string
	seen := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // skip unreadable sub-folders
		}
		if seen++; seen > maxFolderEntries {
			return errFolderTooBig
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel != "." && (depth(rel) >= maxFolderDepth || d.Name() == "node_modules" || d.Name() == ".git") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if errors.Is(err, errFolderTooBig) {
		return "", badCheckpoint("weights folder %s has more than %d files; name the checkpoint file itself", dir, maxFolderEntries)
	}
	if err != nil {
		return "", badCheckpoint("reading weights folder: %w", err)
	}
	name, err := checkpoint.PickCheckpoint(names, variant, "weights folder "+dir)
	if err != nil {
		return "", badCheckpoint("checkpoint: %w", err)
	}
	return filepath.Join(dir, filepath.FromSlash(name)), nil
}

// depth counts the path elements of a relative path.
func depth(rel string) int {
	n := 1
	for _, c := range filepath.ToSlash(rel) {
		if c == '/' {
			n++
		}
	}
	return n
}
