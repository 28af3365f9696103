package lowformer

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// bundleFiles are the files of a weights folder or archive: tiny.pt under
// b0's folder of the official layout and a synthetic B0 under e1's folder
// (so that picking by folder and checking the variant both show).
func bundleFiles(t *testing.T) (tiny, b0 []byte) {
	t.Helper()
	tiny, err := os.ReadFile(tinyPT)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := model.ConfigByName("b0")
	if err != nil {
		t.Fatal(err)
	}
	return tiny, safetensorsOf(t, synthStateDict(t, cfg), checkpoint.F16, nil)
}

// zipOf archives files (name → contents) with method.
func zipOf(t *testing.T, files map[string][]byte, method uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeTree writes files under a new temporary folder.
func writeTree(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestOpenBundle opens the official download layout as a folder, as a zip
// (stored and deflated) on disk and as a zip in memory.
func TestOpenBundle(t *testing.T) {
	tiny, b0 := bundleFiles(t)
	const official = ".exp/cls/imagenet/"
	both := map[string][]byte{
		official + "e1/checkpoint/evalmodel.pt":          tiny,
		official + "b0/checkpoint/evalmodel.safetensors": b0,
		"README.txt": []byte("LowFormer checkpoints"),
	}
	cases := []struct {
		name    string
		files   map[string][]byte
		variant string
		want    string // Info.Variant; empty: an error containing each of errs
		errs    []string
	}{
		{"official layout", map[string][]byte{official + "b1/checkpoint/evalmodel.pt": tiny}, "", model.CustomName, nil},
		{"variant folders", map[string][]byte{"e2/checkpoint/evalmodel.pt": tiny, "notes.md": []byte("x")}, "", model.CustomName, nil},
		{"bare file", map[string][]byte{"evalmodel.pt": tiny}, "", model.CustomName, nil},
		{"picked by variant", both, "B0", "B0", nil},
		{"picked B0 by lower case", both, "b0", "B0", nil},
		{"several, no variant", both, "", "", []string{"holds 2 checkpoints", "name the variant", "b0 (" + official + "b0/checkpoint/evalmodel.safetensors)", "e1 ("}},
		{"variant absent", both, "b3", "", []string{"no checkpoint of variant b3", "b0 (", "e1 ("}},
		{"folder variant is not the file's", both, "e1", "", []string{"E1"}},
		{"no checkpoint", map[string][]byte{"README.txt": []byte("nothing"), "a/b.bin": []byte("x")}, "", "", []string{"holds no checkpoint", "evalmodel.pt"}},
		{"checkpoint not loadable", map[string][]byte{"b0/checkpoint/evalmodel.pt": []byte("not a checkpoint")}, "", "", []string{"not a checkpoint"}},
	}
	for _, tc := range cases {
		opens := map[string]func() (*Model, error){
			"folder": func() (*Model, error) {
				return Open(context.Background(), writeTree(t, tc.files), Options{Backend: CPU, Variant: tc.variant})
			},
			"zip file": func() (*Model, error) {
				p := filepath.Join(t.TempDir(), "lowformer.zip")
				if err := os.WriteFile(p, zipOf(t, tc.files, zip.Store), 0o644); err != nil {
					t.Fatal(err)
				}
				return Open(context.Background(), p, Options{Backend: CPU, Variant: tc.variant})
			},
			"deflated zip bytes": func() (*Model, error) {
				return OpenBytes(context.Background(), zipOf(t, tc.files, zip.Deflate), Options{Backend: CPU, Variant: tc.variant})
			},
		}
		for how, open := range opens {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				m, err := open()
				if tc.want != "" {
					if err != nil {
						t.Fatal(err)
					}
					defer m.Close()
					if got := m.Info().Variant; got != tc.want {
						t.Fatalf("variant %q, want %q", got, tc.want)
					}
					return
				}
				if err == nil {
					m.Close()
					t.Fatal("opened; want an error")
				}
				if !errors.Is(err, ErrBadCheckpoint) {
					t.Errorf("error %v does not match ErrBadCheckpoint", err)
				}
				for _, s := range tc.errs {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
			})
		}
	}
}

// TestOpenBundleUnsafe: archives that would inflate without bound are
// refused before inflating, and a .pt (itself a zip) is not taken for an
// archive of checkpoints.
func TestOpenBundleUnsafe(t *testing.T) {
	raw := func(name string, method uint16, comp []byte, usize uint64) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: method, CompressedSize64: uint64(len(comp)), UncompressedSize64: usize})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp)
		zw.Close()
		return buf.Bytes()
	}
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"zip bomb ratio", raw("b0/checkpoint/evalmodel.pt", zip.Deflate, make([]byte, 100), 1<<30), "zip bomb"},
		{"huge entry", raw("b0/checkpoint/evalmodel.pt", zip.Deflate, make([]byte, 8<<20), 4<<30), "more than"},
		{"stored size mismatch", raw("b0/checkpoint/evalmodel.pt", zip.Store, make([]byte, 100), 1<<40), "evalmodel.pt"},
		{"unknown method", raw("b0/checkpoint/evalmodel.pt", 99, make([]byte, 100), 100), "compression method 99"},
		{"empty archive", zipOf(t, nil, zip.Store), "holds no checkpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := OpenBytes(context.Background(), tc.file, Options{Backend: CPU})
			if err == nil {
				m.Close()
				t.Fatal("opened; want an error")
			}
			if !errors.Is(err, ErrBadCheckpoint) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v: want ErrBadCheckpoint containing %q", err, tc.want)
			}
		})
	}
	tiny, _ := bundleFiles(t)
	m, err := OpenBytes(context.Background(), tiny, Options{Backend: CPU})
	if err != nil {
		t.Fatalf("tiny.pt: %v", err)
	}
	m.Close()
}
