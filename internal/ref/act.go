// Package ref is a plain-Go CPU implementation of every LowFormer operation,
// written for clarity rather than speed. It is the oracle for the GPU kernel
// tests and the engine of the CPU back end. All tensors are NHWC float32.
package ref

import "math"

// Act is an activation applied in an operation's epilogue.
type Act int

// Activations. GELU is the exact erf form used by LowFormer's MLP.
const (
	ActNone Act = iota
	ActHSwish
	ActGELU
)

// String names the activation.
func (a Act) String() string {
	switch a {
	case ActHSwish:
		return "hswish"
	case ActGELU:
		return "gelu"
	}
	return "none"
}

// Apply applies the activation to one value.
func (a Act) Apply(v float32) float32 {
	switch a {
	case ActHSwish:
		return HSwish(v)
	case ActGELU:
		return GELU(v)
	}
	return v
}

// HSwish is x·clamp(x+3, 0, 6)/6.
func HSwish(x float32) float32 {
	r := x + 3
	if r < 0 {
		r = 0
	} else if r > 6 {
		r = 6
	}
	return x * r / 6
}

// GELU is the exact x·Φ(x) = 0.5·x·(1+erf(x/√2)), computed in float64.
func GELU(x float32) float32 {
	v := float64(x)
	return float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
}
