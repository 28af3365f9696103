//go:build js || cgo

package model

import (
	"slices"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
)

// fakeObj counts its releases.
type fakeObj struct{ released *int }

func (f fakeObj) Release() { *f.released++ }

// TestDeviceStoreRollback makes resources in a store, takes a mark, makes
// more (some of them again) and rolls back: what was made before the mark
// stays, with its bytes; the rest is released once and forgotten; getting
// it again makes it anew.
func TestDeviceStoreRollback(t *testing.T) {
	cases := []struct {
		name          string
		before, after []string
	}{
		{"nothing after the mark", []string{"a", "b"}, nil},
		{"new keys after the mark", []string{"a"}, []string{"b", "c"}},
		{"old keys again after the mark", []string{"a", "b"}, []string{"a", "c", "b", "c"}},
		{"empty store", nil, []string{"a"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s deviceStore[string]
			released, created := 0, 0
			get := func(k string) {
				t.Helper()
				_, err := s.get(k, func() (gpu.Resource, []releaser, int64, error) {
					created++
					return gpu.Resource{Offset: uint64(len(k))}, []releaser{fakeObj{&released}, fakeObj{&released}}, 100, nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range c.before {
				get(k)
			}
			keys, bytes := s.keys(), s.bytes
			mk := s.mark()
			for _, k := range c.after {
				get(k)
			}
			newKeys := len(s.keys()) - len(keys)
			s.rollback(mk)
			if !slices.Equal(s.keys(), keys) || s.bytes != bytes || len(s.res) != len(keys) {
				t.Errorf("after rollback: keys %v, %d bytes, %d resources; want %v, %d bytes", s.keys(), s.bytes, len(s.res), keys, bytes)
			}
			if released != 2*newKeys {
				t.Errorf("%d objects released, want %d", released, 2*newKeys)
			}
			before := created
			for _, k := range c.after {
				get(k)
			}
			s.release()
			if s.bytes != 0 || len(s.res) != 0 || released != 2*created {
				t.Errorf("after release: %d bytes, %d resources, %d of %d objects released", s.bytes, len(s.res), released, 2*created)
			}
			if created-before != newKeys {
				t.Errorf("getting the rolled-back keys again made %d resources, want %d", created-before, newKeys)
			}
		})
	}
}
