package model

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// readKeyList reads a key/shape list: "key\tshape[\tdtype]" lines, with an
// optional "key" header.
func readKeyList(t *testing.T, path string) []ParamSpec {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []ParamSpec
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 2 || cols[0] == "key" {
			continue
		}
		var shape []int
		if err := json.Unmarshal([]byte(cols[1]), &shape); err != nil {
			t.Fatalf("%s: %q: %v", path, sc.Text(), err)
		}
		out = append(out, ParamSpec{Key: cols[0], Shape: shape})
	}
	return out
}

// compareKeyLists checks that ExpectedParams(cfg) lists exactly want, in order.
func compareKeyLists(t *testing.T, cfg Config, want []ParamSpec, source string) {
	t.Helper()
	got, err := ExpectedParams(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < min(len(got), len(want)); i++ {
		if got[i].Key != want[i].Key || !slices.Equal(got[i].Shape, want[i].Shape) {
			t.Fatalf("entry %d: got %s %v, %s has %s %v", i, got[i].Key, got[i].Shape, source, want[i].Key, want[i].Shape)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, %s has %d", len(got), source, len(want))
	}
}

// TestExpectedParamsMatchOfficialKeys compares the key lists with the
// official models' state_dict_keys.tsv (b0, E1).
func TestExpectedParamsMatchOfficialKeys(t *testing.T) {
	shared := sharedDir(t)
	for _, v := range []string{"b0", "E1"} {
		t.Run(v, func(t *testing.T) {
			path := filepath.Join(shared, "testdata", "lowformer", v, "state_dict_keys.tsv")
			compareKeyLists(t, mustConfig(t, v), readKeyList(t, path), path)
		})
	}
}

// TestExpectedParamsMatchGenerator compares the key lists of every variant
// with the independent derivation in testdata/gen_variants.py.
func TestExpectedParamsMatchGenerator(t *testing.T) {
	for _, c := range Configs() {
		t.Run(c.Name, func(t *testing.T) {
			path := filepath.Join("testdata", "variants", c.OfficialName()+".keys.tsv")
			compareKeyLists(t, c, readKeyList(t, path), path)
		})
	}
}

// b0SD returns B0's synthetic state dict, built once.
var b0SD = func() func(t *testing.T) *checkpoint.StateDict {
	var sd *checkpoint.StateDict
	return func(t *testing.T) *checkpoint.StateDict {
		if sd == nil {
			sd = synthStateDict(t, mustConfig(t, "b0"))
		}
		return sd
	}
}()

// editedStateDict returns a shallow copy of sd changed by edit.
func editedStateDict(sd *checkpoint.StateDict, edit func(*checkpoint.StateDict)) *checkpoint.StateDict {
	c := &checkpoint.StateDict{Tensors: map[string]*checkpoint.Tensor{}, Keys: slices.Clone(sd.Keys)}
	for k, v := range sd.Tensors {
		c.Tensors[k] = v
	}
	edit(c)
	return c
}

func TestBuildErrors(t *testing.T) {
	b0 := mustConfig(t, "b0")
	const pwise = "backbone.stages.2.op_list.1.total.0.0.main.1.pwise.0.weight"
	const nbt = "backbone.stages.3.op_list.2.total.1.main.point_conv.norm.num_batches_tracked"
	remove := func(key string) func(*checkpoint.StateDict) {
		return func(sd *checkpoint.StateDict) {
			delete(sd.Tensors, key)
			sd.Keys = slices.DeleteFunc(sd.Keys, func(k string) bool { return k == key })
		}
	}
	tests := []struct {
		name    string
		cfg     Config
		edit    func(*checkpoint.StateDict)
		wantErr []string
	}{
		{"missing key", b0, remove(pwise), []string{`key "` + pwise + `" is missing from the checkpoint (B0 expects shape [192 128 1 1])`}},
		{"missing num_batches_tracked", b0, remove(nbt), []string{`key "` + nbt + `" is missing`}},
		{"wrong shape", b0, func(sd *checkpoint.StateDict) {
			sd.Tensors[pwise] = &checkpoint.Tensor{Shape: []int{192, 64, 1, 1}, DType: checkpoint.F32, F32: make([]float32, 192*64)}
		}, []string{`model: key "` + pwise + `": checkpoint has shape [192 64 1 1], B0 expects [192 128 1 1]`}},
		{"integer weights", b0, func(sd *checkpoint.StateDict) {
			sd.Tensors[pwise] = &checkpoint.Tensor{Shape: []int{192, 128, 1, 1}, DType: checkpoint.I64, I64: make([]int64, 192*128)}
		}, []string{`key "` + pwise + `" has dtype I64, B0 expects a float tensor`}},
		{"extra key", b0, func(sd *checkpoint.StateDict) {
			sd.Tensors["head.op_list.4.linear.weight"] = &checkpoint.Tensor{Shape: []int{3, 3}, F32: make([]float32, 9)}
			sd.Keys = append(sd.Keys, "head.op_list.4.linear.weight")
		}, []string{`unexpected key "head.op_list.4.linear.weight" (shape [3 3]) in the checkpoint: B0 has no such entry`}},
		{"several problems", b0, func(sd *checkpoint.StateDict) {
			remove(pwise)(sd)
			remove(nbt)(sd)
		}, []string{pwise, "(and 1 more problems)"}},
		{"wrong variant", mustConfig(t, "b1"), func(*checkpoint.StateDict) {},
			[]string{`checkpoint has shape [64 16 3 3], B1 expects [96 16 3 3]`, "the checkpoint looks like B0 ("}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.cfg, editedStateDict(b0SD(t), tt.edit))
			if err == nil {
				t.Fatal("Build accepted the state dict")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
	if _, err := Build(b0, nil); err == nil {
		t.Error("Build(nil) gave no error")
	}
}

func TestResolveConfig(t *testing.T) {
	sd := b0SD(t)
	tests := []struct {
		stated, want, wantErr string
	}{
		{"", "B0", ""},
		{"B0", "B0", ""},
		{"lowformer-b0", "B0", ""},
		{"E1", "", "the checkpoint holds LowFormer B0 (widths [16 32 64 128 256]"},
		{"b1", "", "not the requested B1"},
		{"b2", "", "B2 is not a released model"},
	}
	for _, tt := range tests {
		t.Run(tt.stated, func(t *testing.T) {
			c, err := ResolveConfig(tt.stated, sd)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.Name != tt.want {
				t.Fatalf("got %q, %v; want %s", c.Name, err, tt.want)
			}
		})
	}
}

// TestDetectCustom detects a configuration that is not a released model.
func TestDetectCustom(t *testing.T) {
	c := Config{Widths: [5]int{8, 16, 24, 64, 96}, Depths: [5]int{2, 2, 1, 1, 2}, StemExpand: 3, Stage12Expand: 5, Stage34Expand: 2,
		Head: [2]int{128, 96}, Attention: true, Classes: 7}
	sd := synthStateDict(t, c)
	det, err := DetectConfig(sd)
	if err != nil {
		t.Fatal(err)
	}
	c.Name = CustomName
	if det != c {
		t.Fatalf("DetectConfig = %v, want %v", det, c)
	}
	if _, err := Build(det, sd); err != nil {
		t.Fatal(err)
	}
	if _, err := DetectConfig(editedStateDict(sd, func(sd *checkpoint.StateDict) { delete(sd.Tensors, "head.op_list.0.conv.weight") })); err == nil ||
		!strings.Contains(err.Error(), `key "head.op_list.0.conv.weight" is missing`) {
		t.Errorf("DetectConfig without the head conv: %v", err)
	}
}

// TestBuildFlushesSubnormals puts subnormal values into a GroupNorm scale
// (used as is, so the graph would alias it) and the head's linear weights:
// the graph holds zeros there and no subnormal anywhere, a tiny normal
// value survives, and the state dict is left as it was.
func TestBuildFlushesSubnormals(t *testing.T) {
	c := mustConfig(t, "B0")
	sd := synthStateDict(t, c)
	gn := "backbone.stages.2.op_list.1.total.0.0.main.0.weight"
	var lin string
	for _, k := range sd.Keys {
		if t := sd.Tensors[k]; strings.HasPrefix(k, "head.") && strings.HasSuffix(k, ".weight") && len(t.Shape) == 2 {
			lin = k
		}
	}
	if sd.Tensors[gn] == nil || lin == "" {
		t.Fatalf("the synthetic B0 lacks %q or a head linear weight", gn)
	}
	const sub, tiny = float32(1e-40), float32(2e-38)
	sd.Tensors[gn].F32[0], sd.Tensors[gn].F32[1] = sub, tiny
	sd.Tensors[lin].F32[5] = -sub
	before := map[string][]float32{gn: slices.Clone(sd.Tensors[gn].F32), lin: slices.Clone(sd.Tensors[lin].F32)}
	g, err := Build(c, sd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range before {
		if !slices.Equal(sd.Tensors[k].F32, v) {
			t.Errorf("Build changed the state dict's %s", k)
		}
	}
	found := false
	for _, op := range g.Ops {
		for _, w := range weightSlices(op) {
			for i, v := range *w {
				if v != 0 && math.Abs(float64(v)) < 0x1p-126 {
					t.Fatalf("%s holds the subnormal %g at %d", op.Label(), v, i)
				}
			}
		}
		if o, ok := op.(*GroupNorm); ok && o.Name+".weight" == gn {
			found = true
			if o.Gamma[0] != 0 || o.Gamma[1] != tiny {
				t.Errorf("GroupNorm scale starts %v, want [0 %g …]", o.Gamma[:2], tiny)
			}
		}
	}
	if !found {
		t.Errorf("no GroupNorm built from %s", gn)
	}
}
