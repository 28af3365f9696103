// Package jsonlite reads and writes the little JSON that LowFormer's files
// hold (safetensors headers, the label lists of checkpoint metadata)
// without encoding/json, whose reflection-driven engine is most of a
// megabyte of the browser's wasm.
//
// Parse reads one JSON value (RFC 8259) into a tree that keeps object
// members in order, duplicates included; strings are decoded as
// encoding/json decodes them (invalid UTF-8 becomes U+FFFD). AppendString
// writes a string byte for byte as encoding/json's Marshal does.
package jsonlite

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the kind of a JSON value.
type Kind int

// The kinds of JSON values.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"null", "boolean", "number", "string", "array", "object"}

// String names the kind as JSON does ("object", "number", ...).
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Value is a parsed JSON value.
type Value struct {
	Kind    Kind
	Bool    bool     // a Bool's value
	Text    string   // a String's decoded text, or a Number as written
	Items   []Value  // an Array's elements
	Members []Member // an Object's members, in order
}

// Member is one name/value pair of an object.
type Member struct {
	Name  string
	Value Value
}

// Int64 returns a Number that is an integer within int64 (written without
// fraction or exponent).
func (v Value) Int64() (int64, error) {
	if v.Kind != Number {
		return 0, fmt.Errorf("%s is not a number", v.Kind)
	}
	n, err := strconv.ParseInt(v.Text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not an integer within int64", v.Text)
	}
	return n, nil
}

// maxDepth bounds the nesting of arrays and objects (as encoding/json does).
const maxDepth = 10000

// Parse reads data as one JSON value, surrounded by nothing but white space.
func Parse(data []byte) (Value, error) {
	v, n, err := ParsePrefix(data, 0)
	if err != nil {
		return Value{}, err
	}
	if n < len(data) {
		return Value{}, fmt.Errorf("jsonlite: at byte %d: invalid character %q after the top-level value", n, data[n])
	}
	return v, nil
}

// ParsePrefix reads the JSON value at the start of data (after white
// space) and returns it and the offset after it and the white space that
// follows. With maxValues > 0, a document of more values (each scalar,
// array and object counts one) is an error, which bounds what a hostile
// document can make the parser allocate (about 100 bytes a value).
func ParsePrefix(data []byte, maxValues int) (v Value, n int, err error) {
	p := &parser{data: data, max: maxValues}
	p.space()
	v, err = p.value(0)
	if err != nil {
		return Value{}, 0, err
	}
	p.space()
	return v, p.i, nil
}

type parser struct {
	data  []byte
	i     int
	count int // values read
	max   int // bound on count, if > 0
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("jsonlite: at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

var errEOF = errors.New("unexpected end of JSON input")

func (p *parser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if p.i >= len(p.data) {
		return Value{}, p.errorf("%v", errEOF)
	}
	if p.count++; p.max > 0 && p.count > p.max {
		return Value{}, p.errorf("more than %d values", p.max)
	}
	switch c := p.data[p.i]; {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return Value{}, p.errorf("nesting deeper than %d", maxDepth)
		}
		if c == '{' {
			return p.object(depth + 1)
		}
		return p.array(depth + 1)
	case c == '"':
		s, err := p.str()
		return Value{Kind: String, Text: s}, err
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, lit := range []struct {
		text string
		v    Value
	}{{"null", Value{Kind: Null}}, {"true", Value{Kind: Bool, Bool: true}}, {"false", Value{Kind: Bool}}} {
		if len(p.data)-p.i >= len(lit.text) && string(p.data[p.i:p.i+len(lit.text)]) == lit.text {
			p.i += len(lit.text)
			return lit.v, nil
		}
	}
	return Value{}, p.errorf("invalid character %q looking for a value", p.data[p.i])
}

func (p *parser) object(depth int) (Value, error) {
	p.i++ // {
	v := Value{Kind: Object, Members: []Member{}}
	p.space()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		p.space()
		if p.i >= len(p.data) {
			return Value{}, p.errorf("%v", errEOF)
		}
		if p.data[p.i] != '"' {
			return Value{}, p.errorf("invalid character %q looking for an object member name", p.data[p.i])
		}
		name, err := p.str()
		if err != nil {
			return Value{}, err
		}
		p.space()
		if p.i >= len(p.data) {
			return Value{}, p.errorf("%v", errEOF)
		}
		if p.data[p.i] != ':' {
			return Value{}, p.errorf("invalid character %q after object member name", p.data[p.i])
		}
		p.i++
		p.space()
		val, err := p.value(depth)
		if err != nil {
			return Value{}, err
		}
		v.Members = append(v.Members, Member{name, val})
		p.space()
		if p.i >= len(p.data) {
			return Value{}, p.errorf("%v", errEOF)
		}
		switch p.data[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return v, nil
		default:
			return Value{}, p.errorf("invalid character %q after object member value", p.data[p.i])
		}
	}
}

func (p *parser) array(depth int) (Value, error) {
	p.i++ // [
	v := Value{Kind: Array, Items: []Value{}}
	p.space()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		p.space()
		item, err := p.value(depth)
		if err != nil {
			return Value{}, err
		}
		v.Items = append(v.Items, item)
		p.space()
		if p.i >= len(p.data) {
			return Value{}, p.errorf("%v", errEOF)
		}
		switch p.data[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return v, nil
		default:
			return Value{}, p.errorf("invalid character %q after array element", p.data[p.i])
		}
	}
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (p *parser) number() (Value, error) {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.data[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.data) && p.data[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return Value{}, p.errorf("invalid number %q", p.data[start:p.i])
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return Value{}, p.errorf("invalid number %q: no digits after the decimal point", p.data[start:p.i])
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return Value{}, p.errorf("invalid number %q: no digits in the exponent", p.data[start:p.i])
		}
	}
	return Value{Kind: Number, Text: string(p.data[start:p.i])}, nil
}

// str decodes a string, p.i at its opening quote.
func (p *parser) str() (string, error) {
	p.i++ // "
	start := p.i
	// Fast path: no escapes, valid UTF-8.
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c == '"' {
			s := p.data[start:p.i]
			if utf8.Valid(s) {
				p.i++
				return string(s), nil
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.i++
	}
	p.i = start
	var b []byte
	for {
		if p.i >= len(p.data) {
			return "", p.errorf("%v in a string", errEOF)
		}
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), nil
		case c < 0x20:
			return "", p.errorf("invalid control character %q in a string", c)
		case c == '\\':
			if p.i+1 >= len(p.data) {
				return "", p.errorf("%v in a string escape", errEOF)
			}
			e := p.data[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					// A pair, or else U+FFFD (as encoding/json).
					r2 := rune(-1)
					if save := p.i; p.i+1 < len(p.data) && p.data[p.i] == '\\' && p.data[p.i+1] == 'u' {
						p.i += 2
						if r2, err = p.hex4(); err != nil {
							return "", err
						}
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r, r2 = d, -1
						} else {
							p.i = save // the second escape stands alone
							r2 = -1
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", p.errorf("invalid escape \\%c in a string", e)
			}
		default:
			r, size := utf8.DecodeRune(p.data[p.i:])
			b = utf8.AppendRune(b, r) // invalid bytes become U+FFFD
			p.i += size
		}
	}
}

func (p *parser) hex4() (rune, error) {
	if p.i+4 > len(p.data) {
		return 0, p.errorf("%v in a \\u escape", errEOF)
	}
	n, err := strconv.ParseUint(string(p.data[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, p.errorf("invalid \\u escape %q", p.data[p.i:p.i+4])
	}
	p.i += 4
	return rune(n), nil
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped as encoding/json's
// Marshal escapes it: the short escapes \b \f \n \r \t \" \\, other
// control characters and <, >, & as \u00XX, U+2028 and U+2029 as \u2028
// and \u2029, and each invalid UTF-8 byte as U+FFFD (the character).
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, "\ufffd"...) // the character itself, not an escape
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
