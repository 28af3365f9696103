package main

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// compressedWasm serves the .wasm files of dir compressed when the request
// accepts it: brotli from a precompressed file.wasm.br (make web writes
// one), else gzip from file.wasm.gz or, without one, compressed here once
// per build and cached. A precompressed file older than its .wasm is stale
// and ignored. Responses carry Content-Type application/wasm, the
// Content-Encoding used and Vary: Accept-Encoding; other paths, and
// requests that accept neither encoding, go to next.
func compressedWasm(dir string, next http.Handler) http.Handler {
	c := &gzipCache{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, ".wasm") || r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		name := filepath.Join(dir, filepath.FromSlash(path.Clean("/"+r.URL.Path)))
		st, err := os.Stat(name)
		if err != nil || !st.Mode().IsRegular() {
			next.ServeHTTP(w, r)
			return
		}
		serve := func(encoding string, data []byte) {
			w.Header().Set("Content-Type", "application/wasm")
			w.Header().Set("Content-Encoding", encoding)
			http.ServeContent(w, r, "", st.ModTime(), bytes.NewReader(data))
		}
		accepts := acceptedEncodings(r.Header.Get("Accept-Encoding"))
		if accepts["br"] {
			if b, ok := precompressed(name+".br", st); ok {
				serve("br", b)
				return
			}
		}
		if accepts["gzip"] {
			if b, ok := precompressed(name+".gz", st); ok {
				serve("gzip", b)
				return
			}
			if b, err := c.get(name, st); err == nil {
				serve("gzip", b)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// precompressed reads name when it is a regular file no older than the
// original's st.
func precompressed(name string, orig os.FileInfo) ([]byte, bool) {
	st, err := os.Stat(name)
	if err != nil || !st.Mode().IsRegular() || st.ModTime().Before(orig.ModTime()) {
		return nil, false
	}
	b, err := os.ReadFile(name)
	return b, err == nil
}

// acceptedEncodings parses an Accept-Encoding header into the codings it
// accepts (q > 0); "*" accepts br and gzip unless they are listed with q=0.
func acceptedEncodings(h string) map[string]bool {
	out := map[string]bool{}
	star, listed := false, map[string]bool{}
	for _, part := range strings.Split(h, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding == "" {
			continue
		}
		ok := true
		for _, p := range strings.Split(params, ";") {
			k, v, found := strings.Cut(strings.TrimSpace(p), "=")
			if found && strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				ok = err == nil && q > 0
			}
		}
		if coding == "*" {
			star = ok
			continue
		}
		listed[coding] = true
		out[coding] = ok
	}
	if star {
		for _, c := range []string{"br", "gzip"} {
			if !listed[c] {
				out[c] = true
			}
		}
	}
	return out
}

// gzipCache holds the gzip encoding of each .wasm served, for the build
// (size and modification time) it was made from.
type gzipCache struct {
	mu      sync.Mutex
	entries map[string]gzipEntry
}

type gzipEntry struct {
	size    int64
	modTime time.Time
	data    []byte
}

func (c *gzipCache) get(name string, st os.FileInfo) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[name]; ok && e.size == st.Size() && e.modTime.Equal(st.ModTime()) {
		return e.data, nil
	}
	raw, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if c.entries == nil {
		c.entries = map[string]gzipEntry{}
	}
	c.entries[name] = gzipEntry{st.Size(), st.ModTime(), b.Bytes()}
	return b.Bytes(), nil
}
