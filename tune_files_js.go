//go:build js

package lowformer

import (
	"errors"
	"io/fs"

	"github.com/lowformer/lowformer-webgpu/tuning"
)

// In the browser there are no files and no cache folder: a table comes
// as Options.TuningTable only. (Reading tables here would also bring
// encoding/json back into the wasm.)

// loadTableFile refuses a path: the browser has no files.
func loadTableFile(path string) (*tuning.Table, error) {
	return nil, errors.New("the browser has no files; pass the table as Options.TuningTable")
}

// loadCachedTable finds no stored table in the browser.
func loadCachedTable(tuning.Adapter) (*tuning.Table, string, error) {
	return nil, "", fs.ErrNotExist
}

// saveTableFile refuses: the browser has no files.
func saveTableFile(*tuning.Table, string) error {
	return errors.New("the browser has no files to store a tuning table in")
}

// cachePathOf refuses: the browser has no cache folder.
func cachePathOf(tuning.Adapter) (string, error) {
	return "", errors.New("the browser has no cache folder for tuning tables")
}

// backgroundTuning refuses: the browser has no place to store the table.
func backgroundTuning(*deviceModel, int, Options) error {
	return errors.New("the browser has no place to store the table")
}
