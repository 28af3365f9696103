// Package shaders holds the WGSL sources of every kernel family as
// templates in text/template syntax, embedded into the binary, and renders
// them with a specialization (sizes, strides, flags baked in as WGSL const).
//
// The templates are rendered by the package's own engine (tmpl_parse.go,
// tmpl_exec.go), which implements text/template's syntax and semantics for
// what templates use (see tmpl_parse.go for the list) and renders byte for
// byte what text/template renders, but reads only fields and map keys of
// the data, never methods: text/template's method calls (MethodByName)
// keep every exported method of the program in the binary, megabytes of
// the browser's wasm.
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
	"embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

//go:embed *.wgsl
var files embed.FS

var (
	parseOnce sync.Once
	tmpl      *tmplSet
	parseErr  error
)

// funcs are the helpers available inside templates, besides the builtins
// (and, or, not, eq, ne, lt, le, gt, ge, len, index, slice, print, printf,
// println).
var funcs = map[string]any{
	"add":  func(a, b int) int { return a + b },
	"sub":  func(a, b int) int { return a - b },
	"mul":  func(a, b int) int { return a * b },
	"div":  func(a, b int) int { return a / b },
	"mod":  func(a, b int) int { return a % b },
	"seq":  seq,
	"f32":  func(v float64) string { return fmt.Sprintf("%.9g", v) },
	"u32":  func(v int) string { return strconv.Itoa(v) + "u" },
	"i32":  func(v int) string { return strconv.Itoa(v) + "i" },
	"bool": strconv.FormatBool,
}

// seq returns 0..n-1, for unrolled loops in templates.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// renderHook, when set (by tests), sees every Render call's arguments.
var renderHook func(name string, data any)

// Render executes the template name (e.g. "gemm.wgsl") with data.
func Render(name string, data any) (string, error) {
	if renderHook != nil {
		renderHook(name, data)
	}
	parseOnce.Do(func() { tmpl, parseErr = parseAll(files) })
	if parseErr != nil {
		return "", fmt.Errorf("shaders: parsing templates: %w", parseErr)
	}
	out, err := tmpl.execute(name, data)
	if err != nil {
		return "", fmt.Errorf("shaders: rendering %s: %w", name, err)
	}
	return out, nil
}

// parseAll parses every *.wgsl file of fsys into one set. (embed.FS, not
// fs.FS: calls through the fs interfaces keep the methods of every fs
// implementation in the binary.)
func parseAll(fsys embed.FS) (*tmplSet, error) {
	set, err := newSet(funcs)
	if err != nil {
		return nil, err
	}
	entries, err := fsys.ReadDir(".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".wgsl") {
			continue
		}
		b, err := fsys.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if err := set.parse(name, string(b)); err != nil {
			return nil, err
		}
	}
	return set, nil
}
