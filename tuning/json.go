package tuning

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/lowformer/lowformer-webgpu/internal/jsonlite"
)

// This file is the table's JSON form, written and read with jsonlite
// rather than encoding/json, whose reflection engine would be most of a
// megabyte of the browser's wasm (where tables are imported, exported and
// stored too). Marshal writes what encoding/json's MarshalIndent with a
// one-space indent writes; Parse reads it strictly: unknown members, wrong
// types and trailing data are errors.

// Marshal encodes the table as indented JSON.
func (t *Table) Marshal() ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var w jsonWriter
	w.begin('{')
	w.member("version").int(t.Version)
	w.member("adapter").begin('{')
	for _, f := range []struct{ name, v string }{
		{"vendor", t.Adapter.Vendor}, {"architecture", t.Adapter.Architecture}, {"device", t.Adapter.Device},
		{"description", t.Adapter.Description}, {"backend", t.Adapter.Backend},
	} {
		w.member(f.name).string(f.v)
	}
	w.end('}')
	w.member("set").string(t.Set)
	w.member("entries")
	if t.Entries == nil {
		w.null()
	} else {
		keys := make([]string, 0, len(t.Entries))
		for k := range t.Entries {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w.begin('{')
		for _, k := range keys {
			w.member(k)
			if e := t.Entries[k]; e == nil {
				w.null()
			} else {
				w.entry(e)
			}
		}
		w.end('}')
	}
	w.end('}')
	return w.b, w.err
}

// jsonWriter writes indented JSON (one space a level); the first error
// (a time that is not a finite number) sticks.
type jsonWriter struct {
	b     []byte
	empty []bool // per open container: nothing written in it yet
	err   error
}

func (w *jsonWriter) newline() {
	w.b = append(w.b, '\n')
	for range w.empty {
		w.b = append(w.b, ' ')
	}
}

// next starts an item of the innermost container.
func (w *jsonWriter) next() {
	if n := len(w.empty); n > 0 {
		if !w.empty[n-1] {
			w.b = append(w.b, ',')
		}
		w.empty[n-1] = false
		w.newline()
	}
}

func (w *jsonWriter) begin(c byte) *jsonWriter {
	w.b = append(w.b, c)
	w.empty = append(w.empty, true)
	return w
}

func (w *jsonWriter) end(c byte) {
	n := len(w.empty)
	wasEmpty := w.empty[n-1]
	w.empty = w.empty[:n-1]
	if !wasEmpty {
		w.newline()
	}
	w.b = append(w.b, c)
}

// member starts the member name of the innermost object; its value follows.
func (w *jsonWriter) member(name string) *jsonWriter {
	w.next()
	w.b = append(jsonlite.AppendString(w.b, name), ':', ' ')
	return w
}

func (w *jsonWriter) string(s string) { w.b = jsonlite.AppendString(w.b, s) }
func (w *jsonWriter) int(n int)       { w.b = strconv.AppendInt(w.b, int64(n), 10) }
func (w *jsonWriter) null()           { w.b = append(w.b, "null"...) }

// float writes f as encoding/json does (shortest form, exponent outside
// [1e-6, 1e21)).
func (w *jsonWriter) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if w.err == nil {
			w.err = fmt.Errorf("tuning: unsupported time %v", f)
		}
		w.b = append(w.b, '0')
		return
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	w.b = strconv.AppendFloat(w.b, f, format, -1, 64)
	if n := len(w.b); format == 'e' && n >= 4 && w.b[n-4] == 'e' && w.b[n-3] == '-' && w.b[n-2] == '0' {
		w.b[n-2] = w.b[n-1] // e-09 → e-9
		w.b = w.b[:n-1]
	}
}

func (w *jsonWriter) entry(e *Entry) {
	w.begin('{')
	w.member("default").choice(e.Default)
	w.member("candidates")
	if e.Candidates == nil {
		w.null()
	} else {
		w.begin('[')
		for _, m := range e.Candidates {
			w.next()
			w.begin('{')
			w.member("choice").choice(m.Choice)
			w.member("ms").float(m.Ms)
			w.end('}')
		}
		w.end(']')
	}
	w.member("pending").int(e.Pending)
	w.member("chosen").choice(e.Chosen)
	w.end('}')
}

// choice writes c, leaving out the zero optional members.
func (w *jsonWriter) choice(c Choice) {
	w.begin('{')
	w.member("set").string(c.Set)
	if c.Winograd != 0 {
		w.member("winograd").int(c.Winograd)
	}
	w.member("tm").int(c.TM)
	w.member("tn").int(c.TN)
	w.member("wg").int(c.WG)
	for _, f := range []struct {
		name string
		v    int
	}{{"wm", c.WM}, {"wn", c.WN}, {"ks", c.KS}, {"kc", c.KC}} {
		if f.v != 0 {
			w.member(f.name).int(f.v)
		}
	}
	if c.Tex {
		w.member("tex").b = append(w.b, "true"...)
	}
	w.end('}')
}

// decodeTable reads a table's JSON strictly into t.
func decodeTable(data []byte, t *Table) error {
	d := tableDecoder{dec: jsonlite.NewDecoder(data)}
	err := d.object(func(name string) error {
		switch name {
		case "version":
			return d.int(&t.Version)
		case "adapter":
			a := &t.Adapter
			return d.object(d.strings(map[string]*string{
				"vendor": &a.Vendor, "architecture": &a.Architecture, "device": &a.Device,
				"description": &a.Description, "backend": &a.Backend,
			}))
		case "set":
			return d.string(&t.Set)
		case "entries":
			t.Entries = map[string]*Entry{}
			return d.object(func(key string) error {
				if d.dec.Null() {
					t.Entries[key] = nil
					return nil
				}
				e := &Entry{}
				t.Entries[key] = e
				return d.entry(e)
			})
		}
		return unknownMember("table", name)
	})
	if err != nil {
		return err
	}
	if n := d.dec.Offset(); n < len(data) {
		return fmt.Errorf("%d bytes of trailing data", len(data)-n)
	}
	return nil
}

func unknownMember(in, name string) error {
	return fmt.Errorf("unknown field %q in the %s", name, in)
}

// tableDecoder reads the table's values; null reads as the zero value, as
// encoding/json reads it.
type tableDecoder struct{ dec *jsonlite.Decoder }

func (d tableDecoder) object(member func(string) error) error {
	if d.dec.Null() {
		return nil
	}
	return d.dec.Object(member)
}

func (d tableDecoder) string(s *string) error {
	if d.dec.Null() {
		return nil
	}
	v, err := d.dec.String()
	*s = v
	return err
}

func (d tableDecoder) int(n *int) error {
	if d.dec.Null() {
		return nil
	}
	v, err := d.dec.Int64()
	if err == nil && int64(int(v)) != v {
		err = fmt.Errorf("%d overflows an int", v)
	}
	*n = int(v)
	return err
}

// strings reads an object of the string members named in fields.
func (d tableDecoder) strings(fields map[string]*string) func(string) error {
	return func(name string) error {
		if s, ok := fields[name]; ok {
			return d.string(s)
		}
		return unknownMember("adapter", name)
	}
}

func (d tableDecoder) entry(e *Entry) error {
	return d.object(func(name string) error {
		switch name {
		case "default":
			return d.choice(&e.Default)
		case "chosen":
			return d.choice(&e.Chosen)
		case "pending":
			return d.int(&e.Pending)
		case "candidates":
			if d.dec.Null() {
				e.Candidates = nil
				return nil
			}
			e.Candidates = []Measured{}
			return d.dec.Array(func() error {
				var m Measured
				err := d.object(func(name string) error {
					switch name {
					case "choice":
						return d.choice(&m.Choice)
					case "ms":
						if d.dec.Null() {
							return nil
						}
						s, err := d.dec.Number()
						if err == nil {
							m.Ms, err = strconv.ParseFloat(s, 64)
						}
						return err
					}
					return unknownMember("candidate", name)
				})
				e.Candidates = append(e.Candidates, m)
				return err
			})
		}
		return unknownMember("entry", name)
	})
}

func (d tableDecoder) choice(c *Choice) error {
	ints := map[string]*int{"winograd": &c.Winograd, "tm": &c.TM, "tn": &c.TN, "wg": &c.WG, "wm": &c.WM, "wn": &c.WN, "ks": &c.KS, "kc": &c.KC}
	return d.object(func(name string) error {
		if n, ok := ints[name]; ok {
			return d.int(n)
		}
		switch name {
		case "set":
			return d.string(&c.Set)
		case "tex":
			if d.dec.Null() {
				return nil
			}
			v, err := d.dec.Bool()
			c.Tex = v
			return err
		}
		return unknownMember("choice", name)
	})
}
