//go:build !js

package tuning

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Marshal encodes the table as indented JSON.
func (t *Table) Marshal() ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return json.MarshalIndent(t, "", " ")
}

// Parse decodes a table and checks it: the version, the adapter and
// every entry's chosen choice being one of its measured candidates.
func Parse(data []byte) (*Table, error) {
	var t Table
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%w: not a tuning table: %v", ErrBadTable, err)
	}
	if t.Version != Version {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrBadTable, t.Version, Version)
	}
	if t.Adapter == (Adapter{}) {
		return nil, fmt.Errorf("%w: no adapter identity", ErrBadTable)
	}
	if t.Entries == nil {
		t.Entries = map[string]*Entry{}
	}
	for k, e := range t.Entries {
		if e == nil {
			return nil, fmt.Errorf("%w: key %q has no entry", ErrBadTable, k)
		}
		if len(e.Candidates) == 0 {
			continue
		}
		ok := false
		for _, m := range e.Candidates {
			if !(m.Ms > 0) {
				return nil, fmt.Errorf("%w: key %q: candidate %s has time %v ms", ErrBadTable, k, m.Choice, m.Ms)
			}
			ok = ok || m.Choice == e.Chosen
		}
		if !ok {
			return nil, fmt.Errorf("%w: key %q: chosen %s is not among its measured candidates", ErrBadTable, k, e.Chosen)
		}
	}
	return &t, nil
}

// Load reads and parses the table in file path.
func Load(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tuning: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("tuning: %s: %w", path, err)
	}
	return t, nil
}

// Save writes the table to path atomically: to a temporary file in the
// same folder (created if missing), then renamed over path, so a reader
// never sees half a table.
func (t *Table) Save(path string) error {
	data, err := t.Marshal()
	if err != nil {
		return fmt.Errorf("tuning: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tuning: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tuning-*.json")
	if err != nil {
		return fmt.Errorf("tuning: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(data, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("tuning: saving %s: %w", path, err)
	}
	return nil
}
