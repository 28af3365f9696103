package model

// Arena is a static memory plan for one input shape: every value is given a
// slot, and values whose lifetimes overlap never share one. Slots are sized
// for the largest value they hold, so an inference allocates nothing.
type Arena struct {
	SlotOf    []int   // slot of each value
	SlotBytes []int64 // size of each slot
}

// PlanArena assigns slots to the values of g given each value's size in
// bytes. A value lives from the op that writes it (the input from the
// start) to the last op that reads it; the graph's final output and the
// pinned values live to the end. An op's output never shares a slot with
// its inputs.
func PlanArena(g *Graph, bytes []int64, pinned ...Value) Arena {
	nv := len(bytes)
	last := make([]int, nv)
	for i := range last {
		last[i] = -1
	}
	for i, op := range g.Ops {
		for _, v := range op.Inputs() {
			last[v] = i
		}
	}
	if len(g.Ops) > 0 {
		last[g.Ops[len(g.Ops)-1].Output()] = len(g.Ops)
	}
	for _, v := range pinned {
		last[v] = len(g.Ops)
	}
	a := Arena{SlotOf: make([]int, nv)}
	for i := range a.SlotOf {
		a.SlotOf[i] = -1
	}
	var free []int
	take := func(v Value) {
		need := bytes[v]
		best := -1
		for i, s := range free {
			fits := a.SlotBytes[s] >= need
			switch {
			case best < 0:
				best = i
			case fits && (a.SlotBytes[free[best]] < need || a.SlotBytes[s] < a.SlotBytes[free[best]]):
				best = i // smallest slot that fits
			case !fits && a.SlotBytes[free[best]] < need && a.SlotBytes[s] > a.SlotBytes[free[best]]:
				best = i // nothing fits yet: the largest, to grow
			}
		}
		if best < 0 {
			a.SlotBytes = append(a.SlotBytes, need)
			a.SlotOf[v] = len(a.SlotBytes) - 1
			return
		}
		s := free[best]
		free = append(free[:best], free[best+1:]...)
		if a.SlotBytes[s] < need {
			a.SlotBytes[s] = need
		}
		a.SlotOf[v] = s
	}
	take(0)
	for i, op := range g.Ops {
		take(op.Output())
		seen := map[Value]bool{}
		for _, v := range op.Inputs() {
			if last[v] == i && !seen[v] {
				seen[v] = true
				free = append(free, a.SlotOf[v])
			}
		}
	}
	return a
}

// TotalBytes is the memory of all slots together.
func (a Arena) TotalBytes() int64 {
	var t int64
	for _, b := range a.SlotBytes {
		t += b
	}
	return t
}
