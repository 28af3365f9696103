package main

import (
	"encoding/binary"
	"testing"
)

func safetensorsHeader(json string) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(json)))
	return append(b, json...)
}

func TestInputSize(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		want int
	}{
		{"metadata 48", safetensorsHeader(`{"__metadata__":{"input_size":"48","labels":"[]"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`), 48},
		{"no metadata", safetensorsHeader(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`), 224},
		{"not a number", safetensorsHeader(`{"__metadata__":{"input_size":"big"}}`), 224},
		{"too small", safetensorsHeader(`{"__metadata__":{"input_size":"16"}}`), 224},
		{"a PyTorch zip", []byte("PK\x03\x04 some zip bytes"), 224},
		{"header longer than the file", binary.LittleEndian.AppendUint64(nil, 1000), 224},
		{"empty", nil, 224},
		{"bad JSON", safetensorsHeader(`{"__metadata__":`), 224},
	}
	for _, tt := range tests {
		if got := inputSize(tt.file); got != tt.want {
			t.Errorf("%s: inputSize = %d, want %d", tt.name, got, tt.want)
		}
	}
}
