package cpukernels

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// sentinel fills the parts of C a GEMM must not write.
const sentinel = 12345.5

// blockCase is one GemmBlock call: m rows of A (row stride lda ≥ k) times
// the packed k×n weights, column panels [p0, p1), into C with row stride
// ldc ≥ n, with or without a residual (row stride ldRes ≥ n).
type blockCase struct {
	m, k, n, lda, ldc int
	p0, p1            int
	fn                act.Func
	withRes           bool
	ldRes             int
}

// run calls GemmBlock on random operands and checks it against the
// oracle: the columns of panels [p0, p1) of the m rows within tol(k), every
// other value of C (the other columns, the gaps of a row stride, the
// values past the last row) untouched.
func (tc blockCase) run(t *testing.T) {
	t.Helper()
	nr := PanelWidth()
	x := randTensor(1, 1, tc.m, 1, tc.k)
	a := make([]float32, max(0, (tc.m-1)*tc.lda+tc.k)) // the last row ends the slice
	for i := range tc.m {
		copy(a[i*tc.lda:][:tc.k], x.Data[i*tc.k:][:tc.k])
	}
	w := randSlice(2, tc.k*tc.n)
	bias := randSlice(3, tc.n)
	ep := Epilogue{Bias: bias, Act: tc.fn}
	var res *ref.Tensor
	if tc.withRes {
		res = randTensor(9, 1, tc.m, 1, tc.n)
		ep.Res, ep.LdRes = make([]float32, (tc.m-1)*tc.ldRes+tc.n), tc.ldRes
		for i := range tc.m {
			copy(ep.Res[i*tc.ldRes:][:tc.n], res.Data[i*tc.n:][:tc.n])
		}
	}
	c := make([]float32, (tc.m-1)*tc.ldc+tc.n+5) // 5 guard values past the last row
	for i := range c {
		c[i] = sentinel
	}
	b := PackB(w, tc.k, tc.n)
	s := NewScratch(1)
	s.needPack(b)
	GemmBlock(c, tc.ldc, a, tc.lda, tc.m, b, tc.p0, tc.p1, ep, s.pack(0, b))
	clearUpper()

	want := ref.Conv2D(x, w, bias, 1, 1, tc.n, tc.fn, res).Data
	j0, j1 := tc.p0*nr, min(tc.n, tc.p1*nr)
	var worst float64
	for i := range c {
		row, col := i/tc.ldc, i%tc.ldc
		if row < tc.m && col >= j0 && col < j1 {
			worst = max(worst, math.Abs(float64(c[i]-want[row*tc.n+col])))
			continue
		}
		if c[i] != sentinel {
			t.Fatalf("%+v: C[%d] (row %d, column %d) outside the block was written: %v", tc, i, row, col, c[i])
		}
	}
	if worst > float64(tol(tc.k)) || math.IsNaN(worst) {
		t.Fatalf("%+v: max-abs diff %.3g > %.3g", tc, worst, tol(tc.k))
	}
}

// TestGemmBlockOddShapes runs GemmBlock (in wasm the packed micro-tile
// that reads its operands through pointers) over shapes that exercise its
// edges: 1 to 9 rows (single rows, short row blocks), K around the 2- and
// 4-step iterations and the kBlock blocks, partial last panels, panel
// ranges that start and end inside the matrix, strided rows of A, C and
// the residual, every activation, and checks nothing outside the block is
// written.
func TestGemmBlockOddShapes(t *testing.T) {
	nr := PanelWidth()
	ms := []int{1, 2, 3, 4, 5, 7, 9}
	ks := []int{1, 2, 3, 4, 5, 6, 7, 31, 32, 33, 34, 35, 62, 64, 66, 67}
	ns := []int{1, 3, nr - 1, nr, nr + 1, 2*nr + 1, 3 * nr, 3*nr + 5, 5*nr - 1}
	count := 0
	for _, m := range ms {
		for _, k := range ks {
			for _, n := range ns {
				panels := (n + nr - 1) / nr
				ranges := [][2]int{{0, panels}}
				if panels >= 3 {
					ranges = append(ranges, [2]int{1, panels - 1}, [2]int{panels - 1, panels}, [2]int{0, 2})
				}
				for _, r := range ranges {
					tc := blockCase{m: m, k: k, n: n, lda: k + count%3, ldc: n + count%4, p0: r[0], p1: r[1],
						fn: acts[count%len(acts)], withRes: count%2 == 1, ldRes: n + count%5}
					tc.run(t)
					count++
				}
			}
		}
	}
	t.Logf("%d GemmBlock calls checked", count)
}

// FuzzGemmBlock checks GemmBlock on random shapes against the oracle as
// TestGemmBlockOddShapes does (natively: go test -fuzz FuzzGemmBlock).
func FuzzGemmBlock(f *testing.F) {
	for _, s := range [][5]uint8{{1, 1, 1, 0, 0}, {5, 34, 17, 1, 1}, {4, 66, 40, 2, 3}, {9, 130, 25, 3, 0}, {13, 7, 9, 0, 5}} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, m, k, n, pad, sel uint8) {
		nr := PanelWidth()
		mm, kk, nn := 1+int(m)%16, 1+int(k)%200, 1+int(n)%70
		panels := (nn + nr - 1) / nr
		p0 := int(sel) % panels
		p1 := p0 + 1 + int(sel/16)%(panels-p0)
		tc := blockCase{m: mm, k: kk, n: nn, lda: kk + int(pad)%4, ldc: nn + int(pad/4)%4, p0: p0, p1: p1,
			fn: acts[int(sel)%len(acts)], withRes: pad%2 == 1, ldRes: nn + int(pad/16)%3}
		tc.run(t)
	})
}

// TestGemmBlockRejectsShortOperands checks that GemmBlock panics with a
// message, before touching memory, when C, the bias or the residual holds
// fewer values than the block writes or reads.
func TestGemmBlockRejectsShortOperands(t *testing.T) {
	const k, n = 16, 40
	b := PackB(randSlice(2, k*n), k, n)
	s := NewScratch(1)
	s.needPack(b)
	for _, m := range []int{4, 1, 5} { // packed row blocks, a single row, both
		a := randSlice(1, m*k)
		for _, tc := range []struct {
			name       string
			c, bias    int
			res, ldRes int
		}{
			{"C one value short", m*n - 1, n, 0, 0},
			{"bias one value short", m * n, n - 1, 0, 0},
			{"residual one value short", m * n, n, m*n - 1, n},
		} {
			t.Run(fmt.Sprintf("m=%d/%s", m, tc.name), func(t *testing.T) {
				c := make([]float32, tc.c)
				ep := Epilogue{Bias: randSlice(3, tc.bias), Act: act.None}
				if tc.res > 0 {
					ep.Res, ep.LdRes = randSlice(4, tc.res), tc.ldRes
				}
				defer func() {
					r := recover()
					if r == nil {
						t.Fatal("no panic")
					}
					if msg := fmt.Sprint(r); !strings.Contains(msg, "out of range") && !strings.Contains(msg, "cpukernels:") {
						t.Fatalf("panic without a clear message: %v", msg)
					}
				}()
				GemmBlock(c, n, a, k, m, b, 0, b.Panels(), ep, s.pack(0, b))
			})
		}
	}
}
