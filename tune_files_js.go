//go:build js

package lowformer

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/lowformer/lowformer-webgpu/tuning"
)

// In the browser there are no files and no cache folder: a table comes
// as Options.TuningTable, and is stored through Options.TuningStore
// (web/lowformer.js passes one backed by IndexedDB).

// defaultStore is the browser's store when Options.TuningStore is unset:
// none.
var defaultStore TuningStore = noStore{}

// noStore holds no table and refuses to save one.
type noStore struct{}

func (noStore) LoadTuning(tuning.Adapter) (*tuning.Table, string, error) {
	return nil, "", fs.ErrNotExist
}

func (noStore) SaveTuning(tuning.Adapter, *tuning.Table) (string, error) {
	return "", errors.New("the browser has no files to store a tuning table in; set Options.TuningStore")
}

// loadTableFile refuses a path: the browser has no files.
func loadTableFile(path string) (*tuning.Table, error) {
	return nil, fmt.Errorf("the browser has no files (%s); pass the table as Options.TuningTable", path)
}

// saveTableFile refuses: the browser has no files.
func saveTableFile(_ *tuning.Table, path string) error {
	return fmt.Errorf("the browser has no files to store a tuning table in (%s); use Options.TuningStore", path)
}
