// Package jsonlite reads and writes the little JSON that LowFormer's files
// hold (safetensors headers, the label lists of checkpoint metadata)
// without encoding/json, whose reflection-driven engine is most of a
// megabyte of the browser's wasm.
//
// A Decoder reads one JSON value (RFC 8259) as a stream: the caller walks
// objects and arrays with callbacks and takes the scalars it wants, so
// that nothing but those is allocated (a hostile document of many tiny
// values costs no memory). Strings are decoded as encoding/json decodes
// them (invalid UTF-8 and lone surrogates become U+FFFD). AppendString
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

// maxDepth bounds the nesting of arrays and objects (as encoding/json does).
const maxDepth = 10000

// Decoder reads the JSON value at the start of its input. Each method
// reads one value (or, Object and Array, one container through its
// callback, which must read each member's or element's value exactly
// once); the first error sticks.
type Decoder struct {
	p     parser
	depth int
	err   error
}

// NewDecoder returns a Decoder of data.
func NewDecoder(data []byte) *Decoder {
	d := &Decoder{p: parser{data: data}}
	d.p.space()
	return d
}

// Offset is the offset of the input after what was read and the white
// space after it: where trailing data would begin.
func (d *Decoder) Offset() int { return d.p.i }

func (d *Decoder) fail(err error) error {
	if d.err == nil {
		d.err = err
	}
	return d.err
}

// Peek returns the kind of the next value without reading it.
func (d *Decoder) Peek() (Kind, error) {
	if d.err != nil {
		return 0, d.err
	}
	p := &d.p
	if p.i >= len(p.data) {
		return 0, d.fail(p.errorf("%v", errEOF))
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return Object, nil
	case c == '[':
		return Array, nil
	case c == '"':
		return String, nil
	case c == '-' || c >= '0' && c <= '9':
		return Number, nil
	case c == 'n':
		return Null, nil
	case c == 't' || c == 'f':
		return Bool, nil
	}
	return 0, d.fail(p.errorf("invalid character %q looking for a value", p.data[p.i]))
}

// expect fails unless the next value is of kind k.
func (d *Decoder) expect(k Kind) error {
	got, err := d.Peek()
	if err != nil {
		return err
	}
	if got != k {
		return d.fail(fmt.Errorf("jsonlite: at byte %d: %s where %s was expected", d.p.i, got, k))
	}
	return nil
}

// Null reads a null if one is next and reports whether it did.
func (d *Decoder) Null() bool {
	if k, err := d.Peek(); err != nil || k != Null {
		return false
	}
	_, err := d.literal()
	return err == nil
}

// Bool reads a boolean.
func (d *Decoder) Bool() (bool, error) {
	if err := d.expect(Bool); err != nil {
		return false, err
	}
	return d.literal()
}

// literal reads null, true or false.
func (d *Decoder) literal() (bool, error) {
	p := &d.p
	for _, lit := range []string{"null", "true", "false"} {
		if len(p.data)-p.i >= len(lit) && string(p.data[p.i:p.i+len(lit)]) == lit {
			p.i += len(lit)
			p.space()
			return lit == "true", nil
		}
	}
	return false, d.fail(p.errorf("invalid character %q looking for a value", p.data[p.i]))
}

// String reads a string.
func (d *Decoder) String() (string, error) {
	if err := d.expect(String); err != nil {
		return "", err
	}
	s, err := d.p.str()
	if err != nil {
		return "", d.fail(err)
	}
	d.p.space()
	return s, nil
}

// Number reads a number and returns it as written.
func (d *Decoder) Number() (string, error) {
	if err := d.expect(Number); err != nil {
		return "", err
	}
	s, err := d.p.number()
	if err != nil {
		return "", d.fail(err)
	}
	d.p.space()
	return s, nil
}

// Int64 reads a number that is an integer within int64 (written without
// fraction or exponent).
func (d *Decoder) Int64() (int64, error) {
	s, err := d.Number()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, d.fail(fmt.Errorf("jsonlite: at byte %d: %s is not an integer within int64", d.p.i, s))
	}
	return n, nil
}

// Object reads an object, calling member with each member's name, in
// order (repeated names included), for it to read the value.
func (d *Decoder) Object(member func(name string) error) error {
	if err := d.expect(Object); err != nil {
		return err
	}
	return d.container('}', func() error {
		p := &d.p
		if p.i >= len(p.data) {
			return d.fail(p.errorf("%v", errEOF))
		}
		if p.data[p.i] != '"' {
			return d.fail(p.errorf("invalid character %q looking for an object member name", p.data[p.i]))
		}
		name, err := p.str()
		if err != nil {
			return d.fail(err)
		}
		p.space()
		if p.i >= len(p.data) {
			return d.fail(p.errorf("%v", errEOF))
		}
		if p.data[p.i] != ':' {
			return d.fail(p.errorf("invalid character %q after object member name", p.data[p.i]))
		}
		p.i++
		p.space()
		return d.one(func() error { return member(name) })
	})
}

// Array reads an array, calling elem to read each element.
func (d *Decoder) Array(elem func() error) error {
	if err := d.expect(Array); err != nil {
		return err
	}
	return d.container(']', func() error { return d.one(elem) })
}

// one runs read, which must read exactly one value.
func (d *Decoder) one(read func() error) error {
	start := d.p.i
	if err := read(); err != nil {
		return d.fail(err)
	}
	if d.p.i == start && d.err == nil {
		return d.fail(errors.New("jsonlite: a callback read no value"))
	}
	return nil
}

// container reads the items of an object or array up to end.
func (d *Decoder) container(end byte, item func() error) error {
	p := &d.p
	if d.depth >= maxDepth {
		return d.fail(p.errorf("nesting deeper than %d", maxDepth))
	}
	d.depth++
	defer func() { d.depth-- }()
	p.i++ // { or [
	p.space()
	if p.i < len(p.data) && p.data[p.i] == end {
		p.i++
		p.space()
		return nil
	}
	what := "array element"
	if end == '}' {
		what = "object member value"
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if p.i >= len(p.data) {
			return d.fail(p.errorf("%v", errEOF))
		}
		switch p.data[p.i] {
		case ',':
			p.i++
			p.space()
			if end == ']' && p.i < len(p.data) && p.data[p.i] == ']' {
				return d.fail(p.errorf("invalid character ']' looking for a value"))
			}
		case end:
			p.i++
			p.space()
			return nil
		default:
			return d.fail(p.errorf("invalid character %q after %s", p.data[p.i], what))
		}
	}
}

// Skip reads any value, checking it, and keeps nothing.
func (d *Decoder) Skip() error {
	k, err := d.Peek()
	if err != nil {
		return err
	}
	switch k {
	case Object:
		return d.Object(func(string) error { return d.Skip() })
	case Array:
		return d.Array(d.Skip)
	case String:
		_, err = d.String()
	case Number:
		_, err = d.Number()
	default:
		_, err = d.literal()
	}
	return err
}

type parser struct {
	data []byte
	i    int
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

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (p *parser) number() (string, error) {
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
		return "", p.errorf("invalid number %q", p.data[start:p.i])
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return "", p.errorf("invalid number %q: no digits after the decimal point", p.data[start:p.i])
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return "", p.errorf("invalid number %q: no digits in the exponent", p.data[start:p.i])
		}
	}
	return string(p.data[start:p.i]), nil
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
