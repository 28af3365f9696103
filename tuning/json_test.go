package tuning

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// randomTable is a table with n keys of random entries, including the
// optional choice members, awkward strings and times of every magnitude.
func randomTable(r *rand.Rand, n int) *Table {
	names := []string{"", "llvmpipe (LLVM 19.1.7, 256 bits)", "<&>\"\\\n\t\u2028é", "NVIDIA H100 80GB HBM3"}
	pick := func() string { return names[r.IntN(len(names))] }
	t := New(Adapter{Vendor: pick(), Architecture: pick(), Device: pick(), Description: "d" + pick(), Backend: pick()}, pick())
	choice := func() Choice {
		c := Choice{Set: pick(), TM: r.IntN(20), TN: r.IntN(20), WG: r.IntN(300), Tex: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			c.Winograd, c.WM, c.WN, c.KS, c.KC = r.IntN(5), r.IntN(9), r.IntN(9), r.IntN(5), r.IntN(65)
		}
		return c
	}
	times := []float64{1, 0.5, 1e-7, 3e21, 123.456789, 1e-6, 7.25e-10}
	for i := range n {
		e := &Entry{Default: choice(), Chosen: choice(), Pending: r.IntN(40)}
		switch k := r.IntN(4); k {
		case 0: // nil candidates
		case 1:
			e.Candidates = []Measured{}
		default:
			for range k * 2 {
				e.Candidates = append(e.Candidates, Measured{choice(), times[r.IntN(len(times))] * r.Float64()})
			}
		}
		t.Entries[strings.Repeat("k", i%3)+pick()+string(rune('a'+i))] = e
	}
	if r.IntN(5) == 0 {
		t.Entries[""] = nil
	}
	return t
}

// TestJSONMatchesEncodingJSON checks Marshal byte for byte against
// encoding/json's MarshalIndent, and that decodeTable reads what
// encoding/json reads, over random tables.
func TestJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		tb := randomTable(r, i%7)
		want, err := json.MarshalIndent(tb, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		got, err := tb.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("table %d: Marshal differs from encoding/json:\n%s\n--- want\n%s", i, got, want)
		}
		var a, b Table
		if err := decodeTable(want, &a); err != nil {
			t.Fatalf("table %d: decodeTable: %v", i, err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Entries, b.Entries) || a.Adapter != b.Adapter || a.Set != b.Set || a.Version != b.Version {
			t.Fatalf("table %d: decodeTable read\n%+v %+v\nencoding/json read\n%+v %+v", i, a.Adapter, a.Entries, b.Adapter, b.Entries)
		}
	}
}

// TestDecodeTableRejects checks the strict reading: what encoding/json
// would refuse into a Table, and trailing data, are errors.
func TestDecodeTableRejects(t *testing.T) {
	for _, data := range []string{
		`{"version":"1"}`,
		`{"version":1.5}`,
		`{"version":99999999999999999999}`,
		`{"adapter":{"vendor":3}}`,
		`{"adapter":{"colour":"x"}}`,
		`{"entries":{"k":{"pending":-1,"candidates":{}}}}`,
		`{"entries":{"k":{"candidates":[{"ms":"fast"}]}}}`,
		`{"entries":{"k":{"chosen":{"tex":1}}}}`,
		`{"entries":{"k":{"chosen":{"tm":2,"extra":0}}}}`,
		`{"entries":[]}`,
		`{"set":"cpu"} {}`,
		`{"set":"cpu"`,
		`[]`,
	} {
		var tb Table
		if err := decodeTable([]byte(data), &tb); err == nil {
			t.Errorf("decodeTable(%s) accepted it", data)
		}
	}
}

func TestMarshalRejectsNonFiniteTimes(t *testing.T) {
	tb := New(lavapipe, "cpu")
	tb.Entries["k"] = &Entry{Candidates: []Measured{{def, 0}}}
	tb.Entries["k"].Candidates[0].Ms = float64(1) / zero()
	if _, err := tb.Marshal(); err == nil {
		t.Error("Marshal wrote an infinite time")
	}
}

func zero() float64 { return 0 }
