package main

import (
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestHelp checks the top-level usage, "help", unknown commands, and -h,
// "help NAME" and malformed flags for every command.
func TestHelp(t *testing.T) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, want := range []string{"classify", "convert", "info", "logits", "preprocess"} {
		if _, ok := commands[want]; !ok {
			t.Errorf("command %s is not registered", want)
		}
	}
	type tc struct {
		args           []string
		code           int
		stdout, stderr string // substrings that must appear
	}
	cases := []tc{
		{nil, 2, "", "Commands:"},
		{[]string{"help"}, 0, "Commands:", ""},
		{[]string{"-h"}, 0, "Commands:", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
	}
	for _, n := range names {
		usage := "Usage: lowformer " + n + " "
		cases = append(cases,
			tc{[]string{n, "-h"}, 0, "", usage},
			tc{[]string{"help", n}, 0, "", usage},
			tc{[]string{n, "-no-such-flag"}, 2, "", "flag provided but not defined: -no-such-flag"},
		)
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
			r := cli(c.args...)
			if r.code != c.code || !strings.Contains(r.stdout, c.stdout) || !strings.Contains(r.stderr, c.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					r.code, r.stdout, r.stderr, c.code, c.stdout, c.stderr)
			}
		})
	}
	r := cli("help")
	for _, n := range names {
		if !strings.Contains(r.stdout, "  "+n+" ") {
			t.Errorf("help does not list %s:\n%s", n, r.stdout)
		}
	}
}

// TestBinarySmoke builds the command and checks that a real process
// reports success, errors (on stderr, exit status 1) and usage errors
// (exit status 2).
func TestBinarySmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the binary build in -short mode")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("skipping: no go tool in PATH")
	}
	bin := filepath.Join(t.TempDir(), "lowformer")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	missing := filepath.Join(t.TempDir(), "missing.pt")
	for _, c := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"help"}, 0, "Commands:", ""},
		{[]string{"info", missing}, 1, "", "lowformer info: stat " + missing + ": no such file"},
		{[]string{"classify", "-top"}, 2, "", "flag needs an argument: -top"},
	} {
		cmd := exec.Command(bin, c.args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("lowformer %q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				c.args, code, stdout.String(), stderr.String(), c.code, c.stdout, c.stderr)
		}
	}
}
