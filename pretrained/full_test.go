package pretrained

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"
)

// fullEnv enables TestFullFashionMNIST (make fmnist-full sets it).
const fullEnv = "LOWFORMER_FULL_FMNIST"

// datasetDir is where Debian's dataset-fashion-mnist package puts the idx
// files.
const datasetDir = "/usr/share/datasets/fashion-mnist"

// TestFullFashionMNIST classifies the whole 10 000-image test set on each
// backend and compares with PyTorch's predictions (same rule as the subset:
// at most 10 disagreements, accuracy within 0.1 pp), then with the int8
// model (lowformer convert -dtype int8): accuracy within 0.5 pp of f32. It takes minutes, so it
// runs only with LOWFORMER_FULL_FMNIST=1.
func TestFullFashionMNIST(t *testing.T) {
	if os.Getenv(fullEnv) != "1" {
		t.Skipf("skipping the full test set: set %s=1 (or run make fmnist-full)", fullEnv)
	}
	imgs, truth, err := readTestSet(datasetDir)
	if err != nil {
		t.Skipf("skipping: the Fashion-MNIST test set is not readable (apt-get install dataset-fashion-mnist): %v", err)
	}
	samples, sampleLabels := Samples()
	for i := range samples {
		if !bytes.Equal(samples[i].(*image.Gray).Pix, imgs[i].(*image.Gray).Pix) || sampleLabels[i] != truth[i] {
			t.Fatalf("embedded sample %d differs from test image %d of %s", i, i, datasetDir)
		}
	}
	torchPreds := readTorchPreds(t, len(imgs))
	for _, be := range backends {
		t.Run(be.String(), func(t *testing.T) {
			m := openModel(t, be)
			f32 := classify(t, m, imgs, batch)
			checkAgreement(t, fmt.Sprintf("%d test images on %s", len(imgs), be), f32, torchPreds, truth)
			// The int8 column: the same model from an int8 file.
			checkInt8(t, fmt.Sprintf("%d test images on %s", len(imgs), be), classify(t, openInt8Model(t, be), imgs, batch), f32, truth)
		})
	}
}

// readTestSet reads the t10k images and labels from the gzipped idx files.
func readTestSet(dir string) ([]image.Image, []int, error) {
	pix, dims, err := readIDX(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		return nil, nil, err
	}
	lab, ldims, err := readIDX(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, nil, err
	}
	if len(dims) != 3 || dims[1] != SampleSide || dims[2] != SampleSide || len(ldims) != 1 || ldims[0] != dims[0] {
		return nil, nil, fmt.Errorf("idx shapes %v and %v are not [n,28,28] images with n labels", dims, ldims)
	}
	imgs, labels, err := decodeSamples(pix, lab)
	return imgs, labels, err
}

// readIDX reads a gzipped idx file of unsigned bytes: its data and dims.
func readIDX(path string) ([]byte, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(zr); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	b := buf.Bytes()
	if len(b) < 4 || b[0] != 0 || b[1] != 0 || b[2] != 0x08 {
		return nil, nil, fmt.Errorf("%s is not an idx file of unsigned bytes", path)
	}
	nd := int(b[3])
	if len(b) < 4+4*nd {
		return nil, nil, fmt.Errorf("%s: truncated idx header", path)
	}
	dims, n := make([]int, nd), 1
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(b[4+4*i:]))
		n *= dims[i]
	}
	if data := b[4+4*nd:]; len(data) == n {
		return data, dims, nil
	}
	return nil, nil, fmt.Errorf("%s: %d data bytes for dims %v", path, len(b)-4-4*nd, dims)
}

func TestReadIDXErrors(t *testing.T) {
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"not gzip", []byte("idx")},
		{"float idx", gz([]byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0})},
		{"truncated header", gz([]byte{0, 0, 8, 3, 0, 0, 0, 1})},
		{"short data", gz([]byte{0, 0, 8, 1, 0, 0, 0, 4, 1, 2})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.gz")
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, _, err := readIDX(path); err == nil {
				t.Fatal("no error")
			}
		})
	}
	path := filepath.Join(t.TempDir(), "ok.gz")
	if err := os.WriteFile(path, gz([]byte{0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 7, 9}), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, dims, err := readIDX(path); err != nil || len(dims) != 2 || dims[1] != 2 || !bytes.Equal(data, []byte{7, 9}) {
		t.Fatalf("valid idx: %v %v %v", data, dims, err)
	}
}
