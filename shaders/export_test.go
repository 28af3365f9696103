package shaders

import "io/fs"

// Files and Funcs are the embedded templates and the template functions,
// for the external tests that render them with text/template too.
var (
	Files fs.FS = files
	Funcs       = funcs
)

// SetRenderHook makes f see every Render call until the returned function
// restores the previous hook.
func SetRenderHook(f func(name string, data any)) (restore func()) {
	old := renderHook
	renderHook = f
	return func() { renderHook = old }
}
