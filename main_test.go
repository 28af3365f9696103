package lowformer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lowformer/lowformer-webgpu/tuning"
)

// TestMain gives the tests a tuning cache folder of their own: models open
// with Tune "cached" by default, and a table in the user's cache must not
// change what the tests run.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lowformer-test-cache")
	if err != nil {
		panic(err)
	}
	os.Setenv(tuning.CacheDirEnv, filepath.Join(dir, "tuning"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
