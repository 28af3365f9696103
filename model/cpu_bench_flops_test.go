//go:build js || cgo

package model

// opFLOPs is the FLOPs of op for the CPU profile (opCost's; a Winograd
// conv counts the direct convolution's).
func opFLOPs(op Op, shapes []Shape) float64 { return opCost(op, nil, shapes).FLOPs }
