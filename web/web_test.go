package web_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/prereq"
)

// TestBrowser builds web/dist and runs the browser tests (web/test/*.mjs)
// with node's test runner in headless Chromium on WebGPU. Missing tools
// skip the test, or fail it when CI=true.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests take minutes; skipped with -short")
	}
	root := repoRoot(t)
	web := filepath.Join(root, "web")
	missing := func(what string) {
		t.Helper()
		if prereq.InCI() {
			t.Fatalf("browser tests cannot run (CI=true): %s; run scripts/setup.sh --browser", what)
		}
		t.Skipf("browser tests skipped: %s (run scripts/setup.sh --browser to install)", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("no Chromium at " + chromium)
	}
	if _, err := os.Stat(filepath.Join(web, "node_modules", "playwright-core")); err != nil {
		missing("web/node_modules/playwright-core is not installed (npm install in web/)")
	}

	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-10*time.Second))
		defer cancel()
	}
	build := exec.CommandContext(ctx, "bash", filepath.Join(web, "build.sh"))
	build.Dir = root
	// Brotli at quality 11 takes ~20 s of CPU per wasm; the tests need the
	// .wasm.br files, not their smallest size.
	build.Env = os.Environ()
	if os.Getenv("BROTLI_QUALITY") == "" {
		build.Env = append(build.Env, "BROTLI_QUALITY=5")
	}
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building web/dist: %v\n%s", err, out)
	} else {
		t.Logf("%s", out)
	}
	files, err := filepath.Glob(filepath.Join(web, "test", "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no browser tests in web/test (%v)", err)
	}
	run := exec.CommandContext(ctx, node, append([]string{"--test", "--test-concurrency=1"}, files...)...)
	run.Dir = web
	run.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := run.CombinedOutput()
	t.Logf("node --test web/test/*.test.mjs:\n%s", out)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("the browser tests ran out of time (raise go test -timeout)")
	}
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}

// repoRoot walks up from the working directory to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
