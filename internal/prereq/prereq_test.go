package prereq

import (
	"fmt"
	"strings"
	"testing"
)

func TestInCI(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{{"true", true}, {"1", true}, {"", false}, {"false", false}, {"0", false}, {"yes", false}} {
		t.Setenv("CI", tc.env)
		if got := InCI(); got != tc.want {
			t.Errorf("CI=%q: InCI() = %v, want %v", tc.env, got, tc.want)
		}
	}
}

// TestWasmInNodeMissing checks that WasmInNode skips, saying what is
// missing, when go is not on PATH (outside CI).
func TestWasmInNodeMissing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: WasmInNode skips every test with -short")
	}
	t.Setenv("CI", "")
	t.Setenv("PATH", t.TempDir())
	var skipped bool
	var msg string
	t.Run("empty PATH", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		WasmInNode(&skipRecorder{T: t, msg: &msg}, "test")
		t.Error("WasmInNode returned with an empty PATH")
	})
	if !skipped || !strings.Contains(msg, "no go on PATH") {
		t.Errorf("empty PATH: skipped %v with %q, want a skip saying no go on PATH", skipped, msg)
	}
}

// skipRecorder keeps the message of a Skip before skipping.
type skipRecorder struct {
	*testing.T
	msg *string
}

func (r *skipRecorder) Skipf(format string, args ...any) {
	*r.msg = fmt.Sprintf(format, args...)
	r.T.Skipf(format, args...)
}
