package tuning

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	lavapipe = Adapter{Vendor: "0x10005", Architecture: "", Device: "llvmpipe", Description: "llvmpipe (LLVM 15.0.6, 256 bits) (vulkan, cpu)", Backend: "vulkan"}
	def      = Choice{Set: "cpu", TM: 14, TN: 16, WG: 32, Tex: true}
	small    = Choice{Set: "cpu", TM: 7, TN: 16, WG: 16, Tex: true}
	coop     = Choice{Set: "gpu", TM: 4, TN: 4, WG: 64, WM: 8, WN: 8, KS: 1, KC: 32}
)

// TestRecordChooses checks the chosen choice: the fastest, unless within
// Margin of the default.
func TestRecordChooses(t *testing.T) {
	for _, tc := range []struct {
		name string
		ms   [3]float64 // def, small, coop
		want Choice
	}{
		{"clearly faster", [3]float64{1, 0.9, 2}, small},
		{"within margin", [3]float64{1, 0.98, 2}, def},
		{"default fastest", [3]float64{1, 1.2, 2}, def},
		{"gpu tile fastest", [3]float64{1, 1.2, 0.5}, coop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := New(lavapipe, "cpu")
			k := "pointwise m196 k128 n512 hswish"
			for i, c := range []Choice{def, small, coop} {
				tb.Record(k, def, Measured{c, tc.ms[i]}, 2-i)
			}
			got, ok := tb.Lookup(k)
			if !ok || got != tc.want {
				t.Fatalf("chosen %v, %v; want %v", got, ok, tc.want)
			}
			if changed := len(tb.Changed()) == 1; changed != (tc.want != def) {
				t.Errorf("Changed() = %v with chosen %v", tb.Changed(), got)
			}
		})
	}
}

// TestRoundTrip saves a table (atomically, creating the folder), loads it
// back equal and leaves no temporary file.
func TestRoundTrip(t *testing.T) {
	tb := New(lavapipe, "cpu")
	tb.Record("a", def, Measured{def, 1.5}, 1)
	tb.Record("a", def, Measured{small, 1.0}, 0)
	tb.Record("b", coop, Measured{coop, 0.25}, 3)
	dir := filepath.Join(t.TempDir(), "sub", "lowformer")
	path := filepath.Join(dir, "t.json")
	if err := tb.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, b := must(t, tb.Marshal), must(t, got.Marshal)
	if string(a) != string(b) {
		t.Errorf("round trip changed the table:\n%s\n---\n%s", a, b)
	}
	if c, _ := got.Lookup("a"); c != small {
		t.Errorf("loaded choice %v, want %v", c, small)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("folder holds %d files after Save, want the table only", len(ents))
	}
}

func must(t *testing.T, f func() ([]byte, error)) []byte {
	b, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseRejects checks that corrupt or foreign-format tables are
// ErrBadTable errors saying what is wrong.
func TestParseRejects(t *testing.T) {
	good := New(lavapipe, "cpu")
	good.Record("k", def, Measured{def, 1}, 0)
	ok := string(must(t, good.Marshal))
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "not a tuning table"},
		{"truncated", ok[:len(ok)/2], "not a tuning table"},
		{"not JSON", "\x00\x01garbage", "not a tuning table"},
		{"other version", strings.Replace(ok, `"version": 1`, `"version": 99`, 1), "version 99"},
		{"no adapter", `{"version":1,"set":"cpu","entries":{}}`, "no adapter"},
		{"unknown field", strings.Replace(ok, `"version": 1`, `"version": 1, "extra": 2`, 1), "unknown field"},
		{"negative time", strings.Replace(ok, `"ms": 1`, `"ms": -1`, 1), "time -1"},
		{"chosen not measured", strings.Replace(ok, `"chosen": {
    "set": "cpu",
    "tm": 14`, `"chosen": {
    "set": "cpu",
    "tm": 2`, 1), "not among"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data))
			if !errors.Is(err, ErrBadTable) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse: %v; want ErrBadTable mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := Parse([]byte(ok)); err != nil {
		t.Errorf("the good table: %v", err)
	}
}

// TestCachePath checks that the path is under the user cache folder and
// differs between adapters.
func TestCachePath(t *testing.T) {
	t.Setenv(CacheDirEnv, "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	p1, err := CachePath(lavapipe)
	if err != nil {
		t.Fatal(err)
	}
	other := lavapipe
	other.Backend = "opengl"
	p2, _ := CachePath(other)
	dir, _ := os.UserCacheDir()
	if filepath.Dir(p1) != filepath.Join(dir, "lowformer") || p1 == p2 {
		t.Errorf("cache paths %s, %s: want distinct files in %s/lowformer", p1, p2, dir)
	}
	own := t.TempDir()
	t.Setenv(CacheDirEnv, own)
	if p, _ := CachePath(lavapipe); filepath.Dir(p) != own {
		t.Errorf("with %s=%s the cache path is %s", CacheDirEnv, own, p)
	}
}
