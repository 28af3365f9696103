package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/prereq"
)

// TestStripLinesGo builds testdata/panicker.go for GOOS=js GOARCH=wasm,
// packs it with and without StripLines and runs both in Node (Go's
// wasm_exec_node.js): the same output, and a panic's traceback keeps its
// function names and arguments but shows ?:0 for file:line once stripped.
func TestStripLinesGo(t *testing.T) {
	goBin, node, execJS := prereq.WasmInNode(t, "builds a wasm program")
	dir := t.TempDir()
	plain := filepath.Join(dir, "p.wasm")
	build := exec.Command(goBin, "build", "-o", plain, "testdata/panicker.go")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	runWasm := func(name string, opt Options, args ...string) (string, Stats) {
		p, st, err := Pack(b, opt)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f := filepath.Join(dir, name+".wasm")
		if err := os.WriteFile(f, p, 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(node, append([]string{execJS, f}, args...)...).CombinedOutput()
		return string(out), st
	}
	const want = "keys 37 sum of 7 13176 func main.main xxx\n"
	packed, _ := runWasm("packed", Options{Gap: 4096})
	stripped, st := runWasm("stripped", Options{Gap: 4096, StripLines: true})
	if packed != want || stripped != want {
		t.Fatalf("output: packed %q, stripped %q, want %q", packed, stripped, want)
	}
	if st.LineBytes < 1000 {
		t.Errorf("only %d bytes of line tables zeroed", st.LineBytes)
	}
	packedPanic, _ := runWasm("packed", Options{Gap: 4096}, "panic")
	strippedPanic, _ := runWasm("stripped", Options{Gap: 4096, StripLines: true}, "panic")
	for _, s := range []string{"panic: boom 3", "main.explode(0x3)\n", "main.outer(0x2)\n", "panicker.go:18 +"} {
		if !strings.Contains(packedPanic, s) {
			t.Errorf("packed panic output lacks %q:\n%s", s, packedPanic)
		}
	}
	for _, s := range []string{"panic: boom 3", "main.explode(0x3)\n\t?:0 +", "main.outer(0x2)\n\t?:0 +", "main.main()\n\t?:0 +"} {
		if !strings.Contains(strippedPanic, s) {
			t.Errorf("stripped panic output lacks %q:\n%s", s, strippedPanic)
		}
	}
	if strings.Contains(strippedPanic, "panicker.go") {
		t.Errorf("the stripped traceback still names the file:\n%s", strippedPanic)
	}
}

func TestStripLinesRejects(t *testing.T) {
	header := func(nfunc uint64, offs ...uint64) []byte {
		b := append([]byte(nil), pclnMagic...)
		for _, v := range append([]uint64{nfunc, 1, 0}, offs...) {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
		return append(b, make([]byte, 64)...)
	}
	tests := []struct {
		name string
		segs []segment
		want string
	}{
		{"no Go function table", []segment{{0, []byte("plain data")}}, "no Go function table"},
		{"two headers", []segment{{0, bytes.Repeat(header(1, 72, 80, 88, 96, 104), 2)}}, "more than once"},
		{"header past the segment", []segment{{0, pclnMagic}}, "runs past its data segment"},
		{"offsets out of order", []segment{{0, header(1, 72, 64, 88, 96, 104)}}, "not one this tool knows"},
		{"no functions", []segment{{0, header(0, 72, 80, 88, 96, 104)}}, "not one this tool knows"},
		{"offset past the data", []segment{{0, header(1, 72, 80, 88, 96, 1<<40)}}, "at most"},
	}
	for _, tc := range tests {
		if _, err := stripLines(tc.segs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, _, err := Pack(module(false, seg{0, []byte{1}, nil}), Options{Gap: 8, StripLines: true}); err == nil || !strings.Contains(err.Error(), "no Go function table") {
		t.Errorf("a module without Go's table: error %v", err)
	}
}
