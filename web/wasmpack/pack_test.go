package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seg is a data segment to put in a test module: its raw encoding after
// the flags unless raw is set.
type seg struct {
	offset int32
	data   []byte
	raw    []byte // the whole segment's encoding, flags included
}

// module builds a WebAssembly module with one memory, an optional data
// count section and a data section of segs, followed by a custom section.
func module(dataCount bool, segs ...seg) []byte {
	b := append([]byte(nil), magic...)
	b = appendSection(b, 5, []byte{1, 0, 1}) // memory: 1 page
	if dataCount {
		b = appendSection(b, sectionDataCount, appendU32(nil, uint32(len(segs))))
	}
	var body []byte
	body = appendU32(body, uint32(len(segs)))
	for _, s := range segs {
		if s.raw != nil {
			body = append(body, s.raw...)
			continue
		}
		body = append(body, 0, 0x41)
		body = appendS32(body, s.offset)
		body = append(body, 0x0b)
		body = appendU32(body, uint32(len(s.data)))
		body = append(body, s.data...)
	}
	b = appendSection(b, sectionData, body)
	return appendSection(b, 0, append([]byte{4}, "name"...))
}

// memory is the memory image a module's data section writes (the first
// 64 KiB), read with Pack's own parser after checking the framing by hand.
func memory(t *testing.T, b []byte) (mem []byte, segments int) {
	t.Helper()
	mem = make([]byte, 1<<16)
	r := reader{b: b, off: len(magic)}
	for r.off < len(b) {
		id := r.byte()
		size := r.u32()
		if r.err != nil || int(size) > len(b)-r.off {
			t.Fatalf("bad section framing at byte %d", r.off)
		}
		if id == sectionData {
			segs, err := readData(b[r.off : r.off+int(size)])
			if err != nil {
				t.Fatalf("packed data section: %v", err)
			}
			for _, s := range segs {
				copy(mem[s.offset:], s.data)
			}
			segments = len(segs)
		}
		r.off += int(size)
	}
	return mem, segments
}

// bytesOf returns n bytes of v.
func bytesOf(n int, v byte) []byte { return bytes.Repeat([]byte{v}, n) }

func TestPackMerges(t *testing.T) {
	tests := []struct {
		name      string
		segs      []seg
		gap       int
		wantSegs  int
		wantZeros int64
	}{
		{"gaps within the limit merge", []seg{{0, bytesOf(3, 1), nil}, {10, bytesOf(2, 2), nil}, {20, bytesOf(1, 3), nil}}, 8, 1, 7 + 8},
		{"a gap over the limit splits", []seg{{0, bytesOf(3, 1), nil}, {10, bytesOf(2, 2), nil}, {100, bytesOf(1, 3), nil}}, 8, 2, 7},
		{"gap 0 joins only touching segments", []seg{{0, bytesOf(3, 1), nil}, {3, bytesOf(2, 2), nil}, {6, bytesOf(1, 3), nil}}, 0, 2, 0},
		{"out of order segments are sorted", []seg{{40, bytesOf(4, 4), nil}, {0, bytesOf(3, 1), nil}, {20, bytesOf(2, 2), nil}}, 32, 1, 17 + 18},
		{"an offset written negative is a high address", []seg{{-65536 + 100, bytesOf(2, 9), nil}, {-65536 + 90, bytesOf(2, 8), nil}}, 16, 1, 8},
		{"one segment stays", []seg{{5, bytesOf(5, 5), nil}}, 4096, 1, 0},
		{"no segments", nil, 4096, 0, 0},
	}
	for _, tc := range tests {
		for _, dc := range []bool{false, true} {
			in := module(dc, tc.segs...)
			out, st, err := Pack(in, Options{Gap: tc.gap})
			if err != nil {
				t.Fatalf("%s (data count %v): %v", tc.name, dc, err)
			}
			if st.SegmentsIn != len(tc.segs) || st.SegmentsOut != tc.wantSegs || st.ZeroBytes != tc.wantZeros {
				t.Errorf("%s: stats %+v, want %d → %d segments, %d zeros", tc.name, st, len(tc.segs), tc.wantSegs, tc.wantZeros)
			}
			if tc.name == "an offset written negative is a high address" {
				// Memory beyond 64 KiB: check the merged segment itself.
				segs := packedSegments(t, out)
				want := append(append(bytesOf(2, 8), bytesOf(8, 0)...), bytesOf(2, 9)...)
				if len(segs) != 1 || segs[0].offset != 1<<32-65536+90 || !bytes.Equal(segs[0].data, want) {
					t.Errorf("%s: segments %+v", tc.name, segs)
				}
			} else {
				wantMem, _ := memory(t, in)
				gotMem, n := memory(t, out)
				if !bytes.Equal(gotMem, wantMem) {
					t.Errorf("%s: the packed module's memory differs", tc.name)
				}
				if n != tc.wantSegs {
					t.Errorf("%s: %d segments in the output, want %d", tc.name, n, tc.wantSegs)
				}
			}
			if dc {
				if c := dataCount(t, out); c != tc.wantSegs {
					t.Errorf("%s: data count section says %d, want %d", tc.name, c, tc.wantSegs)
				}
			}
			if !bytes.HasSuffix(out, append([]byte{0, 5, 4}, "name"...)) {
				t.Errorf("%s: the custom section after the data is not copied", tc.name)
			}
		}
	}
}

// packedSegments returns the data segments of module b.
func packedSegments(t *testing.T, b []byte) []segment {
	t.Helper()
	r := reader{b: b, off: len(magic)}
	for r.off < len(b) {
		id := r.byte()
		size := r.u32()
		if id == sectionData {
			segs, err := readData(b[r.off : r.off+int(size)])
			if err != nil {
				t.Fatal(err)
			}
			return segs
		}
		r.off += int(size)
	}
	return nil
}

// dataCount returns the count of module b's data count section.
func dataCount(t *testing.T, b []byte) int {
	t.Helper()
	r := reader{b: b, off: len(magic)}
	for r.off < len(b) {
		id := r.byte()
		size := r.u32()
		if id == sectionDataCount {
			c := reader{b: b[r.off : r.off+int(size)]}
			n := c.u32()
			if c.err != nil || c.off != int(size) {
				t.Fatalf("bad data count section")
			}
			return int(n)
		}
		r.off += int(size)
	}
	t.Fatal("no data count section")
	return 0
}

// TestPackRandom packs random layouts of segments (the shape Go's linker
// writes: many short runs with short gaps) and checks that the memory
// image stays the same and no segment lies closer than the gap.
func TestPackRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		var segs []seg
		off := int32(rng.IntN(64))
		for range rng.IntN(40) {
			n := 1 + rng.IntN(40)
			d := make([]byte, n)
			for i := range d {
				d[i] = byte(1 + rng.IntN(255))
			}
			segs = append(segs, seg{off, d, nil})
			off += int32(n + 1 + rng.IntN(60))
		}
		rng.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
		gap := rng.IntN(50)
		in := module(false, segs...)
		out, _, err := Pack(in, Options{Gap: gap})
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		wantMem, _ := memory(t, in)
		gotMem, _ := memory(t, out)
		if !bytes.Equal(gotMem, wantMem) {
			t.Fatalf("trial %d: memory differs", trial)
		}
		ps := packedSegments(t, out)
		for i := 1; i < len(ps); i++ {
			if d := int64(ps[i].offset) - int64(ps[i-1].offset) - int64(len(ps[i-1].data)); d <= int64(gap) {
				t.Fatalf("trial %d: segments %d and %d are %d bytes apart, gap %d", trial, i-1, i, d, gap)
			}
		}
	}
}

func TestPackRejects(t *testing.T) {
	valid := module(false, seg{0, []byte{1}, nil})
	data := appendSection(nil, sectionData, []byte{1, 0, 0x41, 0, 0x0b, 1, 7}) // one segment
	withMagic := func(b ...[]byte) []byte { return bytes.Join(append([][]byte{magic}, b...), nil) }
	tests := []struct {
		name string
		in   []byte
		gap  int
		want string
	}{
		{"not wasm", []byte("hello, world"), 8, "not a WebAssembly module"},
		{"empty", nil, 8, "not a WebAssembly module"},
		{"negative gap", valid, -1, "want ≥ 0"},
		{"truncated section", valid[:len(valid)-3], 8, "run past the end"},
		{"passive segment", module(false, seg{raw: []byte{1, 1, 7}}), 8, "passive"},
		{"another memory", module(false, seg{raw: []byte{2, 1, 0x41, 0, 0x0b, 1, 7}}), 8, "memory 1"},
		{"global offset", module(false, seg{raw: []byte{0, 0x23, 0, 0x0b, 1, 7}}), 8, "not an i32.const"},
		{"long offset expression", module(false, seg{raw: []byte{0, 0x41, 0, 0x41, 0, 0x0b, 1, 7}}), 8, "more than an i32.const"},
		{"unknown flags", module(false, seg{raw: []byte{9, 0x41, 0, 0x0b, 1, 7}}), 8, "unknown flags 9"},
		{"segment past the section", module(false, seg{raw: []byte{0, 0x41, 0, 0x0b, 9, 7}}), 8, "run past the section's end"},
		{"overlap", module(false, seg{0, bytesOf(10, 1), nil}, seg{5, bytesOf(10, 2), nil}), 8, "overlap"},
		{"trailing bytes", module(false, seg{raw: []byte{0, 0x41, 0, 0x0b, 1, 7, 0xaa}}), 8, "1 bytes after the last of 1 segments"},
		{"overlong LEB", withMagic([]byte{sectionData, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}), 8, "longer than 5 bytes"},
		{"two data sections", withMagic(data, data), 8, "a second data section"},
		{"data that is only its id", withMagic([]byte{sectionData}), 8, "unexpected end"},
	}
	for _, tc := range tests {
		_, _, err := Pack(tc.in, Options{Gap: tc.gap})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestPackWithoutData(t *testing.T) {
	in := append(append([]byte(nil), magic...), appendSection(nil, 5, []byte{1, 0, 1})...)
	out, st, err := Pack(in, Options{Gap: 8})
	if err != nil || !bytes.Equal(out, in) || st != (Stats{}) {
		t.Fatalf("a module without data: %v, %+v, changed %v", err, st, !bytes.Equal(out, in))
	}
}

// TestRun packs a file in place and into another file.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "m.wasm")
	b := module(false, seg{0, []byte{1, 2}, nil}, seg{4, []byte{3}, nil})
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "out.wasm")
	if err := run(in, other, Options{Gap: 8}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(in); !bytes.Equal(got, b) {
		t.Error("-o changed the input file")
	}
	if err := run(in, "", Options{Gap: 8}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(other)
	c, _ := os.ReadFile(in)
	if !bytes.Equal(a, c) || len(packedSegments(t, c)) != 1 {
		t.Errorf("in place and -o differ, or the segments were not merged")
	}
	if err := run(filepath.Join(dir, "missing.wasm"), "", Options{Gap: 8}); err == nil {
		t.Error("a missing file: no error")
	}
	bad := filepath.Join(dir, "bad.wasm")
	os.WriteFile(bad, []byte("not wasm"), 0o644)
	if err := run(bad, "", Options{Gap: 8}); err == nil || !strings.Contains(err.Error(), "bad.wasm") {
		t.Errorf("a bad file: error %v, want one naming it", err)
	}
}
