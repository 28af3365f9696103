package cpukernels

// split divides an output of m rows and some column panels into tasks:
// blocks of at most 64 rows (a multiple of mr) times groups of panels,
// aiming at about four tasks per worker so that uneven tasks balance.
type split struct {
	m, panels         int
	rowsPer, rowTasks int
	panelsPer, panTks int
}

// newSplit splits m rows and panels column panels for workers workers.
func newSplit(m, panels, workers int) split {
	s := split{m: m, panels: panels}
	want := 4 * workers
	if workers == 1 {
		want = 1
	}
	s.rowsPer = min(64, max(mr, roundUp((m+want-1)/want, mr)))
	s.rowTasks = (m + s.rowsPer - 1) / s.rowsPer
	s.panTks = 1
	if s.rowTasks < want {
		s.panTks = min(panels, (want+s.rowTasks-1)/s.rowTasks)
	}
	s.panelsPer = (panels + s.panTks - 1) / s.panTks
	s.panTks = (panels + s.panelsPer - 1) / s.panelsPer
	return s
}

// tasks is the number of tasks.
func (s split) tasks() int { return s.rowTasks * s.panTks }

// at returns task t's first row, row count and panel range [p0, p1).
func (s split) at(t int) (i0, rows, p0, p1 int) {
	rt, pt := t/s.panTks, t%s.panTks
	i0 = rt * s.rowsPer
	p0 = pt * s.panelsPer
	return i0, min(s.rowsPer, s.m-i0), p0, min(p0+s.panelsPer, s.panels)
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }
