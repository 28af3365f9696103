package lowformer

import (
	"fmt"
	"strconv"

	"github.com/lowformer/lowformer-webgpu/internal/jsonlite"
	"github.com/lowformer/lowformer-webgpu/labels"
)

// Safetensors metadata keys written by `lowformer convert` and read by Open.
const (
	// MetaLabels holds the class names as a JSON array of strings.
	MetaLabels = "labels"
	// MetaConfig holds the JSON of the model.Config.
	MetaConfig = "lowformer.config"
	// MetaVariant holds the variant name ("B0", ..., "custom").
	MetaVariant = "lowformer.variant"
	// MetaInputSize holds Info.NativeSide, the side the model was trained
	// at ("48").
	MetaInputSize = "input_size"
)

// nativeSideFor returns the native side recorded in the metadata, or
// DefaultNativeSide when it is absent or not a side Classify accepts.
func nativeSideFor(meta map[string]string) int {
	s, err := strconv.Atoi(meta[MetaInputSize])
	if err != nil || s < MinSide || s > MaxClassifySide {
		return DefaultNativeSide
	}
	return s
}

// labelsFor returns the class names of a model: those in the checkpoint's
// metadata, the ImageNet-1k names for 1000 classes, or "class i".
func labelsFor(meta map[string]string, classes int) ([]string, error) {
	if s, ok := meta[MetaLabels]; ok {
		l, err := stringList(s)
		if err != nil {
			return nil, badCheckpoint("metadata %q is not a JSON list of strings: %v", MetaLabels, err)
		}
		if len(l) != classes {
			return nil, badCheckpoint("metadata %q has %d labels for %d classes", MetaLabels, len(l), classes)
		}
		return l, nil
	}
	out := make([]string, classes)
	for i := range out {
		if classes == labels.NumClasses {
			out[i] = labels.ImageNet[i]
		} else {
			out[i] = fmt.Sprintf("class %d", i)
		}
	}
	return out, nil
}

// stringList parses a JSON array of strings as encoding/json decodes one
// into a []string: null is an empty list, a null element an empty string.
func stringList(s string) ([]string, error) {
	dec := jsonlite.NewDecoder([]byte(s))
	var l []string
	if !dec.Null() {
		l = []string{}
		err := dec.Array(func() error {
			if dec.Null() {
				l = append(l, "")
				return nil
			}
			v, err := dec.String()
			l = append(l, v)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if n := dec.Offset(); n < len(s) {
		return nil, fmt.Errorf("invalid character %q after the list", s[n])
	}
	return l, nil
}
