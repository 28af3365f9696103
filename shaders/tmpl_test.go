package shaders

import (
	"fmt"
	"strings"
	"testing"
	"text/template"
)

// stringer prints through its String method.
type stringer struct{ N int }

func (s stringer) String() string { return fmt.Sprintf("S%d", s.N) }

type inner struct {
	B int
	M map[string]int
}

type outer struct {
	A   int
	U   uint
	F   float64
	S   []int
	T   string
	In  inner
	P   *inner
	Nil *inner
	I   any
	St  stringer
	Ok  bool
	Map map[string]string
	Emb
}

// Emb is embedded in outer, its fields promoted.
type Emb struct{ E int }

func testData() outer {
	return outer{A: 2, U: 3, F: 1.5, S: []int{10, 20, 30}, T: "xyzw",
		In: inner{B: 7, M: map[string]int{"k": 1}}, P: &inner{B: 8}, I: inner{B: 9},
		St: stringer{4}, Ok: true, Map: map[string]string{"b": "2", "a": "1", "c": "3"}, Emb: Emb{E: 5}}
}

// TestEngineCases renders templates using each feature with the engine and
// with text/template and requires the same output, and checks it against
// the expected text.
func TestEngineCases(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"text", "plain text\n", "plain text\n"},
		{"comment", "a{{/* c */}}b", "ab"},
		{"trim", "a  \n {{- /* c */ -}} \n\t b", "ab"},
		{"trim action", "x = \n  {{- .A -}}  \n;", "x =2;"},
		{"no trim", "{{.A}} {{.U}}\n", "2 3\n"},
		{"define template", `{{define "t"}}[{{.}}]{{end}}{{template "t" 5}}{{template "t" .A}}`, "[5][2]"},
		{"template no data", `{{define "t"}}<{{.}}>{{end}}{{template "t"}}`, "<<no value>>"},
		{"template dollar", `{{define "t"}}{{$.B}}{{end}}{{template "t" .In}}`, "7"},
		{"block", `{{block "b" .A}}b{{.}}{{end}}`, "b2"},
		{"if", `{{if .Ok}}y{{end}}{{if .Nil}}n{{end}}{{if .S}}s{{end}}{{if 0}}z{{end}}`, "ys"},
		{"else if", `{{range seq 4}}{{if eq . 1}}one{{else if eq . 2}}two{{else if gt . 2}}many{{else}}zero{{end}},{{end}}`, "zero,one,two,many,"},
		{"with", `{{with .In}}{{.B}}{{end}}{{with .Nil}}x{{else}}none{{end}}{{with 0}}{{else with .T}}{{.}}{{end}}`, "7nonexyzw"},
		{"with var", `{{with $x := .In.B}}{{$x}}{{.}}{{end}}`, "77"},
		{"range elem", `{{range $v := .S}}{{$v}};{{end}}`, "10;20;30;"},
		{"range index", `{{range $i, $v := .S}}{{$i}}={{$v}} {{.}};{{end}}`, "0=10 10;1=20 20;2=30 30;"},
		{"range int", `{{range $i := 3}}{{$i}}{{end}}|{{range 2}}{{.}}{{end}}`, "012|01"},
		{"range seq", `{{range $i := seq .A}}{{range $j := seq (add $.A 1)}}{{$i}}{{$j}} {{end}}{{end}}`, "00 01 02 10 11 12 "},
		{"range else", `{{range slice .S 0 0}}x{{else}}empty{{end}}{{range seq 0}}x{{else}}none{{end}}`, "emptynone"},
		{"range map", `{{range $k, $v := .Map}}{{$k}}{{$v}}{{end}}`, "a1b2c3"},
		{"break continue", `{{range .S}}{{if eq . 20}}{{continue}}{{end}}{{if eq . 30}}{{break}}{{end}}{{.}}{{end}}`, "10"},
		{"variables", `{{$x := 1}}{{range seq 3}}{{$x = add $x .}}{{end}}{{$x}}`, "4"},
		{"variable scope", `{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}`, "21"},
		{"dollar", `{{range .S}}{{$.A}}{{end}}`, "222"},
		{"fields", `{{.In.B}} {{.P.B}} {{.In.M.k}} {{.I.B}} {{.E}} {{.Emb.E}}`, "7 8 1 9 5 5"},
		{"var fields", `{{$p := .P}}{{$p.B}} {{(index .S 1)}} {{(.In).B}}`, "8 20 7"},
		{"paren field", `{{(.P).B}}`, "8"},
		{"pipeline", `{{.A | add 1 | printf "%03d"}}`, "003"},
		{"parens", `{{add (mul 2 3) 1}} {{div (sub 10 1) 2}} {{mod 7 3}}`, "7 4 1"},
		{"and or", `{{and 1 2}} {{and 0 2}} {{or 0 ""}} {{or 0 "x"}} {{and .Ok .A}} {{0 | or 3}}`, "2 0  x 2 3"},
		{"and short circuit", `{{and 0 (index .S 5)}}{{or 1 (index .S 5)}}`, "01"},
		{"not", `{{not .Ok}} {{not 0}} {{not .S}}`, "false true false"},
		{"eq", `{{eq .A 2}} {{eq .A 1 3 2}} {{eq .U 3}} {{eq .T "xyzw"}} {{eq .F 1.5}} {{eq .Ok true}}`, "true true true true true true"},
		{"ne lt", `{{ne .A 2}} {{lt .A 3}} {{le .A 2}} {{gt .A 2}} {{ge .A 2}} {{lt .U 4}} {{lt -1 .U}} {{lt "a" "b"}}`, "false true true false true true true true"},
		{"len index slice", `{{len .S}} {{len .T}} {{len .Map}} {{index .S 2}} {{index .Map "a"}} {{index .Map "zz"}} {{slice .T 1 3}} {{slice .S 1}} {{index .In.M "k"}}`, "3 4 3 30 1  yz [20 30] 1"},
		{"slice xyzw", `{{range $s := seq 4}}{{slice "xyzw" $s (add $s 1)}}{{end}}`, "xyzw"},
		{"print", `{{print 1 "a" 2}} {{printf "%d-%s" .A .T}} {{println "x"}}`, "1a2 2-xyzw x\n"},
		{"funcs", `{{f32 .F}} {{f32 0.1}} {{u32 .A}} {{i32 -3}} {{bool .Ok}} {{f32 2}}`, "1.5 0.1 2u -3i true 2"},
		{"constants", `{{0x10}} {{1e3}} {{'a'}} {{-3}} {{1.0}} {{1_000}} {{"q\"s"}} {{` + "`raw`" + `}} {{true}}`, `16 1000 97 -3 1 1000 q"s raw true`},
		{"printing", `{{.St}} {{.Nil}} {{.In}} {{.S}} {{.P}}`, "S4 <nil> {7 map[k:1]} [10 20 30] {8 map[]}"},
		{"decl print nothing", `{{$x := 5}}{{$y := .A}}.`, "."},
		{"nested define use", `{{define "a"}}A{{template "b" .}}{{end}}{{define "b"}}B{{.}}{{end}}{{template "a" 1}}`, "AB1"},
		{"multiline action", "{{add\n 1\n 2}}", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := testData()
			got, err := renderSource("t.wgsl", tt.src, data)
			if err != nil {
				t.Fatalf("engine: %v", err)
			}
			ref, err := template.New("t.wgsl").Funcs(template.FuncMap(funcs)).Option("missingkey=error").Parse(tt.src)
			if err != nil {
				t.Fatalf("text/template parse: %v", err)
			}
			var b strings.Builder
			if err := ref.Execute(&b, data); err != nil {
				t.Fatalf("text/template: %v", err)
			}
			if got != b.String() {
				t.Errorf("engine renders %q, text/template %q", got, b.String())
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// renderSource parses one source as file name and renders its template.
func renderSource(name, src string, data any) (string, error) {
	set, err := newSet(funcs)
	if err != nil {
		return "", err
	}
	if err := set.parse(name, src); err != nil {
		return "", err
	}
	return set.execute(name, data)
}

// TestEngineErrors checks that bad templates and bad data fail with an
// error naming the file, the line and what is wrong.
func TestEngineErrors(t *testing.T) {
	tests := []struct {
		name, src string
		data      any
		want      []string
	}{
		{"unknown field", "a\nb\n{{.Nope}}", testData(), []string{`t.wgsl:3`, `executing "t.wgsl"`, "can't evaluate field Nope in type shaders.outer"}},
		{"unknown nested field", "{{.In.Nope}}", testData(), []string{"t.wgsl:1", "can't evaluate field Nope in type shaders.inner"}},
		{"field in define", "{{define \"d\"}}\n\n{{.X}}{{end}}{{template \"d\" .}}", testData(), []string{"t.wgsl:3", `executing "d"`, "field X"}},
		{"missing map key", "{{.In.M.nokey}}", testData(), []string{"t.wgsl:1", `map has no entry for key "nokey"`}},
		{"nil pointer", "{{.Nil.B}}", testData(), []string{"nil pointer evaluating *shaders.inner.B"}},
		{"nil data", "{{.A}}", nil, []string{`nil data; no entry for key "A"`}},
		{"unexported", "{{.In.m}}", struct{ In struct{ m int } }{}, []string{"m is an unexported field"}},
		{"field with args", "{{.A 1}}", testData(), []string{"A has arguments but cannot be invoked as function"}},
		{"undefined function", "x\n{{nope 1}}", nil, []string{"t.wgsl:2", `function "nope" not defined`}},
		{"undefined variable", "{{$x}}", nil, []string{"t.wgsl:1", `undefined variable "$x"`}},
		{"assign undeclared", "{{$x = 1}}", nil, []string{`undefined variable "$x"`}},
		{"variable out of scope", "{{if true}}{{$x := 1}}{{end}}{{$x}}", nil, []string{`undefined variable "$x"`}},
		{"unclosed action", "a {{.A", nil, []string{"t.wgsl:1", "unclosed action"}},
		{"unclosed comment", "{{/* a", nil, []string{"unclosed comment"}},
		{"missing end", "{{if 1}}\nx", nil, []string{"t.wgsl:1", "has no {{end}}"}},
		{"unexpected end", "x{{end}}", nil, []string{"unexpected {{end}}"}},
		{"second else", "{{if 1}}a{{else}}b{{else}}c{{end}}", nil, []string{"second {{else}}"}},
		{"break outside range", "{{break}}", nil, []string{"{{break}} outside {{range}}"}},
		{"define inside", "{{if 1}}{{define \"x\"}}{{end}}{{end}}", nil, []string{"unexpected define"}},
		{"redefinition", "{{define \"x\"}}a{{end}}{{define \"x\"}}b{{end}}", nil, []string{`template "x" is already defined`}},
		{"no such template", "{{template \"zz\"}}", nil, []string{`no such template "zz"`}},
		{"wrong arg count", "{{add 1}}", nil, []string{"wrong number of args for add: want 2 got 1"}},
		{"wrong arg type", "{{add \"x\" 1}}", nil, []string{"expected integer"}},
		{"wrong value type", "{{add .T 1}}", testData(), []string{"wrong type for value; expected int; got string"}},
		{"float for int", "{{u32 1.5}}", nil, []string{"expected integer"}},
		{"division by zero", "{{div 1 0}}", nil, []string{"error calling div", "divide by zero"}},
		{"index out of range", "{{index .S 3}}", testData(), []string{"error calling index", "index out of range: 3"}},
		{"incompatible eq", "{{eq .A \"x\"}}", testData(), []string{"incompatible types for comparison"}},
		{"range two vars over int", "{{range $i, $v := 3}}{{end}}", nil, []string{"can't use 3 to iterate over more than one variable"}},
		{"range over string", "{{range .T}}{{end}}", testData(), []string{"range can't iterate over xyzw"}},
		{"range over nil pointer", "{{range .Nil}}{{end}}", testData(), []string{"range can't iterate over <nil>"}},
		{"range over struct", "{{range .In}}{{end}}", testData(), []string{"range can't iterate over"}},
		{"non-function with args", "{{1 2}}", nil, []string{"can't give argument to non-function 1"}},
		{"nil command", "{{nil}}", nil, []string{"nil is not a command"}},
		{"bad number", "{{3x}}", nil, []string{"bad number syntax"}},
		{"bad char", "{{a#}}", nil, []string{"unexpected"}},
		{"empty action", "{{ }}", nil, []string{"missing value"}},
		{"else in range", "{{range 1}}{{else if 1}}{{end}}", nil, []string{`unexpected "if" after else`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderSource("t.wgsl", tt.src, tt.data)
			if err == nil {
				t.Fatalf("rendered %q, want an error", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestEmbeddedTemplatesParse checks the real templates parse and a missing
// template name fails clearly through Render.
func TestEmbeddedTemplatesParse(t *testing.T) {
	set, err := parseAll(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gemm.wgsl", "common", "gemm_kstep", "conv.wgsl"} {
		if set.tmpls[name] == nil || set.tmpls[name].empty {
			t.Errorf("template %s missing or empty", name)
		}
	}
	if _, err := Render("nope.wgsl", nil); err == nil || !strings.Contains(err.Error(), `no template "nope.wgsl"`) {
		t.Errorf("Render of a missing template: %v", err)
	}
}
