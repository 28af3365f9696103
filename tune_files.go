//go:build !js

package lowformer

import (
	"io/fs"

	"github.com/lowformer/lowformer-webgpu/tuning"
)

// defaultStore keeps tables as files under the cache folder.
var defaultStore TuningStore = fileStore{}

// fileStore is the default TuningStore natively: one file per adapter
// under tuning.CacheDir (tuning.CachePath).
type fileStore struct{}

// LoadTuning reads the table stored for adapter a, with its path; an
// fs.ErrNotExist error when there is none (or no cache folder).
func (fileStore) LoadTuning(a tuning.Adapter) (*tuning.Table, string, error) {
	path, err := tuning.CachePath(a)
	if err != nil {
		return nil, "", fs.ErrNotExist // no cache folder: no stored table
	}
	tb, err := tuning.Load(path)
	return tb, path, err
}

// SaveTuning writes t to adapter a's cache file atomically.
func (fileStore) SaveTuning(a tuning.Adapter, t *tuning.Table) (string, error) {
	path, err := tuning.CachePath(a)
	if err != nil {
		return "", err
	}
	return path, t.Save(path)
}

// loadTableFile reads the tuning table file path (Options.Tuning).
func loadTableFile(path string) (*tuning.Table, error) { return tuning.Load(path) }

// saveTableFile writes tb to path atomically.
func saveTableFile(tb *tuning.Table, path string) error { return tb.Save(path) }
