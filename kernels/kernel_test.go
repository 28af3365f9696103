//go:build js || cgo

package kernels

import (
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// TestCachePrepare builds a batch with repeats once per distinct kernel,
// hands out the same pipeline afterwards, and refuses a batch holding an
// invalid specialization without building any of it.
func TestCachePrepare(t *testing.T) {
	c := NewCache(gputest.Device(t))
	defer c.Release()
	a := ChoosePointwise(49, 64, 32, Epilogue{})
	b := ChooseDepthwise(1, 7, 7, 16, 3, 1, Epilogue{})
	if err := c.Prepare(a, b, a, b, a); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2 {
		t.Fatalf("%d pipelines after preparing 2 distinct kernels", c.Len())
	}
	p1, err := c.Pipeline(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(a); err != nil {
		t.Fatal(err)
	}
	if p2, _ := c.Pipeline(a); p2 != p1 || c.Len() != 2 {
		t.Errorf("preparing a built kernel again rebuilt it (%d pipelines)", c.Len())
	}
	bad := b
	bad.C = 6 // not a multiple of 4
	fresh := ChooseDepthwise(1, 7, 7, 32, 3, 1, Epilogue{})
	err = c.Prepare(fresh, bad)
	if err == nil || !strings.Contains(err.Error(), bad.Label()) {
		t.Fatalf("Prepare with an invalid kernel: error %v, want one naming %s", err, bad.Label())
	}
	if c.Len() != 2 {
		t.Errorf("a failed Prepare kept %d pipelines, want the 2 built before", c.Len())
	}
}

// TestEveryKernelValidates checks that every kernel type follows the one
// validation convention: a validate method, which accepts the chosen
// specializations.
func TestEveryKernelValidates(t *testing.T) {
	for _, k := range familySpecializations() {
		v, ok := k.(interface{ validate() error })
		if !ok {
			t.Errorf("%T has no validate method", k)
			continue
		}
		if err := v.validate(); err != nil {
			t.Errorf("%s: %v", k.Label(), err)
		}
	}
}
