package lowformer

import (
	"encoding/json"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// TestExportedAPINamesNoInternalTypes checks that every exported identifier
// of every importable package of the module can be used from outside it: no
// exported function, method, field, variable, constant or type names a type
// of an internal/ package (which a program outside the module could see but
// never construct or name).
func TestExportedAPINamesNoInternalTypes(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: builds the export data of the whole module")
	}
	pkgs := listPackages(t)
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		p, ok := pkgs[path]
		if !ok || p.Export == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(p.Export)
	})
	checked := 0
	var bad []string
	for path, p := range pkgs {
		if !p.inModule || p.Name == "main" || isInternal(path) {
			continue
		}
		tp, err := imp.Import(path)
		if err != nil {
			t.Fatalf("importing %s: %v", path, err)
		}
		checked++
		bad = append(bad, internalMentions(tp)...)
	}
	if checked < 5 {
		t.Fatalf("checked only %d packages; the package listing is broken", checked)
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}

type listedPackage struct {
	ImportPath, Name, Export string
	Module                   *struct{ Main bool }
	inModule                 bool
}

// listPackages runs go list over the module and its dependencies, with the
// export data of each package built.
func listPackages(t *testing.T) map[string]*listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-export", "-deps", "-json", "./...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]*listedPackage{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		p := &listedPackage{}
		if err := dec.Decode(p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		p.inModule = p.Module != nil && p.Module.Main
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

func isInternal(path string) bool {
	return strings.Contains(path+"/", "/internal/")
}

// internalMentions lists "pkg.Name: mentions internal/x.T" for every
// exported object of tp whose declaration names an internal type.
func internalMentions(tp *types.Package) []string {
	var bad []string
	report := func(what string, t types.Type) {
		for _, n := range internalNames(t, map[types.Type]bool{}) {
			bad = append(bad, fmt.Sprintf("%s.%s names %s", tp.Path(), what, n))
		}
	}
	scope := tp.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		tn, ok := obj.(*types.TypeName)
		if !ok {
			report(name, obj.Type())
			continue
		}
		if tn.IsAlias() {
			report(name, types.Unalias(tn.Type()))
			continue
		}
		named := tn.Type().(*types.Named)
		switch u := named.Underlying().(type) {
		case *types.Struct:
			for i := 0; i < u.NumFields(); i++ {
				if f := u.Field(i); f.Exported() {
					report(name+"."+f.Name(), f.Type())
				}
			}
		case *types.Interface:
			for i := 0; i < u.NumMethods(); i++ {
				if m := u.Method(i); m.Exported() {
					report(name+"."+m.Name(), m.Type())
				}
			}
		default:
			report(name, u)
		}
		for i := 0; i < named.NumMethods(); i++ {
			if m := named.Method(i); m.Exported() {
				report(name+"."+m.Name(), m.Type())
			}
		}
	}
	return bad
}

// internalNames lists the internal named types that t mentions, looking
// through composite types but not into other named types' definitions.
func internalNames(t types.Type, seen map[types.Type]bool) []string {
	if t == nil || seen[t] {
		return nil
	}
	seen[t] = true
	switch t := t.(type) {
	case *types.Alias:
		return internalNames(types.Unalias(t), seen)
	case *types.Named:
		var out []string
		if o := t.Obj(); o.Pkg() != nil && isInternal(o.Pkg().Path()) {
			out = append(out, o.Pkg().Path()+"."+o.Name())
		}
		if args := t.TypeArgs(); args != nil {
			for i := 0; i < args.Len(); i++ {
				out = append(out, internalNames(args.At(i), seen)...)
			}
		}
		return out
	case *types.Pointer:
		return internalNames(t.Elem(), seen)
	case *types.Slice:
		return internalNames(t.Elem(), seen)
	case *types.Array:
		return internalNames(t.Elem(), seen)
	case *types.Map:
		return append(internalNames(t.Key(), seen), internalNames(t.Elem(), seen)...)
	case *types.Chan:
		return internalNames(t.Elem(), seen)
	case *types.Signature:
		out := internalNames(t.Params(), seen)
		return append(out, internalNames(t.Results(), seen)...)
	case *types.Tuple:
		var out []string
		for i := 0; i < t.Len(); i++ {
			out = append(out, internalNames(t.At(i).Type(), seen)...)
		}
		return out
	case *types.Struct:
		var out []string
		for i := 0; i < t.NumFields(); i++ {
			if f := t.Field(i); f.Exported() || f.Embedded() {
				out = append(out, internalNames(f.Type(), seen)...)
			}
		}
		return out
	case *types.Interface:
		var out []string
		for i := 0; i < t.NumMethods(); i++ {
			out = append(out, internalNames(t.Method(i).Type(), seen)...)
		}
		for i := 0; i < t.NumEmbeddeds(); i++ {
			out = append(out, internalNames(t.EmbeddedType(i), seen)...)
		}
		return out
	}
	return nil
}

// layers ranks the module's packages (paths relative to the module): a
// package may import only packages of a lower rank, so the import graph
// keeps its one-way layering web → wasm → root API → model → kernels →
// shaders/gpu. A new package must be given its place here.
var layers = map[string]int{
	"internal/jsonlite": -1, "internal/zipread": -1, "internal/jspromise": -1, "act": 0, "shaders": 0, "gpu": 0, "labels": 0, "tuning": 0, "preprocess/internal/jpeg": 0,
	"model/checkpoint": 0, "pretrained": 0, "internal/refdata": 0, "internal/ziptest": 0, "internal/testsummary": 0, "internal/cputime": 0, "internal/prereq": 0,
	"internal/ref": 1, "internal/synth": 1, "internal/gputest": 1, "preprocess": 1,
	"kernels": 2, "internal/cpukernels": 2,
	"model": 3,
	"":      4, // the root package: the public Go API
	"wasm":  5, "wasm/decoders": 5, "cmd/lowformer": 5, "examples/classify": 5, "web": 5, "web/devserver": 5, "web/test/mksafetensors": 5, "web/wasmpack": 5,
}

// TestImportLayering checks every import between the module's packages
// against layers.
func TestImportLayering(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/lowformer/lowformer-webgpu"
	rel := func(path string) (string, bool) {
		if path == module {
			return "", true
		}
		r, ok := strings.CutPrefix(path, module+"/")
		return r, ok
	}
	edges := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		from, _ := rel(fields[0])
		rank, ok := layers[from]
		if !ok {
			t.Errorf("package %q has no place in the layers table", from)
			continue
		}
		for _, imp := range fields[1:] {
			to, inModule := rel(imp)
			if !inModule {
				continue
			}
			edges++
			if r, ok := layers[to]; !ok || r >= rank {
				t.Errorf("%q (layer %d) imports %q (layer %d): imports must go to a lower layer", from, rank, to, r)
			}
		}
	}
	if edges < 10 {
		t.Fatalf("found only %d imports inside the module; the listing is broken", edges)
	}
}
