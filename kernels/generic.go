//go:build js || cgo

package kernels

import (
	"fmt"
	"strings"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/gpu"
)

// Generic kernels. A family's kernel with Generic set is its generic
// flavour: the same template, but the sizes (the family's dims: M, N, K,
// H, W, C, strides, dispatch geometry, the activation) are read at run
// time from a uniform buffer, the Params binding, instead of being WGSL
// constants, and its tile is a fixed small one. So one pipeline serves
// every layer of its family with the same structural choices (the
// residual input, a depthwise kernel's size), and a whole plan compiles a
// handful of pipelines instead of dozens: what a progressive plan starts
// on while the specialized pipelines compile (model.GPU).
//
// A generic kernel value still carries its sizes (for Workgroups and
// Params); the pipeline cache keys it by PipelineKey, which zeroes them.
// Generic kernels sum long dot products in blocks as the specialized GEMMs
// do (kBlockVec4), so their results agree with the specialized ones within
// f32 rounding.

// dim is one size a kernel's WGSL reads by name: a constant in a
// specialization, word i of the Params binding in a generic kernel.
type dim struct {
	name string
	v    int
	i32  bool // an i32 in WGSL (else u32)
}

// u32Dim and i32Dim make dims.
func u32Dim(name string, v int) dim { return dim{name: name, v: v} }
func i32Dim(name string, v int) dim { return dim{name: name, v: v, i32: true} }

// maxParams is the number of u32 words of the Params binding.
const maxParams = 32

// paramsBinding is the uniform that holds a generic kernel's dims: word i
// is Params[i/4][i%4].
var paramsBinding = Binding{"Params", gpu.Uniform, fmt.Sprintf("array<vec4<u32>, %d>", maxParams/4)}

// genericAct is the dim of a generic kernel's activation, read by the
// act_dyn function its dims declare.
const genericAct = "ACT"

// renderDims renders ds: WGSL constants, or for a generic kernel private
// variables, the act_dyn function (when ds has the ACT dim) and the statements that load them from
// Params (load, placed at the top of main by the templates).
func renderDims(generic bool, ds []dim) (decl, load string) {
	var d, l strings.Builder
	hasAct := false
	for i, x := range ds {
		hasAct = hasAct || x.name == genericAct
		t := "u32"
		if x.i32 {
			t = "i32"
		}
		if !generic {
			fmt.Fprintf(&d, "\nconst %s = %d%s;", x.name, x.v, t[:1])
			continue
		}
		fmt.Fprintf(&d, "\nvar<private> %s: %s;", x.name, t)
		w := fmt.Sprintf("Params[%d].%c", i/4, "xyzw"[i%4])
		if x.i32 {
			w = "i32(" + w + ")"
		}
		fmt.Fprintf(&l, "\n  %s = %s;", x.name, w)
	}
	if generic && hasAct {
		d.WriteString("\nfn act_dyn(x: vec4<f32>) -> vec4<f32> {\n  switch " + genericAct + " {")
		for a := act.None + 1; a.Valid(); a++ {
			fmt.Fprintf(&d, "\n    case %du: { return %s(x); }", a, wgslAct(a))
		}
		d.WriteString("\n    default: { return x; }\n  }\n}")
	}
	return d.String(), l.String()
}

// actDims is the activation dim of a generic kernel with epilogue e (none
// for a specialization, whose activation is its ActFn).
func actDims(generic bool, e Epilogue) []dim {
	if !generic {
		return nil
	}
	return []dim{u32Dim(genericAct, int(e.Act))}
}

// genericActFn is the WGSL activation a kernel's epilogue calls: act_dyn
// in a generic kernel (the activation is a dim), else wgslAct.
func genericActFn(generic bool, a act.Func) string {
	if generic {
		return "act_dyn"
	}
	return wgslAct(a)
}

// params packs ds into the words of a Params buffer (maxParams words, the
// binding's size).
func params(ds []dim) []uint32 {
	w := make([]uint32, max(len(ds), maxParams))
	for i, d := range ds {
		w[i] = uint32(int32(d.v))
	}
	return w
}

// validateDims checks that a generic kernel's dims fit the Params binding.
func validateDims(ds []dim) error {
	if len(ds) > maxParams {
		return fmt.Errorf("%d sizes, over the %d of a generic kernel's Params", len(ds), maxParams)
	}
	return nil
}

// generic is implemented by the kernel families with a generic flavour.
type generic interface {
	Kernel
	// dims lists the sizes the WGSL reads, in Params order.
	dims() []dim
	// isGeneric reports whether the kernel is the generic flavour.
	isGeneric() bool
	// pipelineKey is the kernel with what its generic flavour reads at
	// run time zeroed: equal for every kernel one pipeline serves.
	pipelineKey() Kernel
}

// IsGeneric reports whether k is a generic kernel: its last binding is
// Params, a uniform buffer holding Params(k).
func IsGeneric(k Kernel) bool {
	g, ok := k.(generic)
	return ok && g.isGeneric()
}

// Params is the content of a generic kernel's Params binding (nil for a
// specialization): its sizes as u32 words.
func Params(k Kernel) []uint32 {
	if !IsGeneric(k) {
		return nil
	}
	return params(k.(generic).dims())
}

// PipelineKey is the key of k's pipeline: k itself for a specialization,
// k without its run-time sizes for a generic kernel.
func PipelineKey(k Kernel) Kernel {
	if IsGeneric(k) {
		return k.(generic).pipelineKey()
	}
	return k
}

// genericLabel is the label of a generic kernel of a family: its
// structural choices, e.g. "conv_generic_r4x8_wg64_buf_res".
func genericLabel(family, structure string, residual bool) string {
	s := family + "_generic"
	if structure != "" {
		s += "_" + structure
	}
	if residual {
		s += "_res"
	}
	return s
}

// withParams appends the Params binding to bs when generic.
func withParams(bs []Binding, generic bool) []Binding {
	if generic {
		return append(bs, paramsBinding)
	}
	return bs
}

// genericTile is the register tile of the generic GEMM kernels (Conv,
// ConvTranspose, Linear): small, so that they compile fast, with 64
// invocations per workgroup.
var genericTile = Tile{TM: 4, TN: 8, WG: 64}
