# LowFormer on WebGPU. The two commands that matter:
#   make demo   the main job (see README)
#   make test   everything CI runs: setup, gofmt, go vet, all tests
GO ?= go
export XDG_RUNTIME_DIR ?= /tmp

.PHONY: test check fmt vet build clean

build:
	$(GO) build -o bin/lowformer ./cmd/lowformer

test: 
	./scripts/setup.sh
	$(MAKE) check
	LOWFORMER_REQUIRE_GPU=1 $(GO) test -count=1 -timeout 60m ./...

check: fmt vet

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./internal/gpu

clean:
	rm -rf bin web/dist
