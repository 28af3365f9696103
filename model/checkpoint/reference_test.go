package checkpoint

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// referenceTensor is one spot-checked tensor of reference_values.json
// (written by gen_reference.py from the shared checkpoints with torch).
type referenceTensor struct {
	Key   string    `json:"key"`
	Shape []int     `json:"shape"`
	DType DType     `json:"dtype"`
	First []float64 `json:"first"`
	Last  []float64 `json:"last"`
	Sum   float64   `json:"sum"`
}

type referenceVariant struct {
	Count             int               `json:"count"`
	Tensors           []referenceTensor `json:"tensors"`
	HasOptimizerState bool              `json:"has_optimizer_state"`
}

// TestReferenceCheckpoints reads the official-format evalmodel.pt files and
// compares keys, shapes and dtypes with state_dict_keys.tsv and values with
// torch-extracted spot checks.
func TestReferenceCheckpoints(t *testing.T) {
	shared := sharedDir(t)
	raw, err := os.ReadFile("testdata/reference_values.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]referenceVariant
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		variant string
		count   int
	}{{"b0", 263}, {"E1", 157}} {
		t.Run(tc.variant, func(t *testing.T) {
			dir := filepath.Join(shared, "testdata", "lowformer", tc.variant)
			sd, err := ReadFile(filepath.Join(dir, "evalmodel.pt"))
			if err != nil {
				t.Fatal(err)
			}
			if len(sd.Keys) != tc.count || len(sd.Tensors) != tc.count {
				t.Fatalf("got %d keys / %d tensors, want %d", len(sd.Keys), len(sd.Tensors), tc.count)
			}
			if sd.Format != FormatPyTorch || sd.FileDType != F32 || sd.Meta != nil {
				t.Errorf("format %q, file dtype %q, meta %v; want pytorch, F32, nil", sd.Format, sd.FileDType, sd.Meta)
			}
			v := ref[tc.variant]
			if sd.HasOptimizerState != v.HasOptimizerState {
				t.Errorf("HasOptimizerState = %v, want %v", sd.HasOptimizerState, v.HasOptimizerState)
			}
			compareKeyList(t, sd, filepath.Join(dir, "state_dict_keys.tsv"))
			for _, rt := range v.Tensors {
				checkSpotValues(t, sd, rt)
			}
		})
	}
}

// compareKeyList checks order, shapes and dtypes against the TSV listing.
func compareKeyList(t *testing.T, sd *StateDict, tsv string) {
	t.Helper()
	f, err := os.Open(tsv)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	i := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 3 {
			t.Fatalf("bad TSV line %q", sc.Text())
		}
		if i >= len(sd.Keys) || sd.Keys[i] != cols[0] {
			t.Fatalf("key #%d: got %q, want %q", i, safeIndex(sd.Keys, i), cols[0])
		}
		tn := sd.Tensors[cols[0]]
		if got := formatShape(tn.Shape); got != cols[1] {
			t.Errorf("%s: shape %s, want %s", cols[0], got, cols[1])
		}
		want := map[string]DType{"float32": F32, "int64": I64}[cols[2]]
		if tn.DType != want {
			t.Errorf("%s: dtype %s, want %s (%s)", cols[0], tn.DType, want, cols[2])
		}
		i++
	}
	if i != len(sd.Keys) {
		t.Errorf("TSV lists %d keys, checkpoint has %d", i, len(sd.Keys))
	}
}

func safeIndex(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<none>"
}

// formatShape spells a shape like Python's list repr: [16, 3, 3, 3].
func formatShape(s []int) string {
	b, _ := json.Marshal(s)
	return strings.ReplaceAll(string(b), ",", ", ")
}

// checkSpotValues compares the first/last values and the exact sum.
func checkSpotValues(t *testing.T, sd *StateDict, rt referenceTensor) {
	t.Helper()
	tn := sd.Tensors[rt.Key]
	if tn == nil {
		t.Errorf("missing %s", rt.Key)
		return
	}
	vals := tensorValues(tn)
	if formatShape(tn.Shape) != formatShape(rt.Shape) || tn.DType != rt.DType || len(vals) != tn.Numel() {
		t.Errorf("%s: shape %v dtype %s with %d values, want %v %s", rt.Key, tn.Shape, tn.DType, len(vals), rt.Shape, rt.DType)
		return
	}
	for i, want := range rt.First {
		if vals[i] != want {
			t.Errorf("%s[%d] = %v, want %v", rt.Key, i, vals[i], want)
		}
	}
	for i, want := range rt.Last {
		if j := len(vals) - len(rt.Last) + i; vals[j] != want {
			t.Errorf("%s[%d] = %v, want %v", rt.Key, j, vals[j], want)
		}
	}
	if got := neumaierSum(vals); math.Abs(got-rt.Sum) > 1e-9*(1+math.Abs(rt.Sum)) {
		t.Errorf("%s: sum %.17g, want %.17g", rt.Key, got, rt.Sum)
	}
}

// tensorValues returns a tensor's values as float64 (exact for both kinds
// in the ranges the fixtures use).
func tensorValues(t *Tensor) []float64 {
	out := make([]float64, 0, len(t.F32)+len(t.I64))
	for _, v := range t.F32 {
		out = append(out, float64(v))
	}
	for _, v := range t.I64 {
		out = append(out, float64(v))
	}
	return out
}

// neumaierSum is a compensated float64 sum.
func neumaierSum(vs []float64) float64 {
	var s, c float64
	for _, v := range vs {
		t := s + v
		if math.Abs(s) >= math.Abs(v) {
			c += (s - t) + v
		} else {
			c += (v - t) + s
		}
		s = t
	}
	return s + c
}

// TestReferenceMemory checks that reading the 56 MB b0 checkpoint allocates
// less than twice the file size in total.
func TestReferenceMemory(t *testing.T) {
	path := filepath.Join(sharedDir(t), "testdata", "lowformer", "b0", "evalmodel.pt")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sd, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("file %d bytes, allocated %d bytes in total (%.2fx), %d tensors", st.Size(), alloc, float64(alloc)/float64(st.Size()), len(sd.Keys))
	if alloc > uint64(2*st.Size()) {
		t.Errorf("reading allocated %d bytes, more than 2x the %d-byte file", alloc, st.Size())
	}
}
