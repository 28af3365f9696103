package tuning

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestCodecMatchesEncodingJSON checks that Marshal writes what
// encoding/json's MarshalIndent writes and that Parse reads back what
// encoding/json reads, over tables with every field, odd strings and
// times in every float format.
func TestCodecMatchesEncodingJSON(t *testing.T) {
	odd := Adapter{Vendor: "mesa \"q\" <x>&", Architecture: "llvmpipe\n\t", Device: "ü\u2028", Description: "", Backend: "webgpu"}
	win := Choice{Set: "gpu", Winograd: 4, TM: 4, TN: 4, WG: 64, WM: 8, WN: 8, KS: 2, KC: 32, Tex: true}
	for _, tc := range []struct {
		name string
		tb   *Table
	}{
		{"empty", New(lavapipe, "cpu")},
		{"nil entries", &Table{Version: Version, Adapter: odd, Set: "gpu"}},
		{"full", func() *Table {
			tb := New(odd, "gpu")
			for i, ms := range []float64{1.5, 1e-7, 2.5e-6, 123456789, 3e21, 0.1, 7} {
				tb.Record("k"+strings.Repeat("x", i), win, Measured{def, ms}, i)
				tb.Record("k"+strings.Repeat("x", i), win, Measured{win, ms * 2}, 0)
			}
			tb.Entries["unmeasured"] = &Entry{Default: coop, Pending: 3}
			return tb
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.tb.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.MarshalIndent(tc.tb, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("Marshal:\n%s\nencoding/json:\n%s", got, want)
			}
			back, err := Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			var ref Table
			if err := json.Unmarshal(got, &ref); err != nil {
				t.Fatal(err)
			}
			if ref.Entries == nil {
				ref.Entries = map[string]*Entry{}
			}
			if !reflect.DeepEqual(back.Entries, ref.Entries) || back.Adapter != ref.Adapter || back.Set != ref.Set || back.Version != ref.Version {
				t.Errorf("Parse read %+v, encoding/json %+v", back, &ref)
			}
		})
	}
}

// TestParseRejectsSyntax checks that what is not one JSON table is an
// ErrBadTable error.
func TestParseRejectsSyntax(t *testing.T) {
	for _, data := range []string{`{"version":1} x`, `[1]`, `{"version":"1"}`, `{"version":1.5}`, `{"adapter":{"vendor":1}}`,
		`{"entries":{"k":{"candidates":[{"choice":{"tm":"x"}}]}}}`, `{"entries":{"k":{"chosen":{"what":1}}}}`} {
		if _, err := Parse([]byte(data)); err == nil || !strings.Contains(err.Error(), "not a tuning table") {
			t.Errorf("Parse(%s): %v; want a not-a-tuning-table error", data, err)
		}
	}
}
