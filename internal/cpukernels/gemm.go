package cpukernels

import "github.com/lowformer/lowformer-webgpu/act"

// Epilogue is what a kernel applies to each accumulated output value of
// column j in row i: Act(acc + Bias[j]) + Res[i·LdRes + j]. Bias has one
// value per output column (zeros when the layer has none); Res is nil when
// there is no residual.
type Epilogue struct {
	Bias  []float32
	Act   act.Func
	Res   []float32
	LdRes int
}

// rows returns the epilogue of the rows from row i on.
func (e Epilogue) rows(i int) Epilogue {
	if e.Res != nil {
		e.Res = e.Res[i*e.LdRes:]
	}
	return e
}

// GemmBlock computes rows [0, m) and column panels [p0, p1) of
// C = epilogue(A·B): row i of A is a[i·lda:][:B.K], row i of C is
// c[i·ldc:]. Rows are taken mr at a time (packed into ap, the worker's
// Scratch.pack buffer, where packA is set and the block has enough panels
// to pay for the packing); each micro-tile keeps its accumulators in
// registers over the whole K.
func GemmBlock(c []float32, ldc int, a []float32, lda, m int, b *PackedB, p0, p1 int, ep Epilogue, ap []float32) {
	var rowsA, rowsC, rowsR [mr][]float32
	for i := 0; i < m; i += mr {
		rows := min(mr, m-i)
		for r := 0; r < mr; r++ {
			src := i + min(r, rows-1) // short tiles repeat their last row
			rowsA[r] = a[src*lda:][:b.K]
			rowsC[r] = c[src*ldc:]
			if ep.Res != nil {
				rowsR[r] = ep.Res[src*ep.LdRes:]
			}
		}
		var packed []float32
		if packA && rows > 1 && p1-p0 >= minPackedPanels {
			packed = ap
			packRows(packed, &rowsA, b.K)
		}
		tiles(&rowsC, &rowsA, &rowsR, rows, packed, b, p0, p1, ep)
	}
}

// Gemm is one GEMM, C = epilogue(A·B) over M rows, with its split into
// tasks for ForEach.
type Gemm struct {
	C       []float32
	Ldc     int
	A       []float32
	Lda, M  int
	B       *PackedB
	Ep      Epilogue
	split   split
	scratch *Scratch
	runner
}

// NewGemm prepares C = epilogue(A·B) over m rows for the workers of s.
func NewGemm(c []float32, ldc int, a []float32, lda, m int, b *PackedB, ep Epilogue, s *Scratch) *Gemm {
	g := &Gemm{C: c, Ldc: ldc, A: a, Lda: lda, M: m, B: b, Ep: ep, split: newSplit(m, b.Panels(), s.Workers()), scratch: s}
	s.needPack(b)
	g.runner = runner{g.split.tasks(), g.Task}
	return g
}

// Task computes task t as worker.
func (g *Gemm) Task(t, worker int) {
	defer clearUpper()
	i0, m, p0, p1 := g.split.at(t)
	GemmBlock(g.C[i0*g.Ldc:], g.Ldc, g.A[i0*g.Lda:], g.Lda, m, g.B, p0, p1, g.Ep.rows(i0), g.scratch.pack(worker, g.B))
}

// kBlock is the number of K steps a GEMM micro-tile sums in fresh
// registers before adding them to its running totals (blocked summation).
// One long chain of K fused multiply-adds lets the rounding error grow with
// K; blocks of kBlock grow it with kBlock + K/kBlock instead. On the
// synthetic variants at 224×224 (model's TestFidelityDeepCPU) this took
// the logits from 2–7× PyTorch fp32's distance to the fp64 truth to
// 0.6–1.2× (64 left E1 at 1.6×; the heads' Linear layers, K = 1536–2560,
// were the main source). For K ≤ kBlock the result is the single
// chain's, bit for bit.
const kBlock = 32
