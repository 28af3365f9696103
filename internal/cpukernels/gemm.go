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
// c[i·ldc:]. Rows are taken mr at a time; each micro-tile keeps its
// accumulators in registers over the whole K.
func GemmBlock(c []float32, ldc int, a []float32, lda, m int, b *PackedB, p0, p1 int, ep Epilogue) {
	nr := PanelWidth()
	var rowsA [mr][]float32
	var rowsC, rowsR [mr][]float32
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
		for p := p0; p < p1; p++ {
			j0 := p * nr
			tile(&rowsC, &rowsA, &rowsR, rows, b.panel(p), b.K, j0, min(nr, b.N-j0), ep)
		}
	}
}

// Gemm is one GEMM with its split into tasks for ForEach: blocks of rows
// times groups of column panels, sized so that every worker gets several.
type Gemm struct {
	C        []float32
	Ldc      int
	A        []float32
	Lda, M   int
	B        *PackedB
	Ep       Epilogue
	rowsPer  int
	rowTasks int
	panelsPe int
	panTasks int
	task     func(t, worker int) // g.Task, bound once so that Run allocates nothing
}

// NewGemm prepares C = epilogue(A·B) over m rows for up to workers workers.
func NewGemm(c []float32, ldc int, a []float32, lda, m int, b *PackedB, ep Epilogue, workers int) *Gemm {
	g := &Gemm{C: c, Ldc: ldc, A: a, Lda: lda, M: m, B: b, Ep: ep}
	want := 4 * workers
	if workers == 1 {
		want = 1
	}
	g.rowsPer = min(64, max(mr, roundUp((m+want-1)/want, mr)))
	g.rowTasks = (m + g.rowsPer - 1) / g.rowsPer
	panels := b.Panels()
	g.panTasks = 1
	if g.rowTasks < want {
		g.panTasks = min(panels, (want+g.rowTasks-1)/g.rowTasks)
	}
	g.panelsPe = (panels + g.panTasks - 1) / g.panTasks
	g.panTasks = (panels + g.panelsPe - 1) / g.panelsPe
	g.task = g.Task
	return g
}

// Tasks is the number of tasks of the GEMM.
func (g *Gemm) Tasks() int { return g.rowTasks * g.panTasks }

// Task computes task t.
func (g *Gemm) Task(t, _ int) {
	rt, pt := t/g.panTasks, t%g.panTasks
	i0 := rt * g.rowsPer
	m := min(g.rowsPer, g.M-i0)
	p0 := pt * g.panelsPe
	p1 := min(p0+g.panelsPe, g.B.Panels())
	GemmBlock(g.C[i0*g.Ldc:], g.Ldc, g.A[i0*g.Lda:], g.Lda, m, g.B, p0, p1, g.Ep.rows(i0))
}

// Run runs every task with ForEach.
func (g *Gemm) Run() { ForEach(g.Tasks(), g.task) }

func roundUp(x, m int) int { return (x + m - 1) / m * m }
