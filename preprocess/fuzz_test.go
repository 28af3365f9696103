package preprocess

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load: it must never panic, must fail
// only with one of the package's errors, and must otherwise return a full,
// finite tensor. The seed corpus is every input fixture. Run it with
//
//	go test -run '^$' -fuzz FuzzLoad -fuzzminimizetime 0 ./preprocess
//
// (minimizing the large image seeds otherwise stalls the workers).
func FuzzLoad(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) == ".py" || filepath.Ext(e.Name()) == ".md" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(pngHeader(20000, 20000))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00,"))
	const size = 32
	f.Fuzz(func(t *testing.T, b []byte) {
		// A small pixel limit keeps each run fast; the decoders still see
		// every header and chunk the fuzzer invents.
		x, err := Load(bytes.NewReader(b), Options{Size: size, MaxPixels: 1 << 20, ApplyEXIFOrientation: len(b)%2 == 0})
		if err != nil {
			if !errors.Is(err, ErrUnreadable) && !errors.Is(err, ErrUnsupportedFormat) &&
				!errors.Is(err, ErrZeroSize) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error outside the package's kinds: %v", err)
			}
			return
		}
		if len(x) != 3*size*size {
			t.Fatalf("got %d values", len(x))
		}
		for i, v := range x {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < -3 || v > 3 {
				t.Fatalf("value %d = %v", i, v)
			}
		}
	})
}
