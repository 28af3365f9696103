package cpukernels

// runner runs a kernel's tasks with ForEach. Kernels embed it, bound once
// at construction so that Run allocates nothing.
type runner struct {
	tasks int
	task  func(t, worker int)
}

// Tasks is the number of independent tasks of the kernel.
func (r *runner) Tasks() int { return r.tasks }

// Run runs every task with ForEach.
func (r *runner) Run() { ForEach(r.tasks, r.task) }
