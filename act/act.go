// Package act names the activation functions that LowFormer fuses into the
// epilogue of an operation, and computes them on the CPU. The graph
// (model), the GPU kernels (kernels) and the CPU reference all speak this
// one vocabulary.
package act

import "math"

// Func is an activation applied in an operation's epilogue.
type Func int

// Activations. GELU is the exact erf form used by LowFormer's MLP.
const (
	None Func = iota
	HSwish
	GELU
)

// String names the activation: "none", "hswish" or "gelu".
func (a Func) String() string {
	switch a {
	case HSwish:
		return "hswish"
	case GELU:
		return "gelu"
	case None:
		return "none"
	}
	return "unknown"
}

// Valid reports whether a is one of the activations above.
func (a Func) Valid() bool { return a >= None && a <= GELU }

// Apply applies the activation to one value.
func (a Func) Apply(v float32) float32 {
	switch a {
	case HSwish:
		return hswish(v)
	case GELU:
		return gelu(v)
	}
	return v
}

// hswish is x·clamp(x+3, 0, 6)/6.
func hswish(x float32) float32 {
	r := x + 3
	if r < 0 {
		r = 0
	} else if r > 6 {
		r = 6
	}
	return x * r / 6
}

// gelu is the exact x·Φ(x) = 0.5·x·(1+erf(x/√2)), computed in float64.
func gelu(x float32) float32 {
	v := float64(x)
	return float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
}
