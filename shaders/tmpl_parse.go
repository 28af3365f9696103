package shaders

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file and tmpl_exec.go are a small template engine for the WGSL
// templates: the subset of text/template's syntax and semantics that kernel
// templates use, rendered byte for byte as text/template renders it
// (tmpl_test.go checks that on every kernel specialization). It exists
// because text/template calls reflect.Value.MethodByName, which makes the
// linker keep every exported method of every reachable type (megabytes of
// wasm). So this engine reads struct fields and map keys but never calls a
// method of the data.
//
// Supported: text and {{/* comments */}}, the trim markers {{- and -}},
// define, template, block, if / else if / else, with / else with / else,
// range (over slices, arrays, maps with sorted keys and ints; $v :=,
// $i, $v :=, else, break, continue), variables ($x := and $x =, $), field
// chains on structs, maps, pointers and interfaces (.A.B, $x.A, (pipe).A),
// pipelines with |, parenthesized pipelines, string, raw string, char,
// number, bool and nil constants, the builtins and, or, not, eq, ne, lt, le,
// gt, ge, len, index, slice, print, printf and println, and the functions
// of the set. Missing map keys and unknown fields are errors (text/template's
// missingkey=error). Not supported: methods of the data, the call, html, js
// and urlquery builtins, range over channels and functions. A name defined
// twice with non-empty bodies is an error (text/template lets the later one
// win).

// tokKind is the kind of a token inside an action.
type tokKind int

const (
	tSpace   tokKind = iota // run of spaces, tabs and newlines
	tIdent                  // keyword, function name, true, false, nil
	tField                  // .Name
	tDot                    // .
	tVar                    // $ or $name
	tString                 // "..." or `...` (val is the unquoted text)
	tChar                   // 'x' (val is the quoted text)
	tNumber                 // 12, -1.5, 0x1f
	tLParen                 // (
	tRParen                 // )
	tPipe                   // |
	tDeclare                // :=
	tAssign                 // =
	tComma                  // ,
)

type token struct {
	kind tokKind
	val  string
}

// item is a piece of a template source: text, or the tokens of one action.
type item struct {
	text   string  // text between actions (already trimmed)
	action []token // nil for text and comments
	line   int     // line of the action's {{
}

// The nodes of a parsed template.
type (
	node interface{}

	textNode struct{ text string }

	// printNode is an action that prints its pipeline's value.
	printNode struct {
		pos  pos
		pipe *pipeNode
	}

	// controlNode is if, with or range.
	controlNode struct {
		pos         pos
		kind        string // "if", "with", "range"
		pipe        *pipeNode
		list, else_ []node
	}

	templateNode struct {
		pos  pos
		name string
		pipe *pipeNode // nil: dot is nil
	}

	// loopNode is break or continue.
	loopNode struct {
		pos    pos
		break_ bool
	}

	// pipeNode is [decl :=|=] cmd | cmd ...
	pipeNode struct {
		pos    pos
		decl   []string // variable names, with $
		assign bool     // = rather than :=
		cmds   []*cmdNode
	}

	cmdNode struct {
		args []node // operands; args[0] may be a function
	}

	// Operands.
	fieldNode  struct{ names []string } // .A.B on dot
	dotNode    struct{}
	varNode    struct{ name string } // $x
	identNode  struct{ name string } // a function
	stringNode struct{ text string }
	boolNode   struct{ val bool }
	nilNode    struct{}
	numberNode struct {
		text    string
		isInt   bool
		isUint  bool
		isFloat bool
		i       int64
		u       uint64
		f       float64
		// floatIdeal: the constant, untyped, is a float64 (else an int).
		floatIdeal bool
	}
	// chainNode is an operand followed by fields: $x.A, (pipe).A.
	chainNode struct {
		node  node
		names []string
	}
)

// pos is where a node comes from: the file and the line.
type pos struct {
	file string
	line int
}

func (p pos) String() string { return fmt.Sprintf("%s:%d", p.file, p.line) }

// lex splits a template source into text and action items, applying trim
// markers and dropping comments.
func lex(file, src string) ([]item, error) {
	var items []item
	line := 1
	for len(src) > 0 {
		i := strings.Index(src, "{{")
		if i < 0 {
			items = append(items, item{text: src})
			break
		}
		text := src[:i]
		line += strings.Count(text, "\n")
		start := line
		rest := src[i+2:]
		if len(rest) >= 2 && rest[0] == '-' && isSpace(rest[1]) {
			text = strings.TrimRight(text, " \t\r\n")
			rest = rest[2:]
		}
		if text != "" {
			items = append(items, item{text: text})
		}
		var toks []token
		var n int
		var trimRight bool
		var err error
		if r := strings.TrimLeft(rest, " \t\r\n"); strings.HasPrefix(r, "/*") {
			n, trimRight, err = lexComment(rest)
		} else {
			toks, n, trimRight, err = lexAction(rest)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, start, err)
		}
		line += strings.Count(rest[:n], "\n")
		src = rest[n:]
		if trimRight {
			trimmed := strings.TrimLeft(src, " \t\r\n")
			line += strings.Count(src[:len(src)-len(trimmed)], "\n")
			src = trimmed
		}
		if toks != nil {
			items = append(items, item{action: toks, line: start})
		}
	}
	return items, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// closeAt reports whether s starts with the end of an action, "}}" or a
// space followed by "-}}", and how many bytes that takes.
func closeAt(s string) (n int, trimRight, ok bool) {
	if strings.HasPrefix(s, "}}") {
		return 2, false, true
	}
	if len(s) >= 4 && isSpace(s[0]) && strings.HasPrefix(s[1:], "-}}") {
		return 4, true, true
	}
	return 0, false, false
}

// lexComment scans a comment action, s starting after "{{" (and its trim
// marker); it returns the bytes it took.
func lexComment(s string) (int, bool, error) {
	i := strings.Index(s, "/*")
	j := strings.Index(s[i+2:], "*/")
	if j < 0 {
		return 0, false, errors.New("unclosed comment")
	}
	end := i + 2 + j + 2
	n, trim, ok := closeAt(s[end:])
	if !ok {
		return 0, false, errors.New("comment ends before closing delimiter")
	}
	return end + n, trim, nil
}

// lexAction scans the tokens of an action, s starting after "{{" (and its
// trim marker); it returns the tokens and the bytes it took.
func lexAction(s string) ([]token, int, bool, error) {
	toks := []token{}
	i := 0
	for {
		if i >= len(s) {
			return nil, 0, false, errors.New("unclosed action")
		}
		if n, trim, ok := closeAt(s[i:]); ok {
			return toks, i + n, trim, nil
		}
		c := s[i]
		switch {
		case isSpace(c):
			j := i
			for j < len(s) && isSpace(s[j]) {
				if _, _, ok := closeAt(s[j:]); ok {
					break
				}
				j++
			}
			toks = append(toks, token{tSpace, s[i:j]})
			i = j
		case c == '(':
			toks = append(toks, token{tLParen, "("})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")"})
			i++
		case c == '|':
			toks = append(toks, token{tPipe, "|"})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ","})
			i++
		case c == '=':
			toks = append(toks, token{tAssign, "="})
			i++
		case c == ':':
			if !strings.HasPrefix(s[i:], ":=") {
				return nil, 0, false, errors.New("expected :=")
			}
			toks = append(toks, token{tDeclare, ":="})
			i += 2
		case c == '"' || c == '`':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' && c == '"' {
					j++
				}
				if s[j] == '\n' && c == '"' {
					break
				}
				j++
			}
			if j >= len(s) || s[j] != c {
				return nil, 0, false, errors.New("unterminated quoted string")
			}
			text, err := strconv.Unquote(s[i : j+1])
			if err != nil {
				return nil, 0, false, fmt.Errorf("bad string %s: %v", s[i:j+1], err)
			}
			toks = append(toks, token{tString, text})
			i = j + 1
		case c == '\'':
			j := i + 1
			for j < len(s) && s[j] != '\'' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, 0, false, errors.New("unterminated character constant")
			}
			toks = append(toks, token{tChar, s[i : j+1]})
			i = j + 1
		case c == '$':
			j := i + 1 + identLen(s[i+1:])
			toks = append(toks, token{tVar, s[i:j]})
			i = j
		case c == '.':
			if i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				j := i + numberLen(s[i:])
				toks = append(toks, token{tNumber, s[i:j]})
				i = j
				break
			}
			n := identLen(s[i+1:])
			if n == 0 {
				toks = append(toks, token{tDot, "."})
				i++
				break
			}
			toks = append(toks, token{tField, s[i+1 : i+1+n]})
			i += 1 + n
		case c == '-' || c == '+' || (c >= '0' && c <= '9'):
			n := numberLen(s[i:])
			if n == 0 || (n == 1 && (c == '-' || c == '+')) {
				return nil, 0, false, fmt.Errorf("bad number syntax: %q", s[i:i+1])
			}
			toks = append(toks, token{tNumber, s[i : i+n]})
			i += n
		default:
			n := identLen(s[i:])
			if n == 0 {
				r, _ := utf8.DecodeRuneInString(s[i:])
				return nil, 0, false, fmt.Errorf("unexpected %q in action", r)
			}
			toks = append(toks, token{tIdent, s[i : i+n]})
			i += n
		}
	}
}

// identLen is the length of the identifier at the start of s.
func identLen(s string) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		n += size
	}
	return n
}

// numberLen is the length of the number at the start of s: a sign, then
// digits, letters, '_' and '.', with a sign after a decimal exponent (e, E)
// or a hexadecimal one (p, P).
func numberLen(s string) int {
	n := 0
	if n < len(s) && (s[n] == '-' || s[n] == '+') {
		n++
	}
	hex := strings.HasPrefix(s[n:], "0x") || strings.HasPrefix(s[n:], "0X")
	for n < len(s) {
		c := s[n]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '.':
			n++
		case (c == '-' || c == '+') && n > 0 && (!hex && (s[n-1] == 'e' || s[n-1] == 'E') || hex && (s[n-1] == 'p' || s[n-1] == 'P')):
			n++
		default:
			return n
		}
	}
	return n
}

// newNumber parses a number or character constant.
func newNumber(kind tokKind, text string) (*numberNode, error) {
	n := &numberNode{text: text}
	if kind == tChar {
		r, _, tail, err := strconv.UnquoteChar(text[1:], text[0])
		if err != nil || tail != "'" {
			return nil, fmt.Errorf("malformed character constant: %s", text)
		}
		n.i, n.u, n.f = int64(r), uint64(r), float64(r)
		n.isInt, n.isUint, n.isFloat = true, true, true
		return n, nil
	}
	if u, err := strconv.ParseUint(text, 0, 64); err == nil {
		n.isUint, n.u = true, u
	}
	if i, err := strconv.ParseInt(text, 0, 64); err == nil {
		n.isInt, n.i = true, i
		if i == 0 {
			n.isUint, n.u = true, 0
		}
	}
	switch {
	case n.isInt:
		n.isFloat, n.f = true, float64(n.i)
	case n.isUint:
		n.isFloat, n.f = true, float64(n.u)
	default:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || strings.ContainsAny(text, "iI") {
			return nil, fmt.Errorf("bad number syntax: %q", text)
		}
		n.isFloat, n.f = true, f
		// An integral float constant is also an integer, as in text/template.
		if float64(int64(f)) == f {
			n.isInt, n.i = true, int64(f)
		}
		if float64(uint64(f)) == f {
			n.isUint, n.u = true, uint64(f)
		}
	}
	hexInt := len(text) > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') && !strings.ContainsAny(text, "pP")
	n.floatIdeal = n.isFloat && !hexInt && strings.ContainsAny(text, ".eEpP")
	return n, nil
}

// parser builds the templates of one source file into a set.
type parser struct {
	set   *tmplSet
	file  string
	items []item
	i     int
	vars  []string // variables in scope
	loops int      // depth of enclosing ranges
	depth int      // depth of enclosing if, with and range
}

// errorf formats a parse error at line.
func (p *parser) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, line, fmt.Sprintf(format, args...))
}

// keyword returns the keyword an action starts with, or "".
func keyword(a []token) string {
	if len(a) > 0 && a[0].kind == tIdent {
		switch a[0].val {
		case "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue":
			return a[0].val
		}
	}
	return ""
}

// parseList parses nodes up to an {{end}} or {{else}} (returned as term) or
// the end of the file (term nil).
func (p *parser) parseList() (list []node, term *item, err error) {
	for p.i < len(p.items) {
		it := &p.items[p.i]
		p.i++
		if it.action == nil {
			list = append(list, &textNode{it.text})
			continue
		}
		at := pos{p.file, it.line}
		a := trimSpace(it.action)
		if len(a) == 0 {
			return nil, nil, p.errorf(it.line, "missing value for command")
		}
		switch kw := keyword(a); kw {
		case "end", "else":
			return list, it, nil
		case "if", "with", "range":
			n, err := p.parseControl(kw, at, a[1:])
			if err != nil {
				return nil, nil, err
			}
			list = append(list, n)
		case "define":
			if p.depth != 0 || p.set.defining {
				return nil, nil, p.errorf(it.line, "unexpected define inside another template")
			}
			if err := p.parseDefine(at, a[1:]); err != nil {
				return nil, nil, err
			}
		case "template", "block":
			n, err := p.parseTemplate(kw, at, a[1:])
			if err != nil {
				return nil, nil, err
			}
			list = append(list, n)
		case "break", "continue":
			if p.loops == 0 {
				return nil, nil, p.errorf(it.line, "{{%s}} outside {{range}}", kw)
			}
			if len(trimSpace(a[1:])) > 0 {
				return nil, nil, p.errorf(it.line, "unexpected %q in {{%s}}", a[1].val, kw)
			}
			list = append(list, &loopNode{at, kw == "break"})
		default:
			pipe, err := p.parsePipe(at, a, true)
			if err != nil {
				return nil, nil, err
			}
			list = append(list, &printNode{at, pipe})
		}
	}
	return list, nil, nil
}

// parseControl parses if, with or range: a is the action after the keyword.
func (p *parser) parseControl(kind string, at pos, a []token) (node, error) {
	mark := len(p.vars)
	p.depth++
	defer func() { p.vars, p.depth = p.vars[:mark], p.depth-1 }()
	pipe, err := p.parsePipe(at, a, true)
	if err != nil {
		return nil, err
	}
	if kind == "range" {
		if len(pipe.decl) > 2 || pipe.assign && len(pipe.decl) > 0 {
			return nil, p.errorf(at.line, "range can only declare one or two variables with :=")
		}
		p.loops++
	} else if len(pipe.decl) > 1 {
		return nil, p.errorf(at.line, "too many declarations in %s", kind)
	}
	n := &controlNode{pos: at, kind: kind, pipe: pipe}
	n.list, err = p.parseBody(at, kind)
	if kind == "range" {
		p.loops--
	}
	if err != nil {
		return nil, err
	}
	term := &p.items[p.i-1]
	if keyword(term.action) == "end" {
		return n, p.noArgs(term)
	}
	// {{else}}, {{else if ...}} or {{else with ...}}.
	rest := trimSpace(term.action[1:])
	elsePos := pos{p.file, term.line}
	if len(rest) > 0 {
		k := keyword(rest)
		if k != kind || kind == "range" {
			return nil, p.errorf(term.line, "unexpected %q after else", rest[0].val)
		}
		// The nested control shares the outer one's {{end}}.
		inner, err := p.parseControl(k, elsePos, rest[1:])
		if err != nil {
			return nil, err
		}
		n.else_ = []node{inner}
		return n, nil
	}
	n.else_, err = p.parseBody(elsePos, kind+" else")
	if err != nil {
		return nil, err
	}
	if term := &p.items[p.i-1]; keyword(term.action) != "end" {
		return nil, p.errorf(term.line, "expected {{end}}, found a second {{else}}")
	} else {
		return n, p.noArgs(term)
	}
}

// noArgs checks that an {{end}} has nothing after the keyword.
func (p *parser) noArgs(it *item) error {
	if rest := trimSpace(it.action[1:]); len(rest) > 0 {
		return p.errorf(it.line, "unexpected %q in {{end}}", rest[0].val)
	}
	return nil
}

// parseBody parses a list that must end with {{end}} or {{else}}.
func (p *parser) parseBody(at pos, what string) ([]node, error) {
	list, term, err := p.parseList()
	if err != nil {
		return nil, err
	}
	if term == nil {
		return nil, p.errorf(at.line, "unexpected EOF: {{%s}} has no {{end}}", what)
	}
	return list, nil
}

// parseDefine parses {{define "name"}} ... {{end}}.
func (p *parser) parseDefine(at pos, a []token) error {
	a = trimSpace(a)
	if len(a) != 1 || a[0].kind != tString {
		return p.errorf(at.line, "define needs one quoted name")
	}
	name := a[0].val
	p.set.defining = true
	defer func() { p.set.defining = false }()
	list, term, err := p.parseList()
	if err != nil {
		return err
	}
	if term == nil || keyword(term.action) != "end" {
		return p.errorf(at.line, "{{define %q}} has no {{end}}", name)
	}
	if err := p.noArgs(term); err != nil {
		return err
	}
	return p.set.add(name, list, at)
}

// parseTemplate parses {{template "name" [pipe]}} and {{block "name" pipe}}
// ... {{end}}.
func (p *parser) parseTemplate(kw string, at pos, a []token) (node, error) {
	a = trimSpace(a)
	if len(a) == 0 || a[0].kind != tString {
		return nil, p.errorf(at.line, "%s needs a quoted template name", kw)
	}
	n := &templateNode{pos: at, name: a[0].val}
	if rest := trimSpace(a[1:]); len(rest) > 0 {
		pipe, err := p.parsePipe(at, rest, false)
		if err != nil {
			return nil, err
		}
		n.pipe = pipe
	}
	if kw == "block" {
		if n.pipe == nil {
			return nil, p.errorf(at.line, "block %q needs a pipeline", n.name)
		}
		outer := p.vars
		p.vars = []string{"$"}
		defining := p.set.defining
		p.set.defining = true
		list, err := p.parseBody(at, "block")
		p.vars, p.set.defining = outer, defining
		if err != nil {
			return nil, err
		}
		if term := &p.items[p.i-1]; keyword(term.action) != "end" {
			return nil, p.errorf(term.line, "unexpected {{else}} in block")
		}
		if err := p.set.add(n.name, list, at); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// trimSpace drops leading and trailing space tokens.
func trimSpace(a []token) []token {
	for len(a) > 0 && a[0].kind == tSpace {
		a = a[1:]
	}
	for len(a) > 0 && a[len(a)-1].kind == tSpace {
		a = a[:len(a)-1]
	}
	return a
}

// parsePipe parses a pipeline, with its declaration when decl allows one.
func (p *parser) parsePipe(at pos, a []token, decl bool) (*pipeNode, error) {
	a = trimSpace(a)
	pipe := &pipeNode{pos: at}
	// Declarations: $x :=, $x =, $i, $v :=.
	if decl {
		var names []string
		for j := 0; j < len(a) && a[j].kind == tVar; {
			names = append(names, a[j].val)
			k := j + 1
			for k < len(a) && a[k].kind == tSpace {
				k++
			}
			if k < len(a) && a[k].kind == tComma && len(names) == 1 {
				for j = k + 1; j < len(a) && a[j].kind == tSpace; j++ {
				}
				continue
			}
			if k < len(a) && (a[k].kind == tDeclare || a[k].kind == tAssign) {
				pipe.decl, pipe.assign = names, a[k].kind == tAssign
				a = trimSpace(a[k+1:])
			}
			break
		}
	}
	for _, v := range pipe.decl {
		if pipe.assign {
			if !p.hasVar(v) {
				return nil, p.errorf(at.line, "undefined variable %q", v)
			}
		} else {
			if v == "$" {
				return nil, p.errorf(at.line, "cannot declare $")
			}
		}
	}
	// Commands, split at | outside parentheses.
	depth, start := 0, 0
	for j := 0; j <= len(a); j++ {
		if j < len(a) {
			switch a[j].kind {
			case tLParen:
				depth++
				continue
			case tRParen:
				depth--
				if depth < 0 {
					return nil, p.errorf(at.line, "unexpected right paren")
				}
				continue
			case tPipe:
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		if depth > 0 {
			return nil, p.errorf(at.line, "unclosed left paren")
		}
		cmd, err := p.parseCommand(at, trimSpace(a[start:j]))
		if err != nil {
			return nil, err
		}
		pipe.cmds = append(pipe.cmds, cmd)
		start = j + 1
	}
	if !pipe.assign {
		p.vars = append(p.vars, pipe.decl...)
	}
	return pipe, nil
}

func (p *parser) hasVar(name string) bool {
	for _, v := range p.vars {
		if v == name {
			return true
		}
	}
	return false
}

// parseCommand parses the space-separated operands of one command.
func (p *parser) parseCommand(at pos, a []token) (*cmdNode, error) {
	if len(a) == 0 {
		return nil, p.errorf(at.line, "missing command in pipeline")
	}
	cmd := &cmdNode{}
	for len(a) > 0 {
		n, rest, err := p.parseOperand(at, a)
		if err != nil {
			return nil, err
		}
		cmd.args = append(cmd.args, n)
		if len(rest) > 0 && rest[0].kind != tSpace {
			return nil, p.errorf(at.line, "missing space between operands before %q", rest[0].val)
		}
		a = trimSpace(rest)
	}
	return cmd, nil
}

// parseOperand parses one term and the fields that follow it.
func (p *parser) parseOperand(at pos, a []token) (node, []token, error) {
	t := a[0]
	rest := a[1:]
	var n node
	switch t.kind {
	case tField:
		names := []string{t.val}
		for len(rest) > 0 && rest[0].kind == tField {
			names = append(names, rest[0].val)
			rest = rest[1:]
		}
		return &fieldNode{names}, rest, nil
	case tDot:
		n = &dotNode{}
	case tVar:
		if !p.hasVar(t.val) {
			return nil, nil, p.errorf(at.line, "undefined variable %q", t.val)
		}
		n = &varNode{t.val}
	case tString:
		n = &stringNode{t.val}
	case tNumber, tChar:
		num, err := newNumber(t.kind, t.val)
		if err != nil {
			return nil, nil, p.errorf(at.line, "%v", err)
		}
		n = num
	case tIdent:
		switch t.val {
		case "true", "false":
			n = &boolNode{t.val == "true"}
		case "nil":
			n = &nilNode{}
		default:
			if keyword([]token{t}) != "" {
				return nil, nil, p.errorf(at.line, "unexpected keyword %q in operand", t.val)
			}
			if _, ok := p.set.funcs[t.val]; !ok {
				return nil, nil, p.errorf(at.line, "function %q not defined", t.val)
			}
			n = &identNode{t.val}
		}
	case tLParen:
		depth, j := 1, 0
		for j = 0; j < len(rest) && depth > 0; j++ {
			switch rest[j].kind {
			case tLParen:
				depth++
			case tRParen:
				depth--
			}
		}
		pipe, err := p.parsePipe(at, rest[:j-1], false)
		if err != nil {
			return nil, nil, err
		}
		if len(pipe.decl) > 0 {
			return nil, nil, p.errorf(at.line, "declaration inside parentheses")
		}
		n = pipe
		rest = rest[j:]
	default:
		return nil, nil, p.errorf(at.line, "unexpected %q in operand", t.val)
	}
	var names []string
	for len(rest) > 0 && rest[0].kind == tField {
		names = append(names, rest[0].val)
		rest = rest[1:]
	}
	if len(names) > 0 {
		switch n.(type) {
		case *varNode, *pipeNode, *dotNode:
		default:
			return nil, nil, p.errorf(at.line, "unexpected .%s after %q", names[0], t.val)
		}
		n = &chainNode{n, names}
	}
	return n, rest, nil
}
