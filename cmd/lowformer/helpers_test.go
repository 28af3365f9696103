package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lowformer/lowformer-webgpu/tuning"

	"github.com/lowformer/lowformer-webgpu/internal/refdata"
)

// tmpDir holds files shared by the tests of this package (the converted
// checkpoints, the batch-1 input); TestMain removes it.
var tmpDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lowformer-cli-test")
	if err != nil {
		panic(err)
	}
	tmpDir = dir
	// Commands use the adapter's cached tuning table: the tests get an
	// empty folder of their own (never the user's).
	os.Setenv(tuning.CacheDirEnv, filepath.Join(dir, "tuning"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one in-process run of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the CLI in-process.
func cli(args ...string) result {
	var out, errw bytes.Buffer
	code := runMain(args, &out, &errw)
	return result{code, out.String(), errw.String()}
}

// mustCLI runs the CLI and fails the test unless it succeeds.
func mustCLI(t *testing.T, args ...string) result {
	t.Helper()
	r := cli(args...)
	if r.code != 0 {
		t.Fatalf("lowformer %s: exit %d\nstderr: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// errCase is a command line that must fail with exit status code and a
// message on stderr containing want.
type errCase struct {
	name string
	args []string
	code int
	want string
}

// checkErrors runs the cases; a failing command must print nothing on
// stdout.
func checkErrors(t *testing.T, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := cli(c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.want) {
				t.Errorf("lowformer %q: exit %d, stderr %q; want exit %d and a message containing %q",
					c.args, r.code, r.stderr, c.code, c.want)
			}
			if r.stdout != "" {
				t.Errorf("lowformer %q printed %q on stdout", c.args, r.stdout)
			}
		})
	}
}

var (
	cacheMu sync.Mutex
	cache   = map[string]string{}
)

// cached returns the file made once per test binary by make under the
// name key in tmpDir.
func cached(t *testing.T, key string, make func(path string)) string {
	t.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if p, ok := cache[key]; ok {
		return p
	}
	p := filepath.Join(tmpDir, key)
	make(p)
	if t.Failed() {
		t.FailNow()
	}
	cache[key] = p
	return p
}

// b0Weights is the b0 reference checkpoint (the test skips without it).
func b0Weights(t *testing.T) string {
	return filepath.Join(refdata.Dir(t, "b0"), "evalmodel.pt")
}

// tinyWeights is the tiny custom LowFormer of the root package's tests
// (testdata/tiny.pt: 3 classes named "class 0".."class 2", native side
// 224), for the tests the reference checkpoint is not the point of.
func tinyWeights(t *testing.T) string {
	t.Helper()
	root, err := refdata.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "testdata", "tiny.pt")
}

// b0Input1 writes the first image of the b0 reference input [2,3,224,224]
// as a batch-1 input file and returns its path with the first image's
// reference logits.
func b0Input1(t *testing.T) (string, []float32) {
	t.Helper()
	dir := refdata.Dir(t, "b0")
	logits, meta := refdata.ReadBin(t, filepath.Join(dir, "logits.bin"))
	classes := meta.Shape[1]
	path := cached(t, "b0_input1.bin", func(p string) {
		x, _ := refdata.ReadBin(t, filepath.Join(dir, "input.bin"))
		if err := writeFloats(p, x[:3*224*224], nil); err != nil {
			t.Fatal(err)
		}
	})
	return path, logits[:classes]
}

// converted converts the b0 checkpoint to safetensors of dtype once per
// test binary and returns the file.
func converted(t *testing.T, dtype string) string {
	t.Helper()
	return convertedFile(t, "b0", b0Weights(t), dtype)
}

// convertedFile converts the checkpoint weights (named name) to
// safetensors of dtype once per test binary and returns the file.
func convertedFile(t *testing.T, name, weights, dtype string) string {
	t.Helper()
	return cached(t, name+"_"+dtype+".safetensors", func(p string) {
		mustCLI(t, "convert", "-in", weights, "-out", p, "-dtype", dtype)
	})
}

// testImage is a fixture image of preprocess/testdata.
func testImage(t *testing.T, name string) string {
	t.Helper()
	root, err := refdata.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "preprocess", "testdata", name)
}

// tmpFile writes data to a new file in the test's temporary folder.
func tmpFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// decodeFloats decodes raw little-endian float32 values.
func decodeFloats(t *testing.T, b []byte) []float32 {
	t.Helper()
	if len(b)%4 != 0 {
		t.Fatalf("%d bytes is not a whole number of float32 values", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// readOutput reads a float32 file written by the CLI.
func readOutput(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeFloats(t, b)
}

// maxAbsDiff returns max |a-b|, failing when the lengths differ.
func maxAbsDiff(t *testing.T, a, b []float32) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d values, want %d", len(a), len(b))
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

// bombPNG is a valid PNG signature and IHDR chunk declaring w×h RGB pixels,
// with no pixel data: a decoder that trusted the header would allocate
// w×h×4 bytes.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)-4))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}
