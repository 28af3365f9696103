// Package refdata finds and reads the shared reference data of the project
// (../shared/testdata/lowformer next to the repository root) for tests.
package refdata

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot is the folder holding go.mod, found by walking up from the
// working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

// Dir returns ../shared/testdata/lowformer/<variant> (variant "b0" or
// "E1"), or skips the test with a clear message when the shared reference
// data is absent.
func Dir(t testing.TB, variant string) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Skipf("skipping: cannot locate the repository root: %v", err)
	}
	dir := filepath.Join(root, "..", "shared", "testdata", "lowformer", variant)
	if _, err := os.Stat(filepath.Join(dir, "evalmodel.pt")); err != nil {
		t.Skipf("skipping: reference data %s is not present (it lives in ../shared beside the repository)", dir)
	}
	return dir
}

// Meta is the JSON description beside a .bin file.
type Meta struct {
	Shape  []int  `json:"shape"`
	Layout string `json:"layout"`
}

// ReadBin reads a raw little-endian float32 file and its .json description,
// checking that the value count matches the shape.
func ReadBin(t testing.TB, path string) ([]float32, Meta) {
	t.Helper()
	data, err := ReadF32(path)
	if err != nil {
		t.Fatal(err)
	}
	var m Meta
	raw, err := os.ReadFile(path[:len(path)-len(".bin")] + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 1
	for _, d := range m.Shape {
		n *= d
	}
	if n != len(data) {
		t.Fatalf("%s: %d values, shape %v", path, len(data), m.Shape)
	}
	return data, m
}

// MustF32 is ReadF32 that fails the test on error.
func MustF32(t testing.TB, path string) []float32 {
	t.Helper()
	v, err := ReadF32(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ReadF32 reads a raw little-endian float32 file.
func ReadF32(path string) ([]float32, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(raw)%4 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of float32 values", path, len(raw))
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}
