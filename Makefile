# LowFormer on WebGPU. The two commands that matter:
#   make demo   the main job (see README)
#   make test   everything CI runs: setup, gofmt, go vet (with and without
#               cgo), all tests, the cgo-free tests and cross-builds
GO ?= go
# The toolchain of go.mod: a fresh machine's Go (whose go.env says
# GOTOOLCHAIN=local) fetches it from the module proxy once (~76 MB).
export GOTOOLCHAIN ?= go1.27.3
# The SIMD CPU kernels (files tagged goexperiment.simd; scalar twins build
# without it).
export GOEXPERIMENT ?= simd
# The default build has the WebGPU backend, which needs cgo and a C compiler
# (without one the go command would quietly build CPU-only binaries);
# CGO_ENABLED=0 make build makes a cgo-free, CPU-only one (README, "Builds").
export CGO_ENABLED ?= 1
export XDG_RUNTIME_DIR ?= /tmp

.PHONY: test check fmt vet build clean nocgo-test cross

build:
	$(GO) build -o bin/lowformer ./cmd/lowformer

# make test ends with "N passed, N failed, N skipped" over the Go tests (the
# browser tests run inside them: web/web_test.go), the race pass, the
# cgo-free tests and the bench tests: each step's output goes through
# internal/testsummary, which counts its tests into $(SUMMARY) and fails the
# step when a test or a package failed.
SUMMARY = bin/test-summary.txt
TESTSUMMARY = bin/testsummary

test: 
	./scripts/setup.sh --browser
	$(MAKE) check
	$(GO) build -o $(TESTSUMMARY) ./internal/testsummary
	rm -f $(SUMMARY)
	LOWFORMER_REQUIRE_GPU=1 $(GO) test -json -count=1 -timeout 60m ./... | $(TESTSUMMARY) -counts $(SUMMARY) -name 'go test'
	LOWFORMER_REQUIRE_GPU=1 $(MAKE) race RACE_RUN='Concurrent|OpenClose|DeviceFailure|CallsAfterClose' RACE_JSON=1
	$(MAKE) nocgo-test cross NOCGO_JSON=1
	$(MAKE) build web
	cd bench && npm test 2>&1 | ../$(TESTSUMMARY) -tap -counts ../$(SUMMARY) -name bench
	@$(TESTSUMMARY) -report $(SUMMARY)

check: fmt vet

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./gpu ./wasm ./internal/jspromise
	GOOS=js GOARCH=wasm $(GO) vet -tags lowformer_nocpu . ./wasm
	GOOS=js GOARCH=wasm $(GO) vet -tags lowformer_nogpu . ./wasm

# The cgo-free build (README, "Builds"): natively without cgo the GPU backend
# is compiled out and everything runs on the CPU. Its tests (-short: no
# binary build), then CLI builds for other systems without cgo (not run).
CROSS ?= darwin/arm64 windows/amd64
nocgo-test:
ifdef NOCGO_JSON
	CGO_ENABLED=0 $(GO) test -json -short -timeout 30m ./... | $(TESTSUMMARY) -counts $(SUMMARY) -name 'cgo-free'
else
	CGO_ENABLED=0 $(GO) test -short -timeout 30m ./...
endif

cross:
	@set -e; for p in $(CROSS); do \
	  echo "CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./cmd/lowformer"; \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./cmd/lowformer; \
	done

clean:
	rm -rf bin web/dist

# The pretrained Fashion-MNIST model on the full 10 000-image test set
# (CPU and GPU, agreement with PyTorch, and the int8 column: the model as
# convert -dtype int8 writes it, within 0.5 pp of float32); installs Debian's
# dataset if missing.
.PHONY: fmnist-full
fmnist-full:
	@test -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz || apt-get install -y dataset-fashion-mnist
	LOWFORMER_FULL_FMNIST=1 $(GO) test -count=1 -v -timeout 60m -run 'TestFullFashionMNIST' ./pretrained

# The browser build and the demo (web/README.md):
#   make demo       builds web/dist and serves the demo page on http://$(WEB_ADDR)
#                   (COOP/COEP headers; offers the embedded Fashion-MNIST model,
#                   $(WEB_WEIGHTS) and $(WEB_IMAGES) as one-click choices)
#   make web        web/dist: lowformer.js, its worker, lowformer.wasm, wasm_exec.js, the page
#   make package    bin/lowformer-webgpu-<version>.tgz, the npm package (web/dist packed)
#   make web-test   the browser tests alone (headless Chromium on WebGPU; go test ./web runs them too)
WEB_ADDR ?= 127.0.0.1:8080
WEB_WEIGHTS ?= $(wildcard ../shared/testdata/lowformer/*/evalmodel.pt)
WEB_IMAGES ?= $(wildcard preprocess/testdata/*.jpg)
.PHONY: demo web web-test
demo: web
	$(GO) run ./web/devserver -addr $(WEB_ADDR) -dir web/dist -weights "$(WEB_WEIGHTS)" -images "$(WEB_IMAGES)"

web:
	GO=$(GO) ./web/build.sh

# The npm package lowformer-webgpu (web/README.md): web/dist is its folder
# (web/package/package.json's "files" pick its files); the tarball goes to bin/.
.PHONY: package
package: web
	mkdir -p bin
	cd web/dist && npm pack --pack-destination ../../bin

web-test: web
	cd web && node --test --test-concurrency=1 test/*.test.mjs

# Side-by-side benchmark against onnxruntime-web (bench/README.md), all
# engines interleaved on this machine; results in bench/out/results.{json,md}:
#   make bench-quick  B0, batch 1, 224x224 (a few minutes)
#   make bench        every variant in ../shared, batch 1 and 8
.PHONY: bench bench-quick
# The bench serves web/dist uncompressed, so its build makes the .wasm.br
# twins at brotli quality 5 (about 25 s less than 11) unless told otherwise.
bench bench-quick: export BROTLI_QUALITY ?= 5
bench bench-quick: build web
	cd bench && npm install --no-audit --no-fund --silent
	node bench/bench.mjs $(if $(filter bench-quick,$@),--quick)

# The root package (public API: concurrency, leak, fallback and reference
# tests, cgo included) under the race detector: about 3 minutes on a busy
# 2-core machine, most of it the b0/E1 reference checks at 224x224;
# RACE_RUN='Concurrent|OpenClose|DeviceFailure|CallsAfterClose' runs the fast subset make test runs (20 s).
.PHONY: race
race:
ifdef RACE_JSON
	$(GO) test -json -race -count=1 -timeout 30m -run '$(or $(RACE_RUN),.)' . | $(TESTSUMMARY) -counts $(SUMMARY) -name race
else
	$(GO) test -race -count=1 -timeout 30m -run '$(or $(RACE_RUN),.)' .
endif
