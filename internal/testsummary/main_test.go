package main

import (
	"strings"
	"testing"
)

func TestReadGoJSON(t *testing.T) {
	cases := []struct {
		name, in string
		want     counts
		ok       bool
		echo     string
	}{
		{"pass and skip", `{"Action":"pass","Package":"p","Test":"A"}
{"Action":"skip","Package":"p","Test":"B"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.1s\n"}
{"Action":"pass","Package":"p"}`, counts{1, 0, 1}, true, "ok  \tp\t0.1s\n"},
		{"failed test prints its output", `{"Action":"output","Package":"p","Test":"A","Output":"boom\n"}
{"Action":"fail","Package":"p","Test":"A"}
{"Action":"fail","Package":"p"}`, counts{0, 1, 0}, false, "boom\n"},
		{"build failure", `p.go:1: syntax error
{"Action":"fail","Package":"p"}`, counts{}, false, "p.go:1: syntax error\n"},
		{"nothing", ``, counts{}, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			c, ok := readGoJSON(strings.NewReader(tc.in), &out)
			if c != tc.want || ok != tc.ok || out.String() != tc.echo {
				t.Errorf("got %v %v %q, want %v %v %q", c, ok, out.String(), tc.want, tc.ok, tc.echo)
			}
		})
	}
}

func TestReadTAP(t *testing.T) {
	c, ok := readTAP(strings.NewReader("ok 1 - a\n# tests 7\n# pass 5\n# fail 1\n# cancelled 0\n# skipped 1\n# todo 0\n"), &strings.Builder{})
	if c != (counts{5, 1, 1}) || !ok {
		t.Errorf("TAP: %v %v", c, ok)
	}
	c, ok = readTAP(strings.NewReader("ℹ tests 2\nℹ pass 2\n"), &strings.Builder{})
	if c != (counts{2, 0, 0}) || !ok {
		t.Errorf("spec: %v %v", c, ok)
	}
	if _, ok := readTAP(strings.NewReader("crashed\n"), &strings.Builder{}); ok {
		t.Error("no counts read as ok")
	}
}
