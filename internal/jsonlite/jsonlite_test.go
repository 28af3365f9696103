package jsonlite

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// toAny converts a parsed value to what encoding/json decodes into any
// (numbers as json.Number), so that the two parsers can be compared.
func toAny(v Value) any {
	switch v.Kind {
	case Null:
		return nil
	case Bool:
		return v.Bool
	case Number:
		return json.Number(v.Text)
	case String:
		return v.Text
	case Array:
		out := make([]any, len(v.Items))
		for i, it := range v.Items {
			out[i] = toAny(it)
		}
		return out
	}
	out := map[string]any{}
	for _, m := range v.Members {
		out[m.Name] = toAny(m.Value) // the last of repeated names, as encoding/json
	}
	return out
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
		got, err := Parse([]byte(d))
		if err != nil {
			t.Errorf("Parse(%q): %v", d, err)
			continue
		}
		dec := json.NewDecoder(strings.NewReader(d))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json cannot parse %q: %v", d, err)
		}
		if !reflect.DeepEqual(toAny(got), want) {
			t.Errorf("Parse(%q) = %#v, encoding/json %#v", d, toAny(got), want)
		}
	}
}

// TestParseOrderAndInt64 checks member order, duplicates and Int64.
func TestParseOrderAndInt64(t *testing.T) {
	v, err := Parse([]byte(`{"z":1,"a":-9223372036854775808,"z":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Members) != 3 || v.Members[0].Name != "z" || v.Members[1].Name != "a" || v.Members[2].Name != "z" {
		t.Fatalf("members %+v", v.Members)
	}
	if n, err := v.Members[1].Value.Int64(); err != nil || n != -1<<63 {
		t.Errorf("Int64 = %d, %v", n, err)
	}
	if v.Members[2].Value.Items == nil {
		t.Error("[] parsed to a nil slice; callers tell [] from null by it")
	}
	for _, bad := range []string{`1.5`, `1e3`, `9223372036854775808`, `"1"`} {
		v, err := Parse([]byte(bad))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Int64(); err == nil {
			t.Errorf("Int64 of %s: no error", bad)
		}
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
		{strings.Repeat("[", maxDepth+1), "nesting deeper than"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error %v, want one containing %q", tt.doc, err, tt.want)
		}
		var x any
		if json.Unmarshal([]byte(tt.doc), &x) == nil {
			t.Errorf("encoding/json accepts %q, which Parse rejects", tt.doc)
		}
	}
}

// TestParsePrefixLimit checks the value cap and the offset after a value.
func TestParsePrefixLimit(t *testing.T) {
	if _, _, err := ParsePrefix([]byte(`[1,2,3]`), 4); err != nil {
		t.Errorf("4 values under a cap of 4: %v", err)
	}
	if _, _, err := ParsePrefix([]byte(`[1,2,3,4]`), 4); err == nil || !strings.Contains(err.Error(), "more than 4 values") {
		t.Errorf("5 values under a cap of 4: %v", err)
	}
	_, n, err := ParsePrefix([]byte(" {} \n x"), 0)
	if err != nil || n != 6 {
		t.Errorf("ParsePrefix offset %d, %v; want 6", n, err)
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
		v, err := Parse(AppendString([]byte("x"), s)[1:])
		var back string
		json.Unmarshal(want, &back)
		if err != nil || v.Text != back {
			t.Errorf("round trip of %q: %q, %v; encoding/json %q", s, v.Text, err, back)
		}
	}
}
