package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("response is not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, name string, b []byte, mod time.Time) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, mod, mod); err != nil {
		t.Fatal(err)
	}
}

// TestCompressedWasm checks which encoding each Accept-Encoding gets, the
// headers, and that the body is the right file's content.
func TestCompressedWasm(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().Truncate(time.Second)
	raw := bytes.Repeat([]byte("\x00asm wasm bytes "), 1000)
	// a.wasm: precompressed .br (the server passes it through as it is)
	// and .gz; b.wasm: none; c.wasm: a stale .br, older than the build.
	brBody := []byte("pretend brotli of a.wasm")
	writeFile(t, filepath.Join(dir, "a.wasm"), raw, now)
	writeFile(t, filepath.Join(dir, "a.wasm.br"), brBody, now)
	writeFile(t, filepath.Join(dir, "a.wasm.gz"), gzipped(t, raw), now)
	writeFile(t, filepath.Join(dir, "b.wasm"), raw, now)
	writeFile(t, filepath.Join(dir, "c.wasm"), raw, now)
	writeFile(t, filepath.Join(dir, "c.wasm.br"), []byte("stale"), now.Add(-time.Hour))
	writeFile(t, filepath.Join(dir, "x.js"), []byte("export {};"), now)
	srv := httptest.NewServer(compressedWasm(dir, http.FileServer(http.Dir(dir))))
	defer srv.Close()

	tests := []struct {
		name, path, accept string
		wantEncoding       string // "" for identity
		wantBody           []byte // what the body decodes to (nil: raw)
	}{
		{"no header", "/a.wasm", "", "", nil},
		{"chromium", "/a.wasm", "gzip, deflate, br, zstd", "br", brBody},
		{"gzip only, precompressed", "/a.wasm", "gzip", "gzip", nil},
		{"br refused", "/a.wasm", "br;q=0, gzip;q=0.5", "gzip", nil},
		{"star", "/a.wasm", "*", "br", brBody},
		{"star refused", "/a.wasm", "br;q=0, *;q=0", "", nil},
		{"identity", "/a.wasm", "identity", "", nil},
		{"case and spaces", "/a.wasm", " GZIP ; Q=1 ", "gzip", nil},
		{"on the fly", "/b.wasm", "br, gzip", "gzip", nil},
		{"stale br", "/c.wasm", "br, gzip", "gzip", nil},
		{"not wasm", "/x.js", "gzip, br", "", []byte("export {};")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
			if tt.accept != "" {
				req.Header.Set("Accept-Encoding", tt.accept)
			}
			// The transport must not decode gzip itself.
			resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("Content-Encoding %q, want %q", got, tt.wantEncoding)
			}
			want := tt.wantBody
			if want == nil {
				want = raw
			}
			if tt.wantEncoding == "gzip" {
				body = gunzip(t, body)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("body (decoded) is %d bytes, want %d", len(body), len(want))
			}
			if filepath.Ext(tt.path) == ".wasm" {
				if ct := resp.Header.Get("Content-Type"); ct != "application/wasm" {
					t.Errorf("Content-Type %q, want application/wasm", ct)
				}
				if v := resp.Header.Get("Vary"); v != "Accept-Encoding" {
					t.Errorf("Vary %q, want Accept-Encoding", v)
				}
			}
		})
	}
}

// TestCompressedWasmRebuild checks that the on-the-fly gzip follows a
// rebuilt .wasm, that HEAD sends no body and that a missing .wasm is 404.
func TestCompressedWasmRebuild(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "b.wasm")
	now := time.Now().Truncate(time.Second)
	writeFile(t, name, []byte("first build"), now.Add(-time.Minute))
	h := compressedWasm(dir, http.FileServer(http.Dir(dir)))
	get := func(method, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if got := gunzip(t, get("GET", "/b.wasm").Body.Bytes()); string(got) != "first build" {
		t.Fatalf("first build: got %q", got)
	}
	writeFile(t, name, []byte("second build, longer"), now)
	if got := gunzip(t, get("GET", "/b.wasm").Body.Bytes()); string(got) != "second build, longer" {
		t.Fatalf("after the rebuild: got %q (a stale cache?)", got)
	}
	head := get("HEAD", "/b.wasm")
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("HEAD: status %d, %d body bytes, encoding %q", head.Code, head.Body.Len(), head.Header().Get("Content-Encoding"))
	}
	if rec := get("GET", "/missing.wasm"); rec.Code != http.StatusNotFound {
		t.Errorf("missing .wasm: status %d, want 404", rec.Code)
	}
}
