package model

import (
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// TestQuantizeInt8Selection checks which B0 and E3 entries QuantizeInt8
// turns into int8: exactly the conv, ConvTranspose and Linear weights of at
// least minElements values, each with scales along its output-channel axis
// (axis 1 for a ConvTranspose's [in, out, kH, kW]); biases, norms and
// BatchNorm entries stay as they were.
func TestQuantizeInt8Selection(t *testing.T) {
	for _, tc := range []struct {
		variant     string
		minElements int
	}{{"b0", MinQuantElements}, {"b0", 1}, {"E3", MinQuantElements}} {
		t.Run(tc.variant, func(t *testing.T) {
			cfg := mustConfig(t, tc.variant)
			sd := synthStateDict(t, cfg)
			q, err := QuantizeInt8(cfg, sd, tc.minElements)
			if err != nil {
				t.Fatal(err)
			}
			specs, err := ExpectedParams(cfg)
			if err != nil {
				t.Fatal(err)
			}
			quantized, transposed := 0, 0
			for _, p := range specs {
				got, scale := q.Tensors[p.Key], q.Tensors[p.Key+checkpoint.ScaleSuffix]
				want := p.Weight && p.Numel() >= tc.minElements
				if !want {
					if got != sd.Tensors[p.Key] || scale != nil {
						t.Errorf("%s (shape %v) was changed or got a scale", p.Key, p.Shape)
					}
					continue
				}
				quantized++
				if got.DType != checkpoint.I8 || scale == nil {
					t.Fatalf("%s (shape %v): dtype %s, scale %v; want I8 with a scale tensor", p.Key, p.Shape, got.DType, scale != nil)
				}
				axis := 0
				if strings.HasSuffix(p.Key, "upsampling.weight") {
					axis, transposed = 1, transposed+1
				}
				if scale.Shape[axis] != p.Shape[axis] || scale.Numel() != p.Shape[axis] {
					t.Errorf("%s (shape %v): scale shape %v, want one per channel of axis %d", p.Key, p.Shape, scale.Shape, axis)
				}
			}
			if quantized == 0 || len(q.Keys) != len(sd.Keys)+quantized {
				t.Fatalf("%d weights quantized; %d keys for %d", quantized, len(q.Keys), len(sd.Keys))
			}
			if cfg.Attention && transposed == 0 {
				t.Error("no ConvTranspose weight was quantized")
			}
			t.Logf("%s, min %d: %d weights int8 (%d ConvTranspose)", tc.variant, tc.minElements, quantized, transposed)
		})
	}
	bad := synthStateDict(t, mustConfig(t, "b0"))
	delete(bad.Tensors, bad.Keys[0])
	bad.Keys = bad.Keys[1:]
	if _, err := QuantizeInt8(mustConfig(t, "b0"), bad, 1); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("quantizing an incomplete state dict: %v", err)
	}
}
