//go:build js || cgo

package shaders_test

import (
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/shaders"
)

// BenchmarkRender compares the engine with text/template on one large
// GEMM specialization.
func BenchmarkRender(b *testing.B) {
	var name string
	var data any
	restore := shaders.SetRenderHook(func(n string, d any) { name, data = n, d })
	kernels.Target{}.Pointwise(3136, 256, 256, kernels.Epilogue{Residual: true}).Source()
	restore()
	b.Run("engine", func(b *testing.B) {
		for b.Loop() {
			shaders.Render(name, data)
		}
	})
	tt := textTemplates(b)
	b.Run("text/template", func(b *testing.B) {
		for b.Loop() {
			var s strings.Builder
			tt.ExecuteTemplate(&s, name, data)
		}
	})
}
