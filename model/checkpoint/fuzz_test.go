package checkpoint

import (
	"archive/zip"
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixtureFiles lists the committed checkpoint fixtures.
func fixtureFiles(t testing.TB) []string {
	var out []string
	for _, pattern := range []string{"testdata/*.pt", "testdata/*.safetensors"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) == 0 {
		t.Fatal("no fixtures in testdata")
	}
	return out
}

// FuzzRead feeds arbitrary bytes to ReadBytes. It must never panic, every
// error must carry one of the sentinel kinds, and whatever reads must be a
// consistent state dict that survives a bit-exact F32 safetensors round trip.
func FuzzRead(f *testing.F) {
	for _, p := range fixtureFiles(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(checkpointZip(f, stateDictPickle("torch.FloatStorage", 6, 0, []int32{2, 3}, []int32{1, 2}), f32Bytes(1, 2, 3, 4, 5, 6)))
	f.Add(stFile(`{"__metadata__":{"a":"b"},"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, []byte{1, 2, 3, 4}))
	f.Add(trainerCheckpoint(f, func(p *pk) *pk { return p.int(12) }, func(p *pk) *pk { return p.binFloat(79.5) }))
	f.Add(stFile(`{"__metadata__":{"quantization":"int8_symmetric_per_channel"},"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]},"w.scale":{"dtype":"F32","shape":[2,1],"data_offsets":[6,14]}}`,
		append([]byte{1, 0xff, 127, 0x81, 2, 0}, f32Bytes(0.5, 2)...)))
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := ReadBytes(data)
		if err != nil {
			if !hasKind(err) || !strings.HasPrefix(err.Error(), "checkpoint: ") {
				t.Fatalf("error without a kind or prefix: %v", err)
			}
			return
		}
		checkConsistent(t, sd)
		if r := sd.Trainer; (!r.HasEpoch && r.Epoch != 0) || (!r.HasBestVal && r.BestVal != 0) ||
			math.IsNaN(r.BestVal) || math.IsInf(r.BestVal, 0) || (sd.Format == FormatSafetensors && r != TrainerRecord{}) {
			t.Fatalf("inconsistent trainer record %+v of a %s file", r, sd.Format)
		}
		var buf bytes.Buffer
		if err := WriteSafetensors(&buf, sd, F32, sd.Meta); err != nil {
			if strings.Contains(err.Error(), "may not be named") {
				return
			}
			t.Fatalf("cannot write what was read: %v", err)
		}
		back, err := ReadBytes(buf.Bytes())
		if err != nil {
			t.Fatalf("cannot read what was written: %v", err)
		}
		if !reflect.DeepEqual(back.Keys, sd.Keys) {
			t.Fatalf("keys %v became %v", sd.Keys, back.Keys)
		}
		for _, k := range sd.Keys {
			a, b := sd.Tensors[k], back.Tensors[k]
			if !reflect.DeepEqual(a.Shape, b.Shape) || !reflect.DeepEqual(a.I64, b.I64) || len(a.F32) != len(b.F32) {
				t.Fatalf("%s changed in the round trip", k)
			}
			for i := range a.F32 {
				if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
					t.Fatalf("%s[%d] changed in the round trip", k, i)
				}
			}
		}
	})
}

// checkConsistent verifies the invariants of a successfully read StateDict.
func checkConsistent(t *testing.T, sd *StateDict) {
	t.Helper()
	if len(sd.Keys) != len(sd.Tensors) {
		t.Fatalf("%d keys but %d tensors", len(sd.Keys), len(sd.Tensors))
	}
	for _, k := range sd.Keys {
		tn := sd.Tensors[k]
		if tn == nil {
			t.Fatalf("key %q has no tensor", k)
		}
		n := tn.Numel()
		if tn.DType.IsFloat() && (len(tn.F32) != n || tn.I64 != nil) || !tn.DType.IsFloat() && (len(tn.I64) != n || tn.F32 != nil) {
			t.Fatalf("%s: dtype %s shape %v with %d floats and %d ints", k, tn.DType, tn.Shape, len(tn.F32), len(tn.I64))
		}
	}
}

// fuzzStorages are the storages "0".."63" (512 bytes each) that FuzzPickle
// packs next to the fuzzed data.pkl.
func fuzzStorages() [][]byte {
	out := make([][]byte, 64)
	for i := range out {
		out[i] = make([]byte, 512)
		for j := range out[i] {
			out[i][j] = byte(i*31 + j*7)
		}
	}
	return out
}

// FuzzPickle runs the pickle machine on arbitrary bytes, alone and packed
// as data.pkl into a checkpoint zip with fixed storages (so tensor
// rebuilding and state dict selection run too). It must never panic, every
// error must carry one of the sentinel kinds and what reads must be
// consistent.
func FuzzPickle(f *testing.F) {
	storages := fuzzStorages()
	for _, p := range fixtureFiles(f) {
		if !strings.HasSuffix(p, ".pt") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			f.Fatal(err)
		}
		for _, zf := range zr.File {
			if strings.HasSuffix(zf.Name, "/data.pkl") {
				rc, err := zf.Open()
				if err != nil {
					f.Fatal(err)
				}
				pkl, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					f.Fatal(err)
				}
				f.Add(pkl)
			}
		}
	}
	f.Add(newPickle().global("os.system").str("ls").op(opTuple1, opReduce, opStop).Bytes())
	f.Add([]byte{opProto, 4, opFrame, 9, 0, 0, 0, 0, 0, 0, 0, opShortBinUni, 1, 'a', opMemoize, opLong1, 9, 1, 2, 3, 4, 5, 6, 7, 8, 0x80, opTuple2, opStop})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := unpickle(data, "fuzz.pkl", nil)
		if err != nil && !hasKind(err) {
			t.Fatalf("error without a kind: %v", err)
		}
		if d, ok := v.(*pyDict); ok {
			selectStateDict(d) // must not panic on any dict
		}
		sd, err := ReadBytes(checkpointZip(t, data, storages...))
		if err != nil {
			if !hasKind(err) {
				t.Fatalf("error without a kind: %v", err)
			}
			return
		}
		checkConsistent(t, sd)
	})
}
