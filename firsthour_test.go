package lowformer

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/refdata"
	"github.com/lowformer/lowformer-webgpu/pretrained"
)

// TestFirstHour follows the README's quick start in a fresh clone of this
// repository (its committed HEAD), with no network: the README must still
// say "make build" and "bin/lowformer classify photo.jpg" (the built-in
// model), and running them there must classify a Fashion-MNIST sample as
// its true class. The demo page's first minutes (it loads the built-in
// model and classifies a sample in Chromium) are web/test/demo.test.mjs's.
func TestFirstHour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI in a fresh clone")
	}
	root, err := refdata.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"git", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []string{"make build", "bin/lowformer classify photo.jpg"}
	for _, s := range steps {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(s) + `\s`).Match(readme) {
			t.Fatalf("README's quick start no longer has %q: update it and this test together", s)
		}
	}

	dir := filepath.Join(t.TempDir(), "lowformer-webgpu")
	// run returns the command's stdout and stderr.
	run := func(name string, args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if name == "git" {
			cmd.Dir = ""
		}
		cmd.Env = append(os.Environ(), "GOPROXY=off") // no network: the module cache has what the build needs
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	run("git", "clone", "-q", "--no-hardlinks", root, dir)

	imgs, classes := pretrained.Samples()
	f, err := os.Create(filepath.Join(dir, "photo.jpg")) // a PNG named as in the README: images are sniffed
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, imgs[0]); err != nil {
		t.Fatal(err)
	}
	f.Close()

	run("make", "build")
	out, errOut := run(filepath.Join(dir, "bin", "lowformer"), "classify", "photo.jpg")
	if !strings.Contains(errOut, "built-in Fashion-MNIST") {
		t.Errorf("classify's stderr does not say which model ran:\n%s", errOut)
	}
	m, err := OpenBytes(t.Context(), pretrained.FashionMNIST(), Options{Backend: CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := m.Info().Labels[classes[0]]
	if len(lines) < 2 || lines[0] != "photo.jpg" || !strings.Contains(lines[1], "%  "+want+"  (") {
		t.Fatalf("bin/lowformer classify photo.jpg printed:\n%s\nwant photo.jpg, then %q first", out, want)
	}
}
