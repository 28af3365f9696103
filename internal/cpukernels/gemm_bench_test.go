package cpukernels

import (
	"fmt"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
)

// BenchmarkGemm measures the packed GEMM on the shapes of a 1×1 conv at
// 14×14 (196 rows) and reports GFLOP/s (2·m·k·n per run).
func BenchmarkGemm(b *testing.B) {
	for _, s := range []struct{ m, k, n int }{{196, 512, 512}, {3136, 64, 32}} {
		b.Run(fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n), func(b *testing.B) {
			a := randSlice(1, s.m*s.k)
			pb := PackB(randSlice(2, s.k*s.n), s.k, s.n)
			c := make([]float32, s.m*s.n)
			g := NewGemm(c, s.n, a, s.k, s.m, pb, Epilogue{Bias: make([]float32, s.n), Act: act.None}, Workers())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				g.Run()
			}
			b.ReportMetric(2*float64(s.m*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
