package tuning

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/lowformer/lowformer-webgpu/internal/jsonlite"
)

// The table's JSON is read and written with internal/jsonlite, not
// encoding/json, so that the browser build, which reads and writes tables
// (IndexedDB, import and export), does not link encoding/json's engine
// (most of a megabyte of wasm). The output is what encoding/json's
// MarshalIndent(t, "", " ") writes; the input is checked as strictly as a
// json.Decoder with DisallowUnknownFields (member names match exactly).

// marshal appends t as indented JSON to b.
func (t *Table) marshal(b []byte) []byte {
	w := writer{b: b}
	w.open('{')
	w.member("version").int(t.Version)
	w.member("adapter").adapter(t.Adapter)
	w.member("set").str(t.Set)
	w.member("entries")
	if t.Entries == nil {
		w.raw("null")
	} else {
		keys := make([]string, 0, len(t.Entries))
		for k := range t.Entries {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w.open('{')
		for _, k := range keys {
			w.member(k).entry(t.Entries[k])
		}
		w.close('}')
	}
	w.close('}')
	return w.b
}

// writer writes indented JSON (one space a level, as MarshalIndent with
// indent " ").
type writer struct {
	b     []byte
	depth int
	first bool // no member or element written yet at this level
}

func (w *writer) newline() {
	w.b = append(w.b, '\n')
	for range w.depth {
		w.b = append(w.b, ' ')
	}
}

func (w *writer) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first = true
}

func (w *writer) close(c byte) {
	w.depth--
	if !w.first { // an empty object or array stays {} or []
		w.newline()
	}
	w.b = append(w.b, c)
	w.first = false
}

func (w *writer) item() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.newline()
}

func (w *writer) member(name string) *writer {
	w.item()
	w.b = jsonlite.AppendString(w.b, name)
	w.b = append(w.b, ':', ' ')
	return w
}

func (w *writer) raw(s string) { w.b = append(w.b, s...) }
func (w *writer) str(s string) { w.b = jsonlite.AppendString(w.b, s) }
func (w *writer) int(i int)    { w.b = strconv.AppendInt(w.b, int64(i), 10) }

// float writes f as encoding/json does: the shortest form, with an
// exponent only below 1e-6 or from 1e21 on.
func (w *writer) float(f float64) {
	abs, format := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	n := len(w.b)
	w.b = strconv.AppendFloat(w.b, f, format, -1, 64)
	if format == 'e' { // e-07 → e-7, as encoding/json
		if m := len(w.b) - n; m >= 4 && w.b[len(w.b)-4] == 'e' && w.b[len(w.b)-3] == '-' && w.b[len(w.b)-2] == '0' {
			w.b[len(w.b)-2] = w.b[len(w.b)-1]
			w.b = w.b[:len(w.b)-1]
		}
	}
}

func (w *writer) adapter(a Adapter) {
	w.open('{')
	w.member("vendor").str(a.Vendor)
	w.member("architecture").str(a.Architecture)
	w.member("device").str(a.Device)
	w.member("description").str(a.Description)
	w.member("backend").str(a.Backend)
	w.close('}')
}

func (w *writer) choice(c Choice) {
	w.open('{')
	w.member("set").str(c.Set)
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
		w.member("tex").raw("true")
	}
	w.close('}')
}

func (w *writer) entry(e *Entry) {
	if e == nil {
		w.raw("null")
		return
	}
	w.open('{')
	w.member("default").choice(e.Default)
	w.member("candidates")
	if e.Candidates == nil {
		w.raw("null")
	} else {
		w.open('[')
		for _, m := range e.Candidates {
			w.item()
			w.open('{')
			w.member("choice").choice(m.Choice)
			w.member("ms").float(m.Ms)
			w.close('}')
		}
		w.close(']')
	}
	w.member("pending").int(e.Pending)
	w.member("chosen").choice(e.Chosen)
	w.close('}')
}

// decode reads a table from data (one JSON object, nothing after it).
func decode(data []byte) (*Table, error) {
	d := jsonlite.NewDecoder(data)
	t := &Table{}
	if err := d.Object(func(name string) error {
		switch name {
		case "version":
			return readInt(d, &t.Version)
		case "adapter":
			return readAdapter(d, &t.Adapter)
		case "set":
			return readString(d, &t.Set)
		case "entries":
			if d.Null() {
				t.Entries = nil
				return nil
			}
			t.Entries = map[string]*Entry{}
			return d.Object(func(key string) error {
				if d.Null() {
					t.Entries[key] = nil
					return nil
				}
				e := &Entry{}
				t.Entries[key] = e
				return readEntry(d, e)
			})
		}
		return unknownField(name)
	}); err != nil {
		return nil, err
	}
	if d.Offset() != len(data) {
		return nil, fmt.Errorf("invalid character %q after the table", data[d.Offset()])
	}
	return t, nil
}

func unknownField(name string) error { return fmt.Errorf("unknown field %q", name) }

// readInt reads an integer (or null, which leaves *v).
func readInt(d *jsonlite.Decoder, v *int) error {
	if d.Null() {
		return nil
	}
	i, err := d.Int64()
	if err != nil {
		return err
	}
	if i != int64(int(i)) || i > math.MaxInt32 || i < math.MinInt32 {
		return fmt.Errorf("number %d out of range", i)
	}
	*v = int(i)
	return nil
}

func readString(d *jsonlite.Decoder, v *string) error {
	if d.Null() {
		return nil
	}
	s, err := d.String()
	*v = s
	return err
}

func readBool(d *jsonlite.Decoder, v *bool) error {
	if d.Null() {
		return nil
	}
	b, err := d.Bool()
	*v = b
	return err
}

func readFloat(d *jsonlite.Decoder, v *float64) error {
	if d.Null() {
		return nil
	}
	s, err := d.Number()
	if err != nil {
		return err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return fmt.Errorf("number %s out of range", s)
		}
		return err
	}
	*v = f
	return nil
}

func readAdapter(d *jsonlite.Decoder, a *Adapter) error {
	if d.Null() {
		return nil
	}
	return d.Object(func(name string) error {
		switch name {
		case "vendor":
			return readString(d, &a.Vendor)
		case "architecture":
			return readString(d, &a.Architecture)
		case "device":
			return readString(d, &a.Device)
		case "description":
			return readString(d, &a.Description)
		case "backend":
			return readString(d, &a.Backend)
		}
		return unknownField(name)
	})
}

func readChoice(d *jsonlite.Decoder, c *Choice) error {
	if d.Null() {
		return nil
	}
	return d.Object(func(name string) error {
		switch name {
		case "set":
			return readString(d, &c.Set)
		case "winograd":
			return readInt(d, &c.Winograd)
		case "tm":
			return readInt(d, &c.TM)
		case "tn":
			return readInt(d, &c.TN)
		case "wg":
			return readInt(d, &c.WG)
		case "wm":
			return readInt(d, &c.WM)
		case "wn":
			return readInt(d, &c.WN)
		case "ks":
			return readInt(d, &c.KS)
		case "kc":
			return readInt(d, &c.KC)
		case "tex":
			return readBool(d, &c.Tex)
		}
		return unknownField(name)
	})
}

func readEntry(d *jsonlite.Decoder, e *Entry) error {
	return d.Object(func(name string) error {
		switch name {
		case "default":
			return readChoice(d, &e.Default)
		case "chosen":
			return readChoice(d, &e.Chosen)
		case "pending":
			return readInt(d, &e.Pending)
		case "candidates":
			if d.Null() {
				e.Candidates = nil
				return nil
			}
			e.Candidates = []Measured{}
			return d.Array(func() error {
				var m Measured
				err := d.Object(func(name string) error {
					switch name {
					case "choice":
						return readChoice(d, &m.Choice)
					case "ms":
						return readFloat(d, &m.Ms)
					}
					return unknownField(name)
				})
				e.Candidates = append(e.Candidates, m)
				return err
			})
		}
		return unknownField(name)
	})
}
