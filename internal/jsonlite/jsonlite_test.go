package jsonlite

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// decodeAny reads a value into what encoding/json decodes into any
// (numbers as json.Number), so that the two decoders can be compared.
func decodeAny(d *Decoder) (any, error) {
	k, err := d.Peek()
	if err != nil {
		return nil, err
	}
	switch k {
	case Null:
		d.Null()
		return nil, d.err
	case Bool:
		return d.Bool()
	case Number:
		n, err := d.Number()
		return json.Number(n), err
	case String:
		return d.String()
	case Array:
		out := []any{}
		err := d.Array(func() error {
			v, err := decodeAny(d)
			out = append(out, v)
			return err
		})
		return out, err
	}
	out := map[string]any{}
	err = d.Object(func(name string) error {
		v, err := decodeAny(d)
		out[name] = v // the last of repeated names, as encoding/json
		return err
	})
	return out, err
}

// parse decodes data as one value with nothing but white space after it.
func parse(data []byte) (any, error) {
	d := NewDecoder(data)
	v, err := decodeAny(d)
	if err != nil {
		return nil, err
	}
	if d.Offset() < len(data) {
		return nil, fmt.Errorf("at byte %d: invalid character %q after the top-level value", d.Offset(), data[d.Offset()])
	}
	return v, nil
}

// TestParseMatchesEncodingJSON parses valid documents with both parsers.
func TestParseMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `12`, `-3.5e+10`, `1E-2`, `0.25`,
		` {"a" : [1, 2, {"b": null}], "c": "x"} `,
		`{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}`,
		`"esc: \" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20ac \ud83d\ude00"`,
		`"lone surrogates: \ud800 x \udc00 \ud800\u0041 \ud800\ud800"`,
		"\"raw utf-8: é € 😀\"",
		"\"invalid utf-8: \xff\xfe x \xc3\"",
		`{"a":1,"a":2}`,
		`[[[[[]]]], {"": ""}]`,
		"\t\r\n[1]\n",
	}
	for _, d := range docs {
		got, err := parse([]byte(d))
		if err != nil {
			t.Errorf("parse(%q): %v", d, err)
			continue
		}
		dec := json.NewDecoder(strings.NewReader(d))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json cannot parse %q: %v", d, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("parse(%q) = %#v, encoding/json %#v", d, got, want)
		}
		// Skip reads the same extent.
		sk := NewDecoder([]byte(d))
		if err := sk.Skip(); err != nil || sk.Offset() != len(d) {
			t.Errorf("Skip of %q: offset %d, %v", d, sk.Offset(), err)
		}
	}
}

// TestDecoderOrderAndInt64 checks member order, duplicates, Int64 and
// the kind checks.
func TestDecoderOrderAndInt64(t *testing.T) {
	doc := []byte(`{"z":1,"a":-9223372036854775808,"z":[],"s":"x"} `)
	d := NewDecoder(doc)
	var names []string
	var a int64
	err := d.Object(func(name string) error {
		names = append(names, name)
		if name == "a" {
			var err error
			a, err = d.Int64()
			return err
		}
		return d.Skip()
	})
	if err != nil || strings.Join(names, ",") != "z,a,z,s" || a != -1<<63 || d.Offset() != len(doc) {
		t.Fatalf("names %v, a %d, offset %d, %v", names, a, d.Offset(), err)
	}
	for _, bad := range []string{`1.5`, `1e3`, `9223372036854775808`, `"1"`, `null`} {
		if _, err := NewDecoder([]byte(bad)).Int64(); err == nil {
			t.Errorf("Int64 of %s: no error", bad)
		}
	}
	if _, err := NewDecoder([]byte(`5`)).String(); err == nil || !strings.Contains(err.Error(), "number where string was expected") {
		t.Errorf("String of a number: %v", err)
	}
	if err := NewDecoder([]byte(`[1]`)).Object(func(string) error { return nil }); err == nil || !strings.Contains(err.Error(), "array where object was expected") {
		t.Errorf("Object of an array: %v", err)
	}
	if err := NewDecoder([]byte(`[1]`)).Array(func() error { return nil }); err == nil || !strings.Contains(err.Error(), "read no value") {
		t.Errorf("a callback that reads nothing: %v", err)
	}
	if !NewDecoder([]byte(`null`)).Null() || NewDecoder([]byte(`0`)).Null() {
		t.Error("Null")
	}
}

// TestDecoderAllocatesNothingForSkippedValues checks that a document of
// many tiny values costs no memory when skipped.
func TestDecoderAllocatesNothingForSkippedValues(t *testing.T) {
	doc := []byte("[" + strings.Repeat("0,[],{},", 100000) + "0]")
	allocs := testing.AllocsPerRun(3, func() {
		if err := NewDecoder(doc).Skip(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 5 {
		t.Errorf("skipping 300 000 values allocates %v times", allocs)
	}
}

// TestParseErrors checks that invalid documents fail with the offset and
// what is wrong, as encoding/json also rejects them.
func TestParseErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{``, "unexpected end"},
		{`{"a":`, "unexpected end"},
		{`{"a" 1}`, "after object member name"},
		{`{"a":1,}`, "looking for an object member name"},
		{`{a:1}`, "looking for an object member name"},
		{`[1,]`, "looking for a value"},
		{`[1 2]`, "after array element"},
		{`{"a":1 "b":2}`, "after object member value"},
		{`01`, "after the top-level value"},
		{`-`, "invalid number"},
		{`1.`, "no digits after the decimal point"},
		{`1e`, "no digits in the exponent"},
		{`+1`, "looking for a value"},
		{`nul`, "looking for a value"},
		{`"abc`, "unexpected end"},
		{"\"a\nb\"", "invalid control character"},
		{`"\x"`, `invalid escape \x`},
		{`"\u12"`, "unexpected end"},
		{`"\u12g4"`, "invalid \\u escape"},
		{`{} x`, "at byte 3: invalid character 'x' after the top-level value"},
		{`[1,]`, "looking for a value"},
		{`{"a":1}}`, "after the top-level value"},
		{strings.Repeat("[", maxDepth+1), "nesting deeper than"},
	}
	for _, tt := range tests {
		_, err := parse([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parse(%q) error %v, want one containing %q", tt.doc, err, tt.want)
		}
		var x any
		if json.Unmarshal([]byte(tt.doc), &x) == nil {
			t.Errorf("encoding/json accepts %q, which the Decoder rejects", tt.doc)
		}
	}
}

// TestAppendStringMatchesMarshal checks the string encoding byte for byte
// against encoding/json's Marshal.
func TestAppendStringMatchesMarshal(t *testing.T) {
	var all strings.Builder
	for r := rune(0); r < 0x300; r++ {
		all.WriteRune(r)
	}
	for _, s := range []string{"", "plain", `q"b\s/`, "<a href='x'>&amp;</a>", "\b\f\n\r\t\x00\x01\x1f\x7f",
		"line\u2028para\u2029", "é€😀", "bad \xff\xfe utf-8 \xc3", "\ufffd", all.String(), `{"n":[1]}`} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, encoding/json %s", s, got, want)
		}
		// And it reads back (invalid UTF-8 as U+FFFD, as encoding/json).
		v, err := NewDecoder(AppendString([]byte("x"), s)[1:]).String()
		var back string
		json.Unmarshal(want, &back)
		if err != nil || v != back {
			t.Errorf("round trip of %q: %q, %v; encoding/json %q", s, v, err, back)
		}
	}
}
