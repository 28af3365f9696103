//go:build js || cgo

package shaders_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/preprocess"
	"github.com/lowformer/lowformer-webgpu/shaders"
)

// textTemplates parses the embedded templates with text/template, the way
// shaders rendered them before it had its own engine.
func textTemplates(t testing.TB) *template.Template {
	t.Helper()
	tt, err := template.New("").Funcs(template.FuncMap(shaders.Funcs)).Option("missingkey=error").ParseFS(shaders.Files, "*.wgsl")
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

// specializations returns many real kernels: every family's Choose method
// over a grid of shapes and epilogues, for every kernel set and the generic
// flavours, and the
// texture and storage-buffer twins of the families that have both.
func specializations() []kernels.Kernel {
	var ks []kernels.Kernel
	add := func(k kernels.Kernel) {
		ks = append(ks, k)
		// The twin with the other weight binding (Tex), where the type has one.
		v := reflect.ValueOf(k)
		if f := v.FieldByName("Tex"); f.IsValid() && f.Kind() == reflect.Bool {
			c := reflect.New(v.Type()).Elem()
			c.Set(v)
			c.FieldByName("Tex").SetBool(!f.Bool())
			ks = append(ks, c.Interface().(kernels.Kernel))
		}
	}
	// The last target asks for the generic flavours (sizes read at run time).
	targets := []kernels.Target{{}, {Set: kernels.SetGPU}, {Set: kernels.SetGPU, F16: true, Subgroups: true}, {Generic: true}}
	var eps []kernels.Epilogue
	for _, a := range []act.Func{act.None, act.HSwish, act.GELU} {
		eps = append(eps, kernels.Epilogue{Act: a}, kernels.Epilogue{Act: a, Residual: true})
	}
	sides := []int{1, 3, 14, 56}
	chans := []int{4, 12, 64, 256}
	for _, tg := range targets {
		for _, e := range eps {
			noRes := kernels.Epilogue{Act: e.Act}
			for _, m := range []int{1, 5, 196, 3136} {
				for _, k := range []int{4, 64, 256} {
					for _, n := range []int{4, 8, 24, 256, 1000} {
						add(tg.Pointwise(m, k, n, e))
						if !e.Residual {
							add(tg.Linear(min(m, 8), k, n, noRes))
						}
					}
				}
			}
			for _, s := range sides {
				for _, c := range chans {
					add(tg.Depthwise(2, s, s+1, c, 3, 1, e))
					add(tg.Depthwise(1, s, s, c, 5, 2, e))
					add(tg.Conv(1, s, s, c, 32, 3, 2, e))
					add(tg.Conv(2, s, s+2, 3, c, 3, 1, e))
					if tg.UseWinograd(1, s, s, 64, c, 3, 1) {
						for _, k := range tg.Winograd(1, s, s, 64, c, e).Kernels() {
							add(k)
						}
					}
					add(tg.ConvTranspose(1, s, s, c, 16, 2*s, 2*s-1, e))
					if !e.Residual {
						add(tg.LayerNorm(s*s, c, noRes))
					}
				}
			}
		}
		for _, s := range sides {
			for _, c := range chans {
				st, ap := tg.GroupNorm(2, s, s, c)
				add(st)
				add(ap)
				add(tg.MeanPool(3, s, s, c))
			}
		}
		for _, l := range []int{1, 7, 49, 196} {
			for _, hd := range []int{4, 8, 16, 32} {
				add(tg.Attention(2, l, 4, hd))
				add(tg.Attention(1, l, 1, hd))
			}
		}
	}
	// Winograd on the shapes it accepts, with both tile sizes' thresholds.
	for _, s := range []int{4, 8, 14, 28, 56, 112} {
		for _, c := range []int{64, 96, 128, 256} {
			for _, e := range eps {
				for _, k := range kernels.ChooseWinograd(1, s, s, c, c, e).Kernels() {
					add(k)
				}
			}
		}
	}
	// The GPU preprocessing's two resize passes, from a texture and a buffer,
	// upscaling and downscaling, unrolled or not, one image and a batch.
	for _, r := range []preprocess.Resample{
		preprocess.NewResample(640, 480, 224), preprocess.NewResample(28, 28, 224), preprocess.NewResample(451, 33, 64),
		preprocess.NewResample(600, 400, 16), // windows too wide to unroll
	} {
		for _, texture := range []bool{true, false} {
			for _, img := range []int{1, 3} {
				h, v := kernels.ChooseResize(r, texture, img)
				add(h)
				add(v)
			}
		}
	}
	return ks
}

// TestEngineMatchesTextTemplate renders every template with the data of
// every specialization above through Render and through text/template and
// requires byte-identical output (or both failing), and every template to
// be rendered at least once.
func TestEngineMatchesTextTemplate(t *testing.T) {
	tt := textTemplates(t)
	type call struct {
		name string
		data any
	}
	var calls []call
	seen := map[string]bool{}
	restore := shaders.SetRenderHook(func(name string, data any) {
		key := name + fmt.Sprintf("%#v", data)
		if !seen[key] {
			seen[key] = true
			calls = append(calls, call{name, data})
		}
	})
	ks := specializations()
	for _, k := range ks {
		k.Source() // the hook records the data; errors are compared below
	}
	restore()
	perName := map[string]int{}
	failed := 0
	for _, c := range calls {
		perName[c.name]++
		got, err := shaders.Render(c.name, c.data)
		var b strings.Builder
		werr := tt.ExecuteTemplate(&b, c.name, c.data)
		if (err != nil) != (werr != nil) {
			t.Fatalf("%s with %#v: Render error %v, text/template error %v", c.name, c.data, err, werr)
		}
		if err != nil {
			failed++
		}
		if err == nil && got != b.String() {
			t.Fatalf("%s with %#v: Render differs from text/template at byte %d:\n%s\n--- text/template:\n%s",
				c.name, c.data, firstDiff(got, b.String()), got, b.String())
		}
	}
	// Every top-level template (a .wgsl name with a body) was rendered.
	for _, tmpl := range tt.Templates() {
		name := tmpl.Name()
		if strings.HasSuffix(name, ".wgsl") && tmpl.Tree != nil && !parse.IsEmptyTree(tmpl.Tree.Root) && perName[name] == 0 {
			t.Errorf("template %s: no specialization rendered it", name)
		}
	}
	t.Logf("%d kernels, %d distinct renders (%d failing in both engines): %v", len(ks), len(calls), failed, perName)
}

func firstDiff(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
