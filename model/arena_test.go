package model

import "testing"

// chain builds a graph of ops given as (inputs..., output) value lists.
func chain(ops ...[]Value) *Graph {
	g := &Graph{}
	for _, o := range ops {
		in := o[:len(o)-1]
		res := NoValue
		if len(in) > 1 {
			res = in[1]
		}
		g.Ops = append(g.Ops, &Conv{In: in[0], Residual: res, Out: o[len(o)-1]})
	}
	return g
}

func TestPlanArenaNoOverlap(t *testing.T) {
	tests := []struct {
		name      string
		g         *Graph
		bytes     []int64
		wantSlots int
	}{
		{"chain reuses two slots", chain([]Value{0, 1}, []Value{1, 2}, []Value{2, 3}, []Value{3, 4}), []int64{10, 20, 30, 40, 50}, 2},
		{"residual keeps the block input alive", chain([]Value{0, 1}, []Value{1, 2}, []Value{2, 1, 3}, []Value{3, 4}), []int64{8, 8, 8, 8, 8}, 3},
		{"long skip", chain([]Value{0, 1}, []Value{1, 2}, []Value{2, 3}, []Value{3, 0, 4}), []int64{4, 4, 4, 4, 4}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := PlanArena(tt.g, tt.bytes)
			if len(a.SlotBytes) != tt.wantSlots {
				t.Errorf("%d slots, want %d (%v)", len(a.SlotBytes), tt.wantSlots, a.SlotOf)
			}
			checkArena(t, tt.g, tt.bytes, a)
		})
	}
}

// checkArena verifies that every value fits its slot and that no two live
// values share a slot.
func checkArena(t *testing.T, g *Graph, bytes []int64, a Arena) {
	t.Helper()
	born := map[Value]int{0: -1}
	last := map[Value]int{}
	for i, op := range g.Ops {
		born[op.Output()] = i
		for _, v := range op.Inputs() {
			last[v] = i
		}
	}
	last[g.Ops[len(g.Ops)-1].Output()] = len(g.Ops)
	for v, b := range bytes {
		if a.SlotBytes[a.SlotOf[v]] < b {
			t.Errorf("value %d (%d bytes) in slot %d of %d bytes", v, b, a.SlotOf[v], a.SlotBytes[a.SlotOf[v]])
		}
	}
	for u := range bytes {
		for v := range bytes {
			U, V := Value(u), Value(v)
			if u >= v || a.SlotOf[u] != a.SlotOf[v] {
				continue
			}
			// lifetimes [born, last] overlap, where an op's output and its inputs overlap at that op
			if born[U] <= last[V] && born[V] <= last[U] {
				t.Errorf("values %d [%d,%d] and %d [%d,%d] share slot %d", u, born[U], last[U], v, born[V], last[V], a.SlotOf[u])
			}
		}
	}
}
