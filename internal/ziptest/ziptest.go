// Package ziptest builds zip archives for tests (crafted checkpoints).
package ziptest

import (
	"archive/zip"
	"bytes"
	"testing"
)

// Entry is one file of a test archive.
type Entry struct {
	Name    string
	Data    []byte
	Deflate bool // compressed instead of stored
}

// Build writes a zip archive with the given entries, in order.
func Build(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Store
		if e.Deflate {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
