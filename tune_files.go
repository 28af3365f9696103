//go:build !js

package lowformer

import (
	"io/fs"

	"github.com/lowformer/lowformer-webgpu/tuning"
)

// loadTableFile reads the tuning table file path (Options.Tuning).
func loadTableFile(path string) (*tuning.Table, error) { return tuning.Load(path) }

// loadCachedTable reads the table stored for adapter a, with its path; an
// fs.ErrNotExist error when there is none.
func loadCachedTable(a tuning.Adapter) (*tuning.Table, string, error) {
	path, err := tuning.CachePath(a)
	if err != nil {
		return nil, "", fs.ErrNotExist // no cache folder: no stored table
	}
	tb, err := tuning.Load(path)
	return tb, path, err
}

// saveTableFile writes tb to path atomically.
func saveTableFile(tb *tuning.Table, path string) error { return tb.Save(path) }

// cachePathOf is where adapter a's table is stored.
func cachePathOf(a tuning.Adapter) (string, error) { return tuning.CachePath(a) }
