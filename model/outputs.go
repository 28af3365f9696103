package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// A run may read back values other than the logits: the embedding (the
// vector the classifier's last linear layer reads) or the outputs of
// backbone stages. Such a run computes only the ops those values depend
// on, so it never costs more than the logits: the head's unused layers
// (and, for early stages, the later stages) are skipped. The GPU and CPU
// models cache one plan per input shape and output set (planKey).

// Stages is the number of backbone stages whose outputs Graph.Stage
// names: 0 (the input stem, stride 2) to Stages-1 (the last stage,
// stride 32).
const Stages = 5

// Stage returns the value holding the output of backbone stage s
// (0: the input stem at stride 2, 1..4: the stages at strides 4, 8, 16
// and 32).
func (g *Graph) Stage(s int) (Value, error) {
	if s < 0 || s >= Stages {
		return NoValue, fmt.Errorf("model: stage %d does not exist (the backbone has stages 0..%d)", s, Stages-1)
	}
	v, ok := g.Taps[fmt.Sprintf("stage%d", s)]
	if !ok {
		return NoValue, fmt.Errorf("model: the graph names no output of stage %d", s)
	}
	return v, nil
}

// Embedding returns the value holding the embedding: the per-image vector
// the classifier's last linear layer reads (the head's hidden layer after
// its LayerNorm and activation, "head.fc1", [N,1,1,D]).
func (g *Graph) Embedding() (Value, error) {
	v, ok := g.Taps["head.fc1"]
	if !ok {
		return NoValue, fmt.Errorf("model: the graph names no embedding (head.fc1)")
	}
	return v, nil
}

// Logits returns the value holding the logits (the last op's output).
func (g *Graph) Logits() Value { return g.Ops[len(g.Ops)-1].Output() }

// needed marks the ops whose outputs outs depend on. It fails when an out
// is neither the input (Value 0) nor written by an op.
func (g *Graph) needed(outs []Value) ([]bool, error) {
	if len(outs) == 0 {
		return nil, fmt.Errorf("model: a run needs at least one output")
	}
	writer := map[Value]int{}
	for i, op := range g.Ops {
		writer[op.Output()] = i
	}
	need := make([]bool, len(g.Ops))
	var mark func(v Value)
	mark = func(v Value) {
		i, ok := writer[v]
		if !ok || need[i] {
			return
		}
		need[i] = true
		for _, in := range g.Ops[i].Inputs() {
			mark(in)
		}
		if ct, ok := g.Ops[i].(*ConvTranspose); ok {
			mark(ct.CropTo) // read for its shape only, written before anyway
		}
	}
	for _, v := range outs {
		if _, ok := writer[v]; !ok && v != 0 {
			return nil, fmt.Errorf("model: value %d is not the output of an op", v)
		}
		mark(v)
	}
	return need, nil
}

// pruned is the graph of the ops that outs depend on, in order, with the
// same op pointers (so weights packed or uploaded for one are shared), for
// PlanArena. Its last op is not the logits in general: it is not a Graph
// for Shapes.
func (g *Graph) pruned(need []bool) *Graph {
	sub := &Graph{Classes: g.Classes, Taps: g.Taps}
	for i, op := range g.Ops {
		if need[i] {
			sub.Ops = append(sub.Ops, op)
		}
	}
	return sub
}

// outsKey is the part of a planKey that names an output set: "" for the
// logits alone, else the values joined by commas.
func (g *Graph) outsKey(outs []Value) string {
	if len(outs) == 1 && outs[0] == g.Logits() {
		return ""
	}
	parts := make([]string, len(outs))
	for i, v := range outs {
		parts[i] = strconv.Itoa(int(v))
	}
	return strings.Join(parts, ",")
}

// NCHW converts one value's NHWC activation of shape s to NCHW.
func NCHW(x []float32, s Shape) []float32 {
	return (&ref.Tensor{N: s.N, H: s.H, W: s.W, C: s.C, Data: x}).NCHW()
}
