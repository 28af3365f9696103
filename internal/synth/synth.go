// Package synth makes the deterministic synthetic LowFormer weights of
// model/testdata/gen_variants.py, for tests that need a network without an
// official checkpoint. It does not import package model (whose own tests
// use it); callers pass the entries of model.ExpectedParams.
package synth

import (
	"math"
	"strings"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// StateDict returns the synthetic state dict of n entries; entry(i) gives
// the i-th key, shape and whether it is an integer counter
// (num_batches_tracked, stored as a single int64 zero).
func StateDict(n int, entry func(i int) (key string, shape []int, isInt bool)) *checkpoint.StateDict {
	sd := &checkpoint.StateDict{Tensors: map[string]*checkpoint.Tensor{}}
	for i := range n {
		key, shape, isInt := entry(i)
		t := &checkpoint.Tensor{Shape: shape, DType: checkpoint.F32}
		if isInt {
			t.DType, t.I64 = checkpoint.I64, []int64{0}
		} else {
			t.F32 = Values(key, shape)
		}
		sd.Tensors[key] = t
		sd.Keys = append(sd.Keys, key)
	}
	return sd
}

// Values returns the synthetic values of one float entry, with the formula
// documented in model/testdata/gen_variants.py: BatchNorm variances and
// norm scales in [0.5, 1.5), means and biases in ±0.2, other weights
// uniform with a fan-in scale.
func Values(key string, shape []int) []float32 {
	n := 1
	for _, d := range shape {
		n *= d
	}
	h := fnv1a64(key)
	var f func(u float64) float64
	switch {
	case strings.HasSuffix(key, ".running_var") || (len(shape) == 1 && strings.HasSuffix(key, ".weight")):
		f = func(u float64) float64 { return 0.5 + u }
	case strings.HasSuffix(key, ".running_mean") || strings.HasSuffix(key, ".bias"):
		f = func(u float64) float64 { return (2*u - 1) * 0.2 }
	default:
		fan := 1.0
		for _, d := range shape[1:] {
			fan *= float64(d)
		}
		if strings.HasSuffix(key, "upsampling.weight") {
			k := float64(shape[2])
			fan = float64(shape[0]) * k * k
			if k == 4 {
				fan /= 4
			}
		}
		gain := 1.0
		switch {
		case strings.Contains(key, "pwise"):
			gain = 2
		case strings.Contains(key, "upsampling"):
			gain = 0.3
		}
		scale := gain * math.Sqrt(3/fan)
		f = func(u float64) float64 { return (2*u - 1) * scale }
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(f(Uniform(h, i)))
	}
	return out
}

// Uniform is u_i of gen_variants.py: splitmix64 of the key's FNV-1a hash
// plus (i+1)·golden ratio, top 24 bits scaled to [0,1).
func Uniform(h uint64, i int) float64 {
	z := h + uint64(i+1)*0x9E3779B97F4A7C15
	z ^= z >> 30
	z *= 0xBF58476D1CE4E5B9
	z ^= z >> 27
	z *= 0x94D049BB133111EB
	z ^= z >> 31
	return float64(z>>40) / (1 << 24)
}

// fnv1a64 is the 64-bit FNV-1a hash.
func fnv1a64(s string) uint64 {
	h := uint64(0xCBF29CE484222325)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 0x100000001B3
	}
	return h
}
