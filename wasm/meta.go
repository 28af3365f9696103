package main

import (
	"encoding/binary"
	"encoding/json"
	"strconv"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// MetaInputSize is the safetensors metadata key holding the resolution a
// model was trained at (written by the training scripts, e.g. "48").
const MetaInputSize = "input_size"

// maxHeader bounds the safetensors header read by inputSize.
const maxHeader = 100 << 20

// inputSize returns the input resolution recorded in a safetensors file's
// metadata, or lowformer.DefaultSize for other files, missing or invalid
// values. The root package's Info does not carry it (yet).
func inputSize(file []byte) int {
	if len(file) < 8 {
		return lowformer.DefaultSize
	}
	n := binary.LittleEndian.Uint64(file)
	if n > maxHeader || n > uint64(len(file)-8) {
		return lowformer.DefaultSize
	}
	var h struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if json.Unmarshal(file[8:8+n], &h) != nil {
		return lowformer.DefaultSize
	}
	s, err := strconv.Atoi(h.Meta[MetaInputSize])
	if err != nil || s < 32 || s > 2048 {
		return lowformer.DefaultSize
	}
	return s
}
