package lowformer

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestStringList checks the labels metadata parser against encoding/json's
// decoding into []string, which it replaced.
func TestStringList(t *testing.T) {
	for _, s := range []string{`["cat","dog","fish"]`, `[]`, `null`, ` [ "a\u00e9" , "\"q\"" ] `,
		`{"a":"b"}`, `"cat"`, `[1,2]`, `["a",null]`, `["a",]`, ``, `["a"] x`} {
		got, err := stringList(s)
		var want []string
		werr := json.Unmarshal([]byte(s), &want)
		if (err != nil) != (werr != nil) {
			t.Errorf("stringList(%q): error %v, encoding/json %v", s, err, werr)
			continue
		}
		if err == nil && !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("stringList(%q) = %q, encoding/json %q", s, got, want)
		}
	}
	if _, err := labelsFor(map[string]string{MetaLabels: `["a",1]`}, 2); err == nil {
		t.Error("labelsFor accepted a non-string label")
	}
	if l, err := labelsFor(map[string]string{MetaLabels: `["a","b"]`}, 2); err != nil || l[1] != "b" {
		t.Errorf("labelsFor = %q, %v", l, err)
	}
}
