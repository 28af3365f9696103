package shaders

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// tmplSet is a set of named templates and the functions they may call.
type tmplSet struct {
	funcs    map[string]reflect.Value
	tmpls    map[string]*tmplDef
	defining bool // parsing inside a define or block
}

// tmplDef is one named template.
type tmplDef struct {
	list  []node
	pos   pos
	empty bool // only white space and comments
}

// newSet returns a set whose templates may call the builtins and funcs
// (each a function returning one value, or a value and an error).
func newSet(funcs map[string]any) (*tmplSet, error) {
	s := &tmplSet{funcs: map[string]reflect.Value{}, tmpls: map[string]*tmplDef{}}
	for _, m := range []map[string]any{builtins, funcs} {
		for name, f := range m {
			v := reflect.ValueOf(f)
			if v.Kind() != reflect.Func {
				return nil, fmt.Errorf("value for %q is not a function", name)
			}
			t := v.Type()
			if t.NumOut() != 1 && (t.NumOut() != 2 || t.Out(1) != errorType) {
				return nil, fmt.Errorf("function %q must return one value, or a value and an error", name)
			}
			s.funcs[name] = v
		}
	}
	return s, nil
}

// parse adds the templates of one source file: its defines and blocks, and
// its top-level text as the template named file.
func (s *tmplSet) parse(file, src string) error {
	items, err := lex(file, src)
	if err != nil {
		return err
	}
	p := &parser{set: s, file: file, items: items, vars: []string{"$"}}
	list, term, err := p.parseList()
	if err != nil {
		return err
	}
	if term != nil {
		return p.errorf(term.line, "unexpected {{%s}}", keyword(term.action))
	}
	return s.add(file, list, pos{file, 1})
}

// add defines name. A definition that is only white space does not replace
// a non-empty one (as in text/template); two non-empty ones are an error.
func (s *tmplSet) add(name string, list []node, at pos) error {
	empty := true
	for _, n := range list {
		if t, ok := n.(*textNode); !ok || strings.TrimSpace(t.text) != "" {
			empty = false
		}
	}
	if old := s.tmpls[name]; old != nil && !old.empty {
		if empty {
			return nil
		}
		return fmt.Errorf("%s: template %q is already defined at %s", at, name, old.pos)
	}
	s.tmpls[name] = &tmplDef{list: list, pos: at, empty: empty}
	return nil
}

// execute renders the template name with data.
func (s *tmplSet) execute(name string, data any) (out string, err error) {
	t := s.tmpls[name]
	if t == nil {
		return "", fmt.Errorf("no template %q", name)
	}
	var b bytes.Buffer
	dot := reflect.ValueOf(data)
	st := &state{set: s, name: name, w: &b, vars: []variable{{"$", dot}}, at: t.pos}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(execError)
			if !ok {
				panic(r)
			}
			err = e.err
		}
	}()
	st.walk(dot, t.list)
	return b.String(), nil
}

// maxDepth bounds template recursion.
const maxDepth = 1000

var (
	errorType      = reflect.TypeFor[error]()
	stringerType   = reflect.TypeFor[fmt.Stringer]()
	reflectValType = reflect.TypeFor[reflect.Value]()
	stringType     = reflect.TypeFor[string]()
	intType        = reflect.TypeFor[int]()
	boolType       = reflect.TypeFor[bool]()
)

// execError carries an execution error up through panics to execute.
type execError struct{ err error }

type variable struct {
	name string
	val  reflect.Value
}

// state is the state of one template's execution.
type state struct {
	set   *tmplSet
	name  string // the template executing
	w     *bytes.Buffer
	vars  []variable
	at    pos // the node executing, for errors
	depth int
}

func (s *state) errorf(format string, args ...any) {
	panic(execError{fmt.Errorf("%s: executing %q: %w", s.at, s.name, fmt.Errorf(format, args...))})
}

func (s *state) mark() int { return len(s.vars) }
func (s *state) pop(m int) { s.vars = s.vars[:m] }
func (s *state) push(n string, v reflect.Value) {
	s.vars = append(s.vars, variable{n, v})
}

// setVar assigns the innermost variable called name.
func (s *state) setVar(name string, v reflect.Value) {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			s.vars[i].val = v
			return
		}
	}
	s.errorf("undefined variable: %s", name)
}

// setTopVar sets the n-th variable from the top of the stack.
func (s *state) setTopVar(n int, v reflect.Value) { s.vars[len(s.vars)-n].val = v }

func (s *state) varValue(name string) reflect.Value {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			return s.vars[i].val
		}
	}
	s.errorf("undefined variable: %s", name)
	return reflect.Value{}
}

// Results of walk: what ends a list early.
const (
	ctlNone = iota
	ctlBreak
	ctlContinue
)

// walk executes a list of nodes with dot.
func (s *state) walk(dot reflect.Value, list []node) int {
	for _, n := range list {
		if c := s.walkNode(dot, n); c != ctlNone {
			return c
		}
	}
	return ctlNone
}

func (s *state) walkNode(dot reflect.Value, n node) int {
	switch n := n.(type) {
	case *textNode:
		s.w.WriteString(n.text)
	case *printNode:
		s.at = n.pos
		v := s.evalPipeline(dot, n.pipe)
		if len(n.pipe.decl) == 0 {
			s.printValue(v)
		}
	case *controlNode:
		if n.kind == "range" {
			return s.walkRange(dot, n)
		}
		return s.walkIfOrWith(dot, n)
	case *templateNode:
		s.at = n.pos
		t := s.set.tmpls[n.name]
		if t == nil {
			s.errorf("no such template %q", n.name)
		}
		if s.depth >= maxDepth {
			s.errorf("exceeded maximum template depth (%d)", maxDepth)
		}
		var newDot reflect.Value
		if n.pipe != nil {
			newDot = s.evalPipeline(dot, n.pipe)
		}
		inner := &state{set: s.set, name: n.name, w: s.w, vars: []variable{{"$", newDot}}, at: t.pos, depth: s.depth + 1}
		inner.walk(newDot, t.list)
	case *loopNode:
		if n.break_ {
			return ctlBreak
		}
		return ctlContinue
	default:
		panic(fmt.Sprintf("shaders: unknown node %T", n))
	}
	return ctlNone
}

func (s *state) walkIfOrWith(dot reflect.Value, n *controlNode) int {
	defer s.pop(s.mark())
	s.at = n.pos
	val := s.evalPipeline(dot, n.pipe)
	truth, ok := isTrue(indirectInterface(val))
	if !ok {
		s.errorf("%s can't use %v", n.kind, val)
	}
	if truth {
		if n.kind == "with" {
			return s.walk(val, n.list)
		}
		return s.walk(dot, n.list)
	}
	return s.walk(dot, n.else_)
}

func (s *state) walkRange(dot reflect.Value, n *controlNode) int {
	s.at = n.pos
	defer s.pop(s.mark())
	val, _ := indirect(s.evalPipeline(dot, n.pipe))
	mark := s.mark()
	decl := n.pipe.decl
	stop := false
	one := func(index, elem reflect.Value) {
		if len(decl) > 0 {
			if n.pipe.assign {
				if len(decl) > 1 {
					s.setVar(decl[0], index)
				} else {
					s.setVar(decl[0], elem)
				}
			} else {
				s.setTopVar(1, elem)
			}
		}
		if len(decl) > 1 {
			if n.pipe.assign {
				s.setVar(decl[1], elem)
			} else {
				s.setTopVar(2, index)
			}
		}
		defer s.pop(mark)
		if s.walk(elem, n.list) == ctlBreak {
			stop = true
		}
	}
	switch val.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if len(decl) > 1 {
			s.errorf("can't use %v to iterate over more than one variable", val)
		}
		// 0 .. val-1 in val's type (not reflect.Value.Seq, whose code for
		// every kind weighs in the wasm).
		n, signed := int64(0), true
		switch val.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n = val.Int()
		default:
			if n, signed = int64(val.Uint()), false; n < 0 {
				s.errorf("range over %v: too many iterations", val)
			}
		}
		for i := int64(0); i < n && !stop; i++ {
			v := reflect.New(val.Type()).Elem()
			if signed {
				v.SetInt(i)
			} else {
				v.SetUint(uint64(i))
			}
			one(reflect.Value{}, v)
		}
		if n > 0 {
			return ctlNone
		}
	case reflect.Array, reflect.Slice:
		if val.Len() > 0 {
			for i := 0; i < val.Len() && !stop; i++ {
				one(reflect.ValueOf(i), val.Index(i))
			}
			return ctlNone
		}
	case reflect.Map:
		if val.Len() > 0 {
			for _, k := range s.sortedKeys(val) {
				if one(k, val.MapIndex(k)); stop {
					break
				}
			}
			return ctlNone
		}
	case reflect.Invalid:
		// Like an empty map.
	default:
		s.errorf("range can't iterate over %v", val)
	}
	return s.walk(dot, n.else_)
}

// sortedKeys returns the keys of a map with basic keys, in order.
func (s *state) sortedKeys(m reflect.Value) []reflect.Value {
	keys := m.MapKeys()
	var less func(a, b reflect.Value) bool
	switch k, _ := basicKind(keys[0]); k {
	case intKind:
		less = func(a, b reflect.Value) bool { return a.Int() < b.Int() }
	case uintKind:
		less = func(a, b reflect.Value) bool { return a.Uint() < b.Uint() }
	case floatKind:
		less = func(a, b reflect.Value) bool { return a.Float() < b.Float() }
	case stringKind:
		less = func(a, b reflect.Value) bool { return a.String() < b.String() }
	case boolKind:
		less = func(a, b reflect.Value) bool { return !a.Bool() && b.Bool() }
	default:
		s.errorf("range over a map with keys of type %s (only basic key types are supported)", m.Type().Key())
	}
	// sort.Slice rather than slices.SortFunc: the wasm build has sort's
	// code already, and a generic sort over reflect.Value is 60 KB more.
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	return keys
}

// evalPipeline returns the value of a pipeline and declares or assigns its
// variables.
func (s *state) evalPipeline(dot reflect.Value, pipe *pipeNode) reflect.Value {
	var value reflect.Value
	has := false
	for _, cmd := range pipe.cmds {
		value = s.evalCommand(dot, cmd, value, has)
		has = true
		// An interface{} value: the thing inside.
		if value.Kind() == reflect.Interface && value.Type().NumMethod() == 0 {
			value = reflect.ValueOf(value.Interface())
		}
	}
	for _, v := range pipe.decl {
		if pipe.assign {
			s.setVar(v, value)
		} else {
			s.push(v, value)
		}
	}
	return value
}

// notAFunction fails when an operand that is not a function gets arguments.
func (s *state) notAFunction(args []node, hasFinal bool) {
	if len(args) > 1 || hasFinal {
		s.errorf("can't give argument to non-function %s", describe(args[0]))
	}
}

// evalCommand evaluates one command; final is the previous command's value
// (when hasFinal), passed as the last argument of a function.
func (s *state) evalCommand(dot reflect.Value, cmd *cmdNode, final reflect.Value, hasFinal bool) reflect.Value {
	switch n := cmd.args[0].(type) {
	case *fieldNode:
		return s.evalFieldChain(dot, n.names, cmd.args, final, hasFinal)
	case *chainNode:
		return s.evalChain(dot, n, cmd.args, final, hasFinal)
	case *identNode:
		return s.evalFunction(dot, n.name, cmd.args, final, hasFinal)
	case *pipeNode:
		s.notAFunction(cmd.args, hasFinal)
		return s.evalPipeline(dot, n)
	case *varNode:
		s.notAFunction(cmd.args, hasFinal)
		return s.varValue(n.name)
	}
	s.notAFunction(cmd.args, hasFinal)
	switch n := cmd.args[0].(type) {
	case *boolNode:
		return reflect.ValueOf(n.val)
	case *dotNode:
		return dot
	case *nilNode:
		s.errorf("nil is not a command")
	case *numberNode:
		return s.idealConstant(n)
	case *stringNode:
		return reflect.ValueOf(n.text)
	}
	s.errorf("can't evaluate command %s", describe(cmd.args[0]))
	return reflect.Value{}
}

// idealConstant is an untyped number constant's value: float64 when it is
// spelled as a float, else int.
func (s *state) idealConstant(n *numberNode) reflect.Value {
	switch {
	case n.floatIdeal:
		return reflect.ValueOf(n.f)
	case n.isInt:
		i := int(n.i)
		if int64(i) != n.i {
			s.errorf("%s overflows int", n.text)
		}
		return reflect.ValueOf(i)
	default:
		s.errorf("%s overflows int", n.text)
	}
	return reflect.Value{}
}

// evalChain evaluates $x.A.B or (pipe).A.B.
func (s *state) evalChain(dot reflect.Value, n *chainNode, args []node, final reflect.Value, hasFinal bool) reflect.Value {
	if _, ok := n.node.(*nilNode); ok {
		s.errorf("indirection through explicit nil")
	}
	recv := s.evalArg(dot, nil, n.node)
	return s.evalFieldChain(recv, n.names, args, final, hasFinal)
}

// evalFieldChain evaluates the fields names on recv; only the last one
// sees the command's arguments (an error: fields take none).
func (s *state) evalFieldChain(recv reflect.Value, names []string, args []node, final reflect.Value, hasFinal bool) reflect.Value {
	for _, name := range names[:len(names)-1] {
		recv = s.evalField(name, recv, false)
	}
	return s.evalField(names[len(names)-1], recv, len(args) > 1 || hasFinal)
}

// fieldKey is a struct type and a field name, fieldByName's key.
type fieldKey struct {
	t    reflect.Type
	name string
}

// fieldLookup is what reflect.Type.FieldByName returned for a fieldKey.
type fieldLookup struct {
	f  reflect.StructField
	ok bool
}

// fields caches fieldByName's lookups: FieldByName searches the struct
// (and its embedded ones) on every call, and templates read the same
// fields of the same few types thousands of times (a fifth of a render's
// time without the cache).
var fields sync.Map // fieldKey → fieldLookup

// fieldByName is t.FieldByName(name), cached.
func fieldByName(t reflect.Type, name string) (reflect.StructField, bool) {
	k := fieldKey{t, name}
	if l, ok := fields.Load(k); ok {
		return l.(fieldLookup).f, l.(fieldLookup).ok
	}
	f, ok := t.FieldByName(name)
	fields.Store(k, fieldLookup{f, ok})
	return f, ok
}

// evalField returns the field or map entry name of recv. Methods are not
// looked up (see the top of tmpl_parse.go).
func (s *state) evalField(name string, recv reflect.Value, hasArgs bool) reflect.Value {
	if !recv.IsValid() {
		s.errorf("nil data; no entry for key %q", name)
	}
	typ := recv.Type()
	recv, isNil := indirect(recv)
	if recv.Kind() == reflect.Interface && isNil {
		s.errorf("nil pointer evaluating %s.%s", typ, name)
	}
	switch recv.Kind() {
	case reflect.Struct:
		if f, ok := fieldByName(recv.Type(), name); ok {
			field, err := recv.FieldByIndexErr(f.Index)
			if !f.IsExported() {
				s.errorf("%s is an unexported field of struct type %s", name, typ)
			}
			if err != nil {
				s.errorf("%v", err)
			}
			if hasArgs {
				s.errorf("%s has arguments but cannot be invoked as function", name)
			}
			return field
		}
	case reflect.Map:
		key := reflect.ValueOf(name)
		if key.Type().AssignableTo(recv.Type().Key()) {
			if hasArgs {
				s.errorf("%s is not a method but has arguments", name)
			}
			v := recv.MapIndex(key)
			if !v.IsValid() {
				s.errorf("map has no entry for key %q", name)
			}
			return v
		}
	case reflect.Pointer:
		if e := recv.Type().Elem(); e.Kind() == reflect.Struct {
			if _, ok := fieldByName(e, name); !ok {
				s.errorf("can't evaluate field %s in type %s", name, typ)
			}
		}
		if isNil {
			s.errorf("nil pointer evaluating %s.%s", typ, name)
		}
	}
	s.errorf("can't evaluate field %s in type %s", name, typ)
	return reflect.Value{}
}

// evalFunction calls the function name with the command's other operands
// and final as its arguments.
func (s *state) evalFunction(dot reflect.Value, name string, args []node, final reflect.Value, hasFinal bool) reflect.Value {
	fn := s.set.funcs[name]
	typ := fn.Type()
	args = args[1:]
	if name == "and" || name == "or" {
		if len(args) == 0 && !hasFinal {
			s.errorf("wrong number of args for %s: want at least 1 got 0", name)
		}
		var v reflect.Value
		for _, a := range args {
			v = s.evalArg(dot, reflectValType, a).Interface().(reflect.Value)
			if truth(v) == (name == "or") {
				return v
			}
		}
		if hasFinal {
			v = unwrap(s.validateType(final, reflectValType))
		}
		return v
	}
	numIn := len(args)
	if hasFinal {
		numIn++
	}
	numFixed := len(args)
	if typ.IsVariadic() {
		numFixed = typ.NumIn() - 1
		if numIn < numFixed {
			s.errorf("wrong number of args for %s: want at least %d got %d", name, typ.NumIn()-1, len(args))
		}
	} else if numIn != typ.NumIn() {
		s.errorf("wrong number of args for %s: want %d got %d", name, typ.NumIn(), numIn)
	}
	argv := make([]reflect.Value, numIn)
	i := 0
	for ; i < numFixed && i < len(args); i++ {
		argv[i] = s.evalArg(dot, typ.In(i), args[i])
	}
	if typ.IsVariadic() {
		t := typ.In(typ.NumIn() - 1).Elem()
		for ; i < len(args); i++ {
			argv[i] = s.evalArg(dot, t, args[i])
		}
	}
	if hasFinal {
		t := typ.In(typ.NumIn() - 1)
		if typ.IsVariadic() {
			if numIn-1 < numFixed {
				t = typ.In(numIn - 1)
			} else {
				t = t.Elem()
			}
		}
		argv[i] = s.validateType(final, t)
	}
	v, err := safeCall(fn, argv)
	if err != nil {
		s.errorf("error calling %s: %w", name, err)
	}
	return unwrap(v)
}

// unwrap turns a reflect.Value holding a reflect.Value into the latter.
func unwrap(v reflect.Value) reflect.Value {
	if v.Type() == reflectValType {
		v = v.Interface().(reflect.Value)
	}
	return v
}

// directCall calls the helpers and builtins templates call most (funcs,
// builtins) without reflect.Value.Call, which is slow (most of a render's
// time in wasm): ok reports whether fn was one of their signatures. args
// are as evalCall prepared them for fn (of its parameter types; a
// reflect.Value parameter's argument is a reflect.Value holding it), and
// the results are what Call would have returned.
func directCall(fn reflect.Value, args []reflect.Value) (v reflect.Value, ok bool, err error) {
	switch f := fn.Interface().(type) {
	case func(int, int) int:
		return reflect.ValueOf(f(int(args[0].Int()), int(args[1].Int()))), true, nil
	case func(int) string:
		return reflect.ValueOf(f(int(args[0].Int()))), true, nil
	case func(float64) string:
		return reflect.ValueOf(f(args[0].Float())), true, nil
	case func(int) []int:
		return reflect.ValueOf(f(int(args[0].Int()))), true, nil
	case func(reflect.Value) bool:
		return reflect.ValueOf(f(valueArg(args[0]))), true, nil
	case func(reflect.Value) (int, error):
		n, err := f(valueArg(args[0]))
		return reflect.ValueOf(n), true, err
	case func(reflect.Value, reflect.Value) (bool, error):
		b, err := f(valueArg(args[0]), valueArg(args[1]))
		return reflect.ValueOf(b), true, err
	case func(reflect.Value, ...reflect.Value) (bool, error):
		b, err := f(valueArg(args[0]), valueArgs(args[1:])...)
		return reflect.ValueOf(b), true, err
	case func(reflect.Value, ...reflect.Value) (reflect.Value, error):
		r, err := f(valueArg(args[0]), valueArgs(args[1:])...)
		return reflect.ValueOf(r), true, err
	}
	return reflect.Value{}, false, nil
}

// valueArg is the reflect.Value a reflect.Value argument holds.
func valueArg(a reflect.Value) reflect.Value { return a.Interface().(reflect.Value) }

// valueArgs is valueArg of each of as.
func valueArgs(as []reflect.Value) []reflect.Value {
	out := make([]reflect.Value, len(as))
	for i, a := range as {
		out[i] = valueArg(a)
	}
	return out
}

// safeCall calls fn, turning a panic or a returned error into an error.
func safeCall(fn reflect.Value, args []reflect.Value) (v reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	if v, ok, err := directCall(fn, args); ok {
		return v, err
	}
	out := fn.Call(args)
	if len(out) == 2 && !out[1].IsNil() {
		return out[0], out[1].Interface().(error)
	}
	return out[0], nil
}

// evalArg evaluates an argument for a parameter of type typ (nil: any
// value as it is), converting constants as Go would.
func (s *state) evalArg(dot reflect.Value, typ reflect.Type, n node) reflect.Value {
	switch n := n.(type) {
	case *dotNode:
		return s.validateType(dot, typ)
	case *nilNode:
		if canBeNil(typ) {
			return reflect.Zero(typ)
		}
		s.errorf("cannot assign nil to %s", typ)
	case *fieldNode:
		return s.validateType(s.evalFieldChain(dot, n.names, []node{n}, reflect.Value{}, false), typ)
	case *varNode:
		return s.validateType(s.varValue(n.name), typ)
	case *pipeNode:
		return s.validateType(s.evalPipeline(dot, n), typ)
	case *identNode:
		return s.validateType(s.evalFunction(dot, n.name, []node{n}, reflect.Value{}, false), typ)
	case *chainNode:
		return s.validateType(s.evalChain(dot, n, nil, reflect.Value{}, false), typ)
	}
	if typ == nil {
		return s.evalEmptyInterface(dot, n)
	}
	value := reflect.New(typ).Elem()
	switch typ.Kind() {
	case reflect.Bool:
		if b, ok := n.(*boolNode); ok {
			value.SetBool(b.val)
			return value
		}
		s.errorf("expected bool; found %s", describe(n))
	case reflect.Float32, reflect.Float64:
		if c, ok := n.(*numberNode); ok && c.isFloat {
			value.SetFloat(c.f)
			return value
		}
		s.errorf("expected float; found %s", describe(n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if c, ok := n.(*numberNode); ok && c.isInt {
			value.SetInt(c.i)
			return value
		}
		s.errorf("expected integer; found %s", describe(n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if c, ok := n.(*numberNode); ok && c.isUint {
			value.SetUint(c.u)
			return value
		}
		s.errorf("expected unsigned integer; found %s", describe(n))
	case reflect.String:
		if c, ok := n.(*stringNode); ok {
			value.SetString(c.text)
			return value
		}
		s.errorf("expected string; found %s", describe(n))
	case reflect.Interface:
		if typ.NumMethod() == 0 {
			return s.evalEmptyInterface(dot, n)
		}
	case reflect.Struct:
		if typ == reflectValType {
			return reflect.ValueOf(s.evalEmptyInterface(dot, n))
		}
	}
	s.errorf("can't handle %s for arg of type %s", describe(n), typ)
	return reflect.Value{}
}

// evalEmptyInterface is a constant's value for an untyped parameter.
func (s *state) evalEmptyInterface(dot reflect.Value, n node) reflect.Value {
	switch n := n.(type) {
	case *boolNode:
		return reflect.ValueOf(n.val)
	case *numberNode:
		return s.idealConstant(n)
	case *stringNode:
		return reflect.ValueOf(n.text)
	case *nilNode:
		s.errorf("nil is not a value here")
	}
	return s.evalArg(dot, nil, n)
}

// validateType checks that value fits a parameter of type typ (nil: any),
// dereferencing or taking the address where that makes it fit.
func (s *state) validateType(value reflect.Value, typ reflect.Type) reflect.Value {
	if !value.IsValid() {
		if typ == nil {
			return reflect.ValueOf(nil)
		}
		if canBeNil(typ) {
			return reflect.Zero(typ)
		}
		s.errorf("invalid value; expected %s", typ)
	}
	if typ == reflectValType && value.Type() != typ {
		return reflect.ValueOf(value)
	}
	if typ != nil && !value.Type().AssignableTo(typ) {
		if value.Kind() == reflect.Interface && !value.IsNil() {
			value = value.Elem()
			if value.Type().AssignableTo(typ) {
				return value
			}
		}
		switch {
		case value.Kind() == reflect.Pointer && value.Type().Elem().AssignableTo(typ):
			value = value.Elem()
			if !value.IsValid() {
				s.errorf("dereference of nil pointer of type %s", typ)
			}
		case reflect.PointerTo(value.Type()).AssignableTo(typ) && value.CanAddr():
			value = value.Addr()
		default:
			s.errorf("wrong type for value; expected %s; got %s", typ, value.Type())
		}
	}
	return value
}

func canBeNil(typ reflect.Type) bool {
	switch typ.Kind() {
	case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice:
		return true
	case reflect.Struct:
		return typ == reflectValType
	}
	return false
}

// printValue writes v as text/template prints it.
func (s *state) printValue(v reflect.Value) {
	if v.Kind() == reflect.Pointer {
		v, _ = indirect(v)
	}
	if !v.IsValid() {
		s.w.WriteString("<no value>")
		return
	}
	// The predeclared types, which have no methods, as fmt.Fprint writes
	// them, without its reflection.
	switch v.Type() {
	case stringType:
		s.w.WriteString(v.String())
		return
	case intType:
		s.w.WriteString(strconv.FormatInt(v.Int(), 10))
		return
	case boolType:
		s.w.WriteString(strconv.FormatBool(v.Bool()))
		return
	}
	if !v.Type().Implements(errorType) && !v.Type().Implements(stringerType) {
		if v.CanAddr() && (reflect.PointerTo(v.Type()).Implements(errorType) || reflect.PointerTo(v.Type()).Implements(stringerType)) {
			v = v.Addr()
		} else if k := v.Kind(); k == reflect.Chan || k == reflect.Func {
			s.errorf("can't print value of type %s", v.Type())
		}
	}
	fmt.Fprint(s.w, v.Interface())
}

// indirect follows pointers and interfaces down to a non-nil value, or the
// nil one found.
func indirect(v reflect.Value) (rv reflect.Value, isNil bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
	}
	return v, false
}

// indirectInterface returns the concrete value in an interface value, or
// else the zero reflect.Value.
func indirectInterface(v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Interface {
		return v
	}
	if v.IsNil() {
		return reflect.Value{}
	}
	return v.Elem()
}

// isTrue reports whether a value is "true" (not its type's zero value, not
// empty) and whether it has a truth value at all.
func isTrue(val reflect.Value) (truth, ok bool) {
	if !val.IsValid() {
		return false, true
	}
	switch val.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		truth = val.Len() > 0
	case reflect.Bool:
		truth = val.Bool()
	case reflect.Complex64, reflect.Complex128:
		truth = val.Complex() != 0
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.UnsafePointer, reflect.Interface:
		truth = !val.IsNil()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		truth = val.Int() != 0
	case reflect.Float32, reflect.Float64:
		truth = val.Float() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		truth = val.Uint() != 0
	case reflect.Struct:
		truth = true
	default:
		return
	}
	return truth, true
}

// describe names an operand in error messages.
func describe(n node) string {
	switch n := n.(type) {
	case *fieldNode:
		return "." + strings.Join(n.names, ".")
	case *chainNode:
		return describe(n.node) + "." + strings.Join(n.names, ".")
	case *varNode:
		return n.name
	case *identNode:
		return n.name
	case *stringNode:
		return fmt.Sprintf("%q", n.text)
	case *numberNode:
		return n.text
	case *boolNode:
		return fmt.Sprint(n.val)
	case *nilNode:
		return "nil"
	case *dotNode:
		return "."
	case *pipeNode:
		return "(pipeline)"
	}
	return fmt.Sprintf("%T", n)
}

var errNoComparison = errors.New("missing argument for comparison")
