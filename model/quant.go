package model

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// MinQuantElements is the size below which lowformer convert -dtype int8
// keeps a weight in float32: so small a tensor saves next to nothing (the
// stem conv of a 16-channel model has 432 values).
const MinQuantElements = 1024

// QuantizeInt8 returns sd with the weights of its convolutions,
// ConvTransposes and Linear layers of at least minElements values
// quantized to symmetric int8 per output channel (checkpoint.QuantizeInt8);
// biases, norms and BatchNorm statistics stay float. sd must be a valid
// checkpoint of cfg (Build checks it first). Write the result with
// checkpoint.WriteSafetensors in F32 and the metadata
// checkpoint.MetaQuantization = checkpoint.QuantInt8.
func QuantizeInt8(cfg Config, sd *checkpoint.StateDict, minElements int) (*checkpoint.StateDict, error) {
	if _, err := Build(cfg, sd); err != nil {
		return nil, err
	}
	specs, err := ExpectedParams(cfg)
	if err != nil {
		return nil, err
	}
	axes := map[string]int{}
	for _, p := range specs {
		if p.Weight && p.Numel() >= minElements {
			axes[p.Key] = p.OutAxis
		}
	}
	q, err := checkpoint.QuantizeInt8(sd, axes)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return q, nil
}
