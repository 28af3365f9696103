package cpukernels

// mr is the number of output rows a GEMM micro-tile computes at once.
const mr = 4

// kStep is the number of k steps one iteration of the GEMM micro-tile's
// loop takes: packed operands have their K rounded up to a multiple of it,
// the extra rows zero.
const kStep = 2

// PanelWidth is the number of columns of one packed weight panel: two
// vectors (32 with AVX-512, 16 with AVX2, 8 in wasm SIMD128 and scalar).
func PanelWidth() int { return 2 * lanes() }

// PackedB is a K×N matrix (a layer's weights) packed for the GEMM: column
// panels of PanelWidth() columns, each stored k-major ([kp][PanelWidth],
// kp = K rounded up to a multiple of kStep), the last one and the rows
// past K zero-padded. Pack once per model and reuse.
type PackedB struct {
	K, N int
	kp   int
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
	kp := roundUp(k, kStep)
	b := &PackedB{K: k, N: n, kp: kp}
	b.data = make([]float32, b.packedLen())
	for p := 0; p < panels; p++ {
		j0 := p * nr
		cols := min(nr, n-j0)
		for kk := 0; kk < k; kk++ {
			copy(b.data[b.at(kk, j0):][:cols], w[kk*n+j0:][:cols])
		}
	}
	return b
}

// Panels is the number of column panels.
func (b *PackedB) Panels() int { return (b.N + PanelWidth() - 1) / PanelWidth() }

// Bytes is the memory the packed matrix holds.
func (b *PackedB) Bytes() int64 { return 4 * int64(len(b.data)) }

// at returns the index in the packed data of element (kk, j): element
// (kk+1, j) lies PanelWidth() values after it, and the elements after it
// in row kk up to the end of j's panel follow it.
func (b *PackedB) at(kk, j int) int {
	nr := PanelWidth()
	return (j/nr*b.kp+kk)*nr + j%nr
}

// packedLen is the length of the packed data.
func (b *PackedB) packedLen() int { return b.Panels() * b.kp * PanelWidth() }

// panel returns panel p's kp×PanelWidth values.
func (b *PackedB) panel(p int) []float32 {
	size := b.kp * PanelWidth()
	return b.data[p*size:][:size]
}

// packLen is the length of the packed rows of A that a micro-tile
// multiplies with b: kp steps of mr values.
func packLen(b *PackedB) int { return b.kp * mr }

// packRows writes the mr rows of A in a (each k long; GemmBlock repeats
// the last row of a short block) to ap k-major, ap[kk·mr + r] = a[r][kk],
// so that a micro-tile reads the mr values of a k step from one place;
// the k steps past k are zero.
func packRows(ap []float32, a *[mr][]float32, k int) {
	a0, a1, a2, a3 := a[0][:k], a[1][:k], a[2][:k], a[3][:k]
	ap = ap[:roundUp(k, kStep)*mr]
	for kk, v := range a0 {
		q := (*[mr]float32)(ap[kk*mr:])
		q[0], q[1], q[2], q[3] = v, a1[kk], a2[kk], a3[kk]
	}
	clear(ap[k*mr:])
}
