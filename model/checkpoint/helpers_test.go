package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ziptest"
)

// sharedDir returns ../shared relative to the repository root (the folder
// holding go.mod), skipping the test when it is absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir := findShared()
	if dir == "" {
		t.Skip("reference data ../shared/testdata/lowformer (next to the repository root) is absent; skipping")
	}
	return dir
}

// findShared returns ../shared next to the repository root, or "" when it
// (or the repository root) cannot be found.
func findShared() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "testdata", "lowformer")); err != nil {
		return ""
	}
	return shared
}

// expectedTensor is one tensor of testdata/expected.json.
type expectedTensor struct {
	Key    string    `json:"key"`
	Shape  []int     `json:"shape"`
	DType  DType     `json:"dtype"`
	Values []float64 `json:"values"`
}

// expectedFixture is one fixture entry of testdata/expected.json.
type expectedFixture struct {
	Tensors           []expectedTensor  `json:"tensors"`
	HasOptimizerState bool              `json:"has_optimizer_state"`
	Meta              map[string]string `json:"meta"`
}

// loadExpected reads testdata/expected.json (written by gen_fixtures.py).
func loadExpected(t testing.TB) (map[string]expectedFixture, conversionVectors) {
	t.Helper()
	raw, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	fixtures := map[string]expectedFixture{}
	var conv conversionVectors
	for name, msg := range all {
		var err error
		if name == "conversion" {
			err = json.Unmarshal(msg, &conv)
		} else {
			var f expectedFixture
			err = json.Unmarshal(msg, &f)
			fixtures[name] = f
		}
		if err != nil {
			t.Fatalf("expected.json %s: %v", name, err)
		}
	}
	return fixtures, conv
}

// conversionVectors holds float32 inputs and torch's f16/bf16 results.
type conversionVectors struct {
	F32Bits  []uint32 `json:"f32_bits"`
	F16Bits  []uint16 `json:"f16_bits"`
	BF16Bits []uint16 `json:"bf16_bits"`
}

// readFixture reads a committed fixture file.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// zipEntry is one file of a test archive.
type zipEntry = ziptest.Entry

// buildZip writes a zip archive with the given entries.
func buildZip(t testing.TB, entries ...zipEntry) []byte { return ziptest.Build(t, entries...) }

// checkpointZip wraps a pickle and storages ("0", "1", ...) into the zip
// layout torch writes, with root folder "archive".
func checkpointZip(t testing.TB, pickle []byte, storages ...[]byte) []byte {
	entries := []zipEntry{{Name: "archive/data.pkl", Data: pickle}}
	for i, s := range storages {
		entries = append(entries, zipEntry{Name: "archive/data/" + strconv.Itoa(i), Data: s})
	}
	entries = append(entries, zipEntry{Name: "archive/version", Data: []byte("3\n")})
	return buildZip(t, entries...)
}

// pk assembles pickles opcode by opcode.
type pk struct{ bytes.Buffer }

func newPickle() *pk {
	p := &pk{}
	p.op(opProto, 2)
	return p
}

func (p *pk) op(b ...byte) *pk { p.Write(b); return p }

// str emits BINUNICODE.
func (p *pk) str(s string) *pk {
	p.op(opBinUnicode)
	binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
	return p
}

// global emits GLOBAL module.name.
func (p *pk) global(name string) *pk {
	i := strings.LastIndexByte(name, '.')
	p.op(opGlobal)
	p.WriteString(name[:i] + "\n" + name[i+1:] + "\n")
	return p
}

// int emits BININT.
func (p *pk) int(n int32) *pk {
	p.op(opBinInt)
	binary.Write(&p.Buffer, binary.LittleEndian, n)
	return p
}

// ints emits a tuple of ints.
func (p *pk) ints(ns ...int32) *pk {
	p.op(opMark)
	for _, n := range ns {
		p.int(n)
	}
	return p.op(opTuple)
}

// tensor emits _rebuild_tensor_v2 on storage key of storageType.
func (p *pk) tensor(storageType, key string, numel, offset int32, shape, stride []int32) *pk {
	p.global("torch._utils._rebuild_tensor_v2").op(opMark)
	p.op(opMark).str("storage").global(storageType).str(key).str("cpu").int(numel).op(opTuple, opBinPersID)
	p.int(offset).ints(shape...).ints(stride...).op(opNewFalse)
	p.global("collections.OrderedDict").op(opEmptyTuple, opReduce)
	return p.op(opTuple, opReduce)
}

// f32Bytes encodes float32 values little-endian.
func f32Bytes(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// errorKinds lists the sentinels every Read error must match one of.
var errorKinds = []error{ErrNotCheckpoint, ErrTruncated, ErrCorrupt, ErrUnsupported, ErrUnsafe}

// hasKind reports whether err matches one of the sentinel kinds.
func hasKind(err error) bool {
	for _, k := range errorKinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
