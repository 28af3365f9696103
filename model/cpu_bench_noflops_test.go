//go:build !js && !cgo

package model

// opFLOPs is 0 where opCost is not built (no GPU support): the CPU profile
// then reports times alone.
func opFLOPs(Op, []Shape) float64 { return 0 }
