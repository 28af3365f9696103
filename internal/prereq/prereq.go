// Package prereq lets a test that needs a tool or file this machine may
// lack (Node, Chromium, wgpu's naga) skip with a message saying what is
// missing, except under CI, where a missing prerequisite fails the test:
// CI installs everything, so a skip there would hide a broken setup.
package prereq

import (
	"os"
	"testing"
)

// InCI reports whether the tests run in CI ($CI is "true" or "1").
func InCI() bool {
	ci := os.Getenv("CI")
	return ci == "true" || ci == "1"
}

// Missing skips t because a prerequisite is missing (the message says
// which), or fails it when InCI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}
