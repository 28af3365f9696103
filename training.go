package lowformer

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// Metadata keys (safetensors __metadata__) that record how a model was
// trained. tools/train_lowformer.py writes dataset, train_images and
// val_accuracy; lowformer convert carries a .pt's epoch and best_val over
// as epoch and val_accuracy.
const (
	MetaDataset      = "dataset"       // the training set's name
	MetaTrainImages  = "train_images"  // number of training images
	MetaValAccuracy  = "val_accuracy"  // top-1 accuracy on the validation set, a fraction ("0.9123")
	MetaTestAccuracy = "test_accuracy" // top-1 accuracy on a test set, a fraction
	MetaEpoch        = "epoch"         // the trainer's epoch (-1: a final evaluation checkpoint)
)

// TestWeightsNote is the note shown for a checkpoint that records no
// training (Training.Known false), such as the synthetic test checkpoints.
const TestWeightsNote = "test weights: predictions are meaningless"

// Training is what a checkpoint itself records about its training. Nothing
// here is measured: it is read from the file, so it is only as true as the
// file.
//
// A .pt trainer dict records "epoch" and "best_val" (the best validation
// top-1 accuracy in percent; the trainer writes epoch -1 into
// evalmodel.pt). A safetensors file records metadata: dataset,
// train_images, val_accuracy or test_accuracy (fractions) and epoch.
type Training struct {
	// Known reports that the checkpoint records a training result: an
	// accuracy above 0, an epoch ≥ 0 or a dataset name. When false the
	// weights are as good as random (TestWeightsNote).
	Known bool
	// Epoch is the recorded epoch, -1 when none is recorded (or the
	// trainer's -1 of a final evaluation checkpoint).
	Epoch int
	// Accuracy is the recorded top-1 accuracy on held-out images as a
	// fraction in (0, 1], 0 when none is recorded.
	Accuracy float64
	// AccuracySplit names what Accuracy was measured on: "validation",
	// "test", or "" when Accuracy is 0.
	AccuracySplit string
	// Dataset is the recorded training set's name, "" when none.
	Dataset string
	// TrainImages is the recorded number of training images, 0 when none.
	TrainImages int
}

// String summarizes t in one line, e.g. "dataset fashion-mnist, 60000
// training images, test accuracy 90.94%", or "none recorded" for a
// checkpoint that records no training (show TestWeightsNote with it).
func (t Training) String() string {
	if !t.Known {
		return "none recorded"
	}
	var parts []string
	if t.Dataset != "" {
		parts = append(parts, "dataset "+t.Dataset)
	}
	if t.TrainImages > 0 {
		parts = append(parts, fmt.Sprintf("%d training images", t.TrainImages))
	}
	if t.Epoch >= 0 {
		parts = append(parts, fmt.Sprintf("epoch %d", t.Epoch))
	}
	if t.Accuracy > 0 {
		parts = append(parts, fmt.Sprintf("%s accuracy %.2f%%", t.AccuracySplit, 100*t.Accuracy))
	}
	return strings.Join(parts, ", ")
}

// trainingFor reads what sd records about its training.
func trainingFor(sd *checkpoint.StateDict) Training {
	t := Training{Epoch: -1}
	if r := sd.Trainer; r.HasEpoch && r.Epoch >= 0 && r.Epoch <= math.MaxInt32 {
		t.Epoch = int(r.Epoch)
	}
	if r := sd.Trainer; r.HasBestVal && r.BestVal > 0 && r.BestVal <= 100 {
		t.Accuracy, t.AccuracySplit = r.BestVal/100, "validation"
	}
	meta := sd.Meta
	if e, err := strconv.Atoi(meta[MetaEpoch]); err == nil && e >= 0 && t.Epoch < 0 {
		t.Epoch = e
	}
	if t.Accuracy == 0 {
		for _, k := range []struct{ key, split string }{{MetaValAccuracy, "validation"}, {MetaTestAccuracy, "test"}} {
			if a, err := strconv.ParseFloat(meta[k.key], 64); err == nil && a > 0 && a <= 1 {
				t.Accuracy, t.AccuracySplit = a, k.split
				break
			}
		}
	}
	if n, err := strconv.Atoi(meta[MetaTrainImages]); err == nil && n > 0 {
		t.TrainImages = n
	}
	t.Dataset = strings.TrimSpace(meta[MetaDataset])
	t.Known = t.Accuracy > 0 || t.Epoch >= 0 || t.Dataset != ""
	return t
}
