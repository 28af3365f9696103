package main

import (
	"strings"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

func TestRegistry(t *testing.T) {
	r := newRegistry()
	a, b := &lowformer.Model{}, &lowformer.Model{}
	ida, idb := r.add(a), r.add(b)
	if ida == idb || ida < 1 {
		t.Fatalf("handles %d and %d: want distinct positive handles", ida, idb)
	}
	if m, err := r.get(idb); err != nil || m != b {
		t.Fatalf("get(%d) = %p, %v; want %p", idb, m, err, b)
	}
	if m, err := r.remove(ida); err != nil || m != a {
		t.Fatalf("remove(%d) = %p, %v; want %p", ida, m, err, a)
	}
	tests := []struct {
		id  int
		err string
	}{
		{ida, "has been disposed"},
		{idb + 1, "no model with handle"},
		{0, "no model with handle"},
		{-3, "no model with handle"},
	}
	for _, tt := range tests {
		if _, err := r.get(tt.id); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("get(%d) error = %v, want %q", tt.id, err, tt.err)
		}
		if _, err := r.remove(tt.id); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("remove(%d) error = %v, want %q", tt.id, err, tt.err)
		}
	}
	if n := r.count(); n != 1 {
		t.Errorf("count() = %d after adding 2 and removing 1, want 1", n)
	}
	if id := r.add(a); id == ida || id == idb {
		t.Errorf("handle %d was reused", id)
	}
	if n := r.count(); n != 2 {
		t.Errorf("count() = %d, want 2", n)
	}
}
