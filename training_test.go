package lowformer

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ziptest"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
	"github.com/lowformer/lowformer-webgpu/pretrained"
)

// withMeta rewrites testdata/tiny.safetensors with metadata meta.
func withMeta(t *testing.T, meta map[string]string) []byte {
	t.Helper()
	sd, err := checkpoint.ReadFile(tinySafetensors)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := checkpoint.WriteSafetensors(&b, sd, checkpoint.F32, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestInfoTraining checks Info.Training, and its one-line summary, for
// files that record their training in each way, and for ones (like the
// test checkpoints) that record none.
func TestInfoTraining(t *testing.T) {
	pt, err := os.ReadFile(tinyPT)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.ReadFile(tinySafetensors)
	if err != nil {
		t.Fatal(err)
	}
	none := Training{Epoch: -1}
	for _, c := range []struct {
		name string
		data []byte
		want Training
		line string
	}{
		{"bare .pt", pt, none, "none recorded"},
		{"safetensors without metadata", st, none, "none recorded"},
		{"trainer .pt as the test checkpoints", ziptest.TrainerDict(t, pt, -1, 0), none, "none recorded"},
		{"trainer .pt, evalmodel", ziptest.TrainerDict(t, pt, -1, 79.5),
			Training{Known: true, Epoch: -1, Accuracy: 0.795, AccuracySplit: "validation"}, "validation accuracy 79.50%"},
		{"trainer .pt mid-training", ziptest.TrainerDict(t, pt, 42, 61.25),
			Training{Known: true, Epoch: 42, Accuracy: 0.6125, AccuracySplit: "validation"}, "epoch 42, validation accuracy 61.25%"},
		{"trainer .pt, epoch 0 without accuracy", ziptest.TrainerDict(t, pt, 0, 0), Training{Known: true}, "epoch 0"},
		{"trainer .pt, accuracy out of range", ziptest.TrainerDict(t, pt, -1, 250), none, "none recorded"},
		{"train_lowformer.py metadata", withMeta(t, map[string]string{"dataset": "flowers", "train_images": "1200", "val_accuracy": "0.8731"}),
			Training{Known: true, Epoch: -1, Accuracy: 0.8731, AccuracySplit: "validation", Dataset: "flowers", TrainImages: 1200},
			"dataset flowers, 1200 training images, validation accuracy 87.31%"},
		{"converted .pt metadata", withMeta(t, map[string]string{"epoch": "299", "val_accuracy": "0.791"}),
			Training{Known: true, Epoch: 299, Accuracy: 0.791, AccuracySplit: "validation"}, "epoch 299, validation accuracy 79.10%"},
		{"val before test accuracy", withMeta(t, map[string]string{"val_accuracy": "0.5", "test_accuracy": "0.6"}),
			Training{Known: true, Epoch: -1, Accuracy: 0.5, AccuracySplit: "validation"}, "validation accuracy 50.00%"},
		{"malformed metadata", withMeta(t, map[string]string{"val_accuracy": "high", "epoch": "-7", "train_images": "many", "dataset": " "}), none, "none recorded"},
		{"built-in model", pretrained.FashionMNIST(),
			Training{Known: true, Epoch: -1, Accuracy: 0.9094, AccuracySplit: "test", Dataset: "fashion-mnist"}, "dataset fashion-mnist, test accuracy 90.94%"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := OpenBytes(context.Background(), c.data, Options{Backend: CPU})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			got := m.Info().Training
			if got != c.want {
				t.Errorf("Training = %+v, want %+v", got, c.want)
			}
			if got.String() != c.line {
				t.Errorf("Training.String() = %q, want %q", got.String(), c.line)
			}
		})
	}
}
