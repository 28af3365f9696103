package ref

import (
	"fmt"
	"math"
)

// MaxAbsDiff returns max |a[i]-b[i]|. It panics if the lengths differ; a NaN
// in either slice gives +Inf.
func MaxAbsDiff(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("ref: MaxAbsDiff of %d and %d values", len(a), len(b)))
	}
	var m float32
	for i := range a {
		d := float32(math.Abs(float64(a[i] - b[i])))
		if d != d {
			return float32(math.Inf(1))
		}
		m = max(m, d)
	}
	return m
}

// MaxAbs returns max |a[i]| (+Inf if a holds a NaN).
func MaxAbs(a []float32) float32 {
	var m float32
	for _, v := range a {
		if v != v {
			return float32(math.Inf(1))
		}
		m = max(m, float32(math.Abs(float64(v))))
	}
	return m
}
