package cpukernels

// mr is the number of output rows a GEMM micro-tile computes at once.
const mr = 4

// PanelWidth is the number of columns of one packed weight panel: two
// vectors (32 with AVX-512, 16 with AVX2, 8 in wasm SIMD128 and scalar).
func PanelWidth() int { return 2 * lanes() }

// PackedB is a K×N matrix (a layer's weights) packed for the GEMM: column
// panels of PanelWidth() columns, each stored k-major ([k][PanelWidth]),
// the last one zero-padded. Pack once per model and reuse.
type PackedB struct {
	K, N int
	data []float32
}

// PackB packs the row-major K×N matrix w ([k][n], as model.Graph stores
// 1×1 conv, linear and HWIO conv weights).
func PackB(w []float32, k, n int) *PackedB {
	if len(w) != k*n {
		panic("cpukernels: PackB weight length does not match k×n")
	}
	nr := PanelWidth()
	panels := (n + nr - 1) / nr
	b := &PackedB{K: k, N: n, data: make([]float32, panels*k*nr)}
	for p := 0; p < panels; p++ {
		j0 := p * nr
		cols := min(nr, n-j0)
		for kk := 0; kk < k; kk++ {
			copy(b.data[(p*k+kk)*nr:][:cols], w[kk*n+j0:][:cols])
		}
	}
	return b
}

// Panels is the number of column panels.
func (b *PackedB) Panels() int { return (b.N + PanelWidth() - 1) / PanelWidth() }

// panel returns panel p's k×PanelWidth values.
func (b *PackedB) panel(p int) []float32 {
	size := b.K * PanelWidth()
	return b.data[p*size:][:size]
}
