// Package shaders holds the WGSL sources of every kernel family as
// text/template files, embedded into the binary, and renders them with a
// specialization (sizes, strides, flags baked in as WGSL const).
//
// Every template can use the shared definitions of common.wgsl through
// {{template "common" .}}: the vec4 activation functions hswish4 and gelu4
// (exact erf form via a polynomial erf with error ≤ 1.5e-7), which
// templates call by the name their data carries.
//
// No template declares a binding itself: each emits {{.Decls}}, the
// declarations package kernels renders from the kernel's binding list, so
// that the WGSL and the pipeline layout cannot disagree.
package shaders

import (
	"bytes"
	"embed"
	"fmt"
	"sync"
	"text/template"
)

//go:embed *.wgsl
var files embed.FS

var (
	parseOnce sync.Once
	tmpl      *template.Template
	parseErr  error
)

// funcs are the helpers available inside templates.
var funcs = template.FuncMap{
	"add":  func(a, b int) int { return a + b },
	"sub":  func(a, b int) int { return a - b },
	"mul":  func(a, b int) int { return a * b },
	"div":  func(a, b int) int { return a / b },
	"mod":  func(a, b int) int { return a % b },
	"seq":  seq,
	"f32":  func(v float64) string { return fmt.Sprintf("%.9g", v) },
	"u32":  func(v int) string { return fmt.Sprintf("%du", v) },
	"i32":  func(v int) string { return fmt.Sprintf("%di", v) },
	"bool": func(v bool) string { return fmt.Sprint(v) },
}

// seq returns 0..n-1, for unrolled loops in templates.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// Render executes the template file name (e.g. "gemm.wgsl") with data.
func Render(name string, data any) (string, error) {
	parseOnce.Do(func() {
		tmpl, parseErr = template.New("").Funcs(funcs).Option("missingkey=error").ParseFS(files, "*.wgsl")
	})
	if parseErr != nil {
		return "", fmt.Errorf("shaders: parsing templates: %w", parseErr)
	}
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("shaders: rendering %s: %w", name, err)
	}
	return b.String(), nil
}
