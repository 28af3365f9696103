package checkpoint

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stFile builds a safetensors file from a raw header and data section.
func stFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// stateDictPickle is {"w": tensor} for the given tensor pickle parts.
func stateDictPickle(storageType string, numel, offset int32, shape, stride []int32) []byte {
	p := newPickle().op(opEmptyDict).str("w")
	p.tensor(storageType, "0", numel, offset, shape, stride)
	return p.op(opSetItem, opStop).Bytes()
}

// TestReadErrors feeds malformed and hostile inputs; each must fail with a
// clear message of the right kind and never panic.
func TestReadErrors(t *testing.T) {
	random := make([]byte, 4096)
	rand.New(rand.NewSource(1)).Read(random)
	six := f32Bytes(1, 2, 3, 4, 5, 6)
	okTensor := stateDictPickle("torch.FloatStorage", 6, 0, []int32{2, 3}, []int32{3, 1})
	global := func(name string) []byte {
		return newPickle().global(name).str("ls").op(opTuple1, opReduce, opStop).Bytes()
	}
	stackGlobal := newPickle().str("builtins").str("eval").op(opStackGlobal, opStop).Bytes()
	deepMarks := append(newPickle().Bytes(), bytes.Repeat([]byte{opMark}, maxMarkDepth+1)...)
	for _, tc := range []struct {
		name string
		data []byte
		kind error
		msg  string
	}{
		{"empty file", nil, ErrNotCheckpoint, "the file is empty"},
		{"random bytes", random, ErrNotCheckpoint, "neither a PyTorch zip checkpoint nor safetensors"},
		{"text file", []byte("hello, this is not a checkpoint\n"), ErrNotCheckpoint, "not a checkpoint"},
		{"legacy torch format", append(append([]byte{}, legacyMagic...), 0x2e), ErrUnsupported, "legacy (torch < 1.6"},
		{"os.system", checkpointZip(t, global("os.system")), ErrUnsafe, `refusing pickle GLOBAL "os.system" (only PyTorch tensor and container types are allowed)`},
		{"builtins.eval", checkpointZip(t, global("builtins.eval")), ErrUnsafe, `refusing pickle GLOBAL "builtins.eval"`},
		{"__builtin__.set", checkpointZip(t, global("__builtin__.set")), ErrUnsafe, `refusing pickle GLOBAL "__builtin__.set"`},
		{"torch.load itself", checkpointZip(t, global("torch.load")), ErrUnsafe, `refusing pickle GLOBAL "torch.load"`},
		{"STACK_GLOBAL eval", checkpointZip(t, stackGlobal), ErrUnsafe, `refusing pickle GLOBAL "builtins.eval"`},
		{"valid control", checkpointZip(t, okTensor, six), nil, ""},
		{"storage smaller than tensor", checkpointZip(t, stateDictPickle("torch.FloatStorage", 4, 0, []int32{2, 3}, []int32{3, 1}), six),
			ErrCorrupt, `reads element 5 of storage "0", which holds only 4 elements`},
		{"offset past storage", checkpointZip(t, stateDictPickle("torch.FloatStorage", 6, 3, []int32{2, 3}, []int32{3, 1}), six),
			ErrCorrupt, "reads element 8"},
		{"stride past storage", checkpointZip(t, stateDictPickle("torch.FloatStorage", 6, 0, []int32{2, 3}, []int32{4, 1}), six),
			ErrCorrupt, "reads element 6"},
		{"storage entry shorter than declared", checkpointZip(t, stateDictPickle("torch.FloatStorage", 6, 0, []int32{2, 3}, []int32{3, 1}), six[:20]),
			ErrCorrupt, `declares 6 F32 elements (24 bytes) but archive/data/0 holds only 20 bytes`},
		{"double storage too short", checkpointZip(t, stateDictPickle("torch.DoubleStorage", 6, 0, []int32{2, 3}, []int32{3, 1}), six),
			ErrCorrupt, "holds only 24 bytes"},
		{"missing storage entry", checkpointZip(t, okTensor), ErrCorrupt, `storage "0" has no data/0 entry`},
		{"overflowing numel", checkpointZip(t, stateDictPickle("torch.FloatStorage", 6, 0, []int32{1 << 30, 1 << 30, 1 << 30, 1 << 30}, []int32{0, 0, 0, 0}), six),
			ErrCorrupt, "more elements than an int64 can count"},
		{"huge shape on small storage", checkpointZip(t, stateDictPickle("torch.FloatStorage", 6, 0, []int32{1 << 30, 1 << 30}, []int32{1 << 30, 1}), six),
			ErrCorrupt, "holds only 6 elements"},
		{"expanded view with overflowing bytes", checkpointZip(t, stateDictPickle("torch.FloatStorage", 6, 0, []int32{1<<31 - 1, 1<<31 - 1}, []int32{0, 0}), six),
			ErrCorrupt, "more storage bytes than twice the file size"},
		{"expanded view far larger than the file", checkpointZip(t, stateDictPickle("torch.FloatStorage", 6, 0, []int32{1 << 20}, []int32{0}), six),
			ErrCorrupt, "more storage bytes than twice the file size"},
		{"negative size", checkpointZip(t, stateDictPickle("torch.FloatStorage", 6, 0, []int32{-2, 3}, []int32{3, 1}), six),
			ErrCorrupt, "size[0] = -2 is not a non-negative int"},
		{"negative storage numel", checkpointZip(t, stateDictPickle("torch.FloatStorage", -6, 0, []int32{2, 3}, []int32{3, 1}), six),
			ErrCorrupt, "invalid element count -6"},
		{"shape/stride rank mismatch", checkpointZip(t, stateDictPickle("torch.FloatStorage", 6, 0, []int32{2, 3}, []int32{1}), six),
			ErrCorrupt, "has 2 sizes but 1 strides"},
		{"pickle without STOP", checkpointZip(t, okTensor[:len(okTensor)-1], six), ErrTruncated, "ends after"},
		{"pickle cut inside an argument", checkpointZip(t, okTensor[:40], six), ErrTruncated, "file is truncated"},
		{"unsupported opcode NEWOBJ", checkpointZip(t, newPickle().op(opEmptyTuple, opEmptyTuple, 0x81, opStop).Bytes()), ErrUnsupported, "pickle opcode NEWOBJ is not supported"},
		{"memo read before write", checkpointZip(t, newPickle().op(opBinGet, 7, opStop).Bytes()), ErrCorrupt, "memo index 7 is read before it is written"},
		{"stack underflow", checkpointZip(t, newPickle().op(opReduce, opStop).Bytes()), ErrCorrupt, "stack underflow"},
		{"pop through a mark", checkpointZip(t, newPickle().op(opNone, opMark, opTuple1, opStop).Bytes()), ErrCorrupt, "stack underflow"},
		{"setitem on a list", checkpointZip(t, newPickle().op(opEmptyList, opNone, opNone, opSetItem, opStop).Bytes()), ErrCorrupt, "SETITEM on a list"},
		{"REDUCE of a storage type", checkpointZip(t, newPickle().global("torch.FloatStorage").op(opEmptyTuple, opReduce, opStop).Bytes()), ErrCorrupt, "not callable"},
		{"deep MARK nesting", checkpointZip(t, deepMarks), ErrUnsupported, "nested deeper than"},
		{"huge string length", checkpointZip(t, append(newPickle().Bytes(), opBinUnicode, 0xff, 0xff, 0xff, 0x7f)), ErrUnsupported, "longer than"},
		{"string past end", checkpointZip(t, append(newPickle().Bytes(), opBinUnicode, 0x10, 0, 0, 0, 'a')), ErrTruncated, "runs past the end"},
		{"invalid UTF-8", checkpointZip(t, append(newPickle().Bytes(), opShortBinUni, 2, 0xff, 0xfe, opStop)), ErrCorrupt, "not valid UTF-8"},
		{"unterminated GLOBAL", checkpointZip(t, append(newPickle().Bytes(), "ctorch\nFloat"...)), ErrTruncated, "not terminated"},
		{"top level is a list", checkpointZip(t, newPickle().op(opEmptyList, opStop).Bytes()), ErrNotCheckpoint, "holds a list"},
		{"entry not a tensor", checkpointZip(t, newPickle().op(opEmptyDict).str("w").op(opBinInt1, 1, opSetItem, opStop).Bytes()), ErrCorrupt, `entry "w" is a int, not a tensor`},
		{"state_dict not a dict", checkpointZip(t, newPickle().op(opEmptyDict).str("state_dict").op(opNone, opSetItem, opStop).Bytes()), ErrCorrupt, "state_dict is a None"},
		{"duplicate key after normalisation", checkpointZip(t, func() []byte {
			p := newPickle().op(opEmptyDict, opMark).str("module.w")
			p.tensor("torch.FloatStorage", "0", 6, 0, []int32{6}, []int32{1}).str("w")
			p.tensor("torch.FloatStorage", "0", 6, 0, []int32{6}, []int32{1})
			return p.op(opSetItems, opStop).Bytes()
		}(), six), ErrCorrupt, `key "w" occurs twice`},
		{"big-endian storages", buildZip(t, zipEntry{Name: "archive/data.pkl", Data: okTensor}, zipEntry{Name: "archive/byteorder", Data: []byte("big")}),
			ErrUnsupported, `archive/byteorder says "big"`},
		{"little-endian control", buildZip(t, zipEntry{Name: "archive/byteorder", Data: []byte("little")},
			zipEntry{Name: "archive/data.pkl", Data: okTensor}, zipEntry{Name: "archive/data/0", Data: six}), nil, ""},
		{"zip without data.pkl", buildZip(t, zipEntry{Name: "archive/version", Data: []byte("3\n")}), ErrNotCheckpoint, "no <root>/data.pkl"},
		{"two data.pkl", buildZip(t, zipEntry{Name: "a/data.pkl", Data: okTensor}, zipEntry{Name: "b/data.pkl", Data: okTensor}), ErrCorrupt, "cannot tell which"},
		{"zip bomb pickle", checkpointZip(t, nil), nil, ""}, // replaced below
		{"only a header length", binary.LittleEndian.AppendUint64(nil, 1<<40), ErrTruncated, "8 bytes are too few"},
		{"safetensors header over limit", append(binary.LittleEndian.AppendUint64(nil, 1<<40), '{', '}'), ErrCorrupt, "exceeds the 16777216-byte limit"},
		{"safetensors with too many tensors", stFile("{"+manyEntries(maxTensors+1)+"}", nil), ErrUnsupported, "more than 16384 tensors"},
		{"safetensors header past end", append(binary.LittleEndian.AppendUint64(nil, 100), '{', '}'), ErrTruncated, "claims 100 bytes but only 2 follow"},
		{"safetensors end past data", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, six[:4]), ErrTruncated, "ends at data byte 8 but the data section has 4 bytes"},
		{"safetensors size mismatch", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}`, six), ErrCorrupt, "needs 8 bytes but data_offsets [0 12] span 12"},
		{"safetensors begin after end", stFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}`, six), ErrCorrupt, "invalid data_offsets"},
		{"safetensors overlap", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, six), ErrCorrupt, `"a" and "b" overlap`},
		{"safetensors negative dim", stFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, nil), ErrCorrupt, "negative dimension"},
		{"safetensors overflowing shape", stFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,0]}}`, nil), ErrCorrupt, "more elements than an int64 can count"},
		{"safetensors unknown dtype", stFile(`{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}`, six), ErrUnsupported, `unsupported dtype "F8_E4M3"`},
		{"safetensors duplicate key", stFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, six), ErrCorrupt, `lists "a" twice`},
		{"safetensors non-string metadata", stFile(`{"__metadata__":{"n":1}}`, nil), ErrCorrupt, "__metadata__ must map strings to strings"},
		{"safetensors trailing data", stFile(`{} x`, nil), ErrCorrupt, "trailing data"},
		{"safetensors broken JSON", stFile(`{"a":`, nil), ErrCorrupt, "malformed"},
		{"safetensors missing shape", stFile(`{"a":{"dtype":"F32","data_offsets":[0,0]}}`, nil), ErrCorrupt, "no shape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data
			if tc.name == "zip bomb pickle" {
				data, tc.kind, tc.msg = zipBomb(t), ErrUnsupported, "ratio above 1000"
			}
			sd, err := ReadBytes(data)
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("control case failed: %v", err)
				}
				if got := sd.Tensors["w"].F32; len(got) != 6 || got[5] != 6 {
					t.Fatalf("control case read %v", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %v containing %q", tc.kind, tc.msg)
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "checkpoint: ") {
				t.Fatalf("error %q (kind ok: %v), want kind %v containing %q", err, errors.Is(err, tc.kind), tc.kind, tc.msg)
			}
		})
	}
}

// zipBomb returns a checkpoint whose deflated data.pkl claims to inflate
// to 4 GB: the uncompressed size in the central directory is patched.
func zipBomb(t *testing.T) []byte {
	data := buildZip(t, zipEntry{Name: "archive/data.pkl", Data: bytes.Repeat([]byte{0}, 100), Deflate: true})
	i := bytes.LastIndex(data, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(data[i+24:], 0xfffffff0)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil || zr.File[0].UncompressedSize64 != 0xfffffff0 {
		t.Fatalf("patching the zip failed: %v", err)
	}
	return data
}

// TestInflateBudget checks that deflated entries may not expand beyond the
// file size plus a small constant, even at an honest compression ratio.
func TestInflateBudget(t *testing.T) {
	big := bytes.Repeat([]byte{0}, 4<<20) // deflates about 1000:1
	p := stateDictPickle("torch.FloatStorage", 1<<20, 0, []int32{1 << 20}, []int32{1})
	data := buildZip(t, zipEntry{Name: "archive/data.pkl", Data: p},
		zipEntry{Name: "archive/data/0", Data: big, Deflate: true})
	_, err := ReadBytes(data)
	if !errors.Is(err, ErrUnsupported) || !(strings.Contains(err.Error(), "more than the file size allows") || strings.Contains(err.Error(), "ratio above")) {
		t.Fatalf("error %v, want the inflation budget to refuse", err)
	}
}

// TestTruncatedPrefixes reads every proper prefix of small checkpoints:
// each must fail as truncated, without panicking.
func TestTruncatedPrefixes(t *testing.T) {
	for _, name := range []string{"bare.pt", "views.pt", "st_f16.safetensors", "st_f32.safetensors"} {
		data := readFixture(t, name)
		if _, err := ReadBytes(data); err != nil {
			t.Fatalf("%s: the full file fails: %v", name, err)
		}
		for n := 1; n < len(data); n++ {
			_, err := ReadBytes(data[:n])
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("%s cut to %d of %d bytes: error %v, want a truncation error", name, n, len(data), err)
			}
		}
	}
}

// TestReadFileErrors checks the path is named and a missing file fails.
func TestReadFileErrors(t *testing.T) {
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.pt")); err == nil || !os.IsNotExist(errors.Unwrap(err)) {
		t.Errorf("missing file: error %v", err)
	}
	path := filepath.Join(t.TempDir(), "junk.pt")
	os.WriteFile(path, []byte("junk junk junk"), 0o644)
	if _, err := ReadFile(path); !errors.Is(err, ErrNotCheckpoint) || !strings.Contains(err.Error(), path) {
		t.Errorf("junk file: error %v, want not-a-checkpoint naming %s", err, path)
	}
}

// manyEntries is n empty safetensors entries "e0" … as JSON members.
func manyEntries(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"e%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`, i)
	}
	return b.String()
}
