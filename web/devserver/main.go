// Command devserver serves the browser demo (web/dist, built by `make web`)
// on localhost with the cross-origin isolation headers (COOP/COEP) and the
// MIME types a WebGPU + WebAssembly page needs, and offers local files to
// the demo page without copying them:
//
//	go run ./web/devserver -weights ../shared/testdata/lowformer/b0/evalmodel.pt -images preprocess/testdata/chelsea_420.jpg
//
// Weights are listed at /weights.json and served under /weights/, images at
// /samples.json and /samples/. Unless -pretrained=false, the small LowFormer
// trained on Fashion-MNIST that the library embeds (package pretrained) is
// offered first, with its test images, so the demo shows real predictions
// without downloading anything.
//
// The .wasm files go out compressed when the browser accepts it: brotli
// from the .wasm.br files make web writes, gzip from .wasm.gz or compressed
// on the fly (compress.go).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// entry is one file offered to the demo page.
type entry struct {
	Name     string `json:"name"` // parent folder and file name
	URL      string `json:"url"`  // relative to the page
	Size     int64  `json:"size"`
	Truth    string `json:"truth,omitempty"`    // a sample's true class
	Autoload bool   `json:"autoload,omitempty"` // weights the page loads at once
	Domain   string `json:"domain,omitempty"`   // a sample's kind: "fashion-mnist" (28×28 clothing) or "photo"
	Note     string `json:"note,omitempty"`     // weights: "test weights" for the synthetic checkpoints of ../shared/testdata
	path     string // the file, or
	data     []byte // its content
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	dir := flag.String("dir", "web/dist", "static folder to serve (built by make web)")
	weights := flag.String("weights", "", "space- or comma-separated checkpoint files to offer to the page")
	images := flag.String("images", "", "space- or comma-separated image files to offer as samples")
	withPretrained := flag.Bool("pretrained", true, "offer the embedded Fashion-MNIST model and its test images")
	flag.Parse()
	if _, err := os.Stat(filepath.Join(*dir, "lowformer.wasm")); err != nil {
		log.Fatalf("devserver: %s has no lowformer.wasm; run `make web` first", *dir)
	}
	mime.AddExtensionType(".wasm", "application/wasm")
	mime.AddExtensionType(".js", "text/javascript; charset=utf-8")
	mux := http.NewServeMux()
	mux.Handle("/", compressedWasm(*dir, http.FileServer(http.Dir(*dir))))
	var builtinWeights, builtinSamples []entry
	if *withPretrained {
		var err error
		if builtinWeights, builtinSamples, err = pretrainedEntries(); err != nil {
			log.Fatalf("devserver: %v", err)
		}
	}
	for _, m := range []struct {
		prefix, list string
		builtin      []entry
	}{{"weights", *weights, builtinWeights}, {"samples", *images, builtinSamples}} {
		entries, err := files(m.prefix, m.list)
		if err != nil {
			log.Fatalf("devserver: %v", err)
		}
		mount(mux, m.prefix, append(m.builtin, entries...))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("devserver: %v", err)
	}
	fmt.Printf("LowFormer demo: http://%s/  (serving %s; Ctrl-C stops)\n", ln.Addr(), *dir)
	log.Fatal(http.Serve(ln, isolate(mux)))
}

// files lists the existing files of a space- or comma-separated list.
func files(prefix, list string) ([]entry, error) {
	var out []entry
	for i, p := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			return nil, fmt.Errorf("%s is a folder, not a file", p)
		}
		base := filepath.Base(p)
		e := entry{
			Name: filepath.Join(filepath.Base(filepath.Dir(p)), base),
			URL:  fmt.Sprintf("%s/%d/%s", prefix, i, base),
			Size: st.Size(), path: p,
		}
		switch {
		case prefix == "samples":
			e.Domain = "photo"
		case isTestData(p):
			e.Note = "test weights"
		}
		out = append(out, e)
	}
	return out, nil
}

// isTestData reports whether p lies in a shared/testdata folder: the
// synthetic checkpoints of the tests, whose predictions mean nothing.
func isTestData(p string) bool {
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	return strings.Contains(filepath.ToSlash(abs), "/shared/testdata/")
}

// mount serves entries under /prefix/ and their list at /prefix.json.
func mount(mux *http.ServeMux, prefix string, entries []entry) {
	mux.HandleFunc("/"+prefix+".json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if entries == nil {
			entries = []entry{}
		}
		json.NewEncoder(w).Encode(entries)
	})
	for _, e := range entries {
		mux.HandleFunc("/"+e.URL, func(w http.ResponseWriter, r *http.Request) {
			if e.data != nil {
				http.ServeContent(w, r, path.Base(e.URL), time.Time{}, bytes.NewReader(e.data))
				return
			}
			http.ServeFile(w, r, e.path)
		})
	}
}

// isolate adds the headers that make the page cross-origin isolated and
// disables caching, so a rebuilt lowformer.wasm is always picked up.
func isolate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		w.Header().Set("Cross-Origin-Resource-Policy", "same-origin")
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}
