package labels

import (
	"sort"
	"strings"
	"testing"
)

func TestCountAndNoEmpties(t *testing.T) {
	if len(ImageNet) != 1000 || len(WNID) != 1000 {
		t.Fatalf("got %d names and %d WNIDs, want 1000", len(ImageNet), len(WNID))
	}
	seen := map[string]bool{}
	for i := range ImageNet {
		if strings.TrimSpace(ImageNet[i]) == "" || ImageNet[i] != strings.TrimSpace(ImageNet[i]) {
			t.Errorf("class %d has a blank or padded name %q", i, ImageNet[i])
		}
		if len(WNID[i]) != 9 || WNID[i][0] != 'n' || seen[WNID[i]] {
			t.Errorf("class %d has a malformed or repeated WNID %q", i, WNID[i])
		}
		seen[WNID[i]] = true
	}
}

// TestIndexOrderIsSortedWNIDs checks the defining property of the index
// order: ImageFolder sorts the WNID folder names.
func TestIndexOrderIsSortedWNIDs(t *testing.T) {
	if !sort.StringsAreSorted(WNID[:]) {
		t.Error("WNIDs are not in sorted order")
	}
}

func TestKnownClasses(t *testing.T) {
	cases := []struct {
		i     int
		wnid  string
		name  string // must appear in ImageNet[i]
		short string
	}{
		{0, "n01440764", "tench", "tench"},
		{1, "n01443537", "goldfish", "goldfish"},
		{8, "n01514859", "hen", "hen"},
		{134, "n02012849", "crane", "crane"},
		{207, "n02099601", "golden retriever", "golden retriever"},
		{281, "n02123045", "tabby cat", "tabby"},
		{398, "n02666196", "abacus", "abacus"},
		{517, "n03126707", "crane", "crane"},
		{815, "n04275548", "spider web", "spider web"},
		{999, "n15075141", "toilet tissue", "toilet tissue"},
	}
	for _, c := range cases {
		if WNID[c.i] != c.wnid || !strings.Contains(Name(c.i), c.name) || Short(c.i) != c.short {
			t.Errorf("class %d: WNID %q name %q short %q, want %q containing %q, short %q",
				c.i, WNID[c.i], Name(c.i), Short(c.i), c.wnid, c.name, c.short)
		}
	}
}

func TestOutOfRange(t *testing.T) {
	for _, i := range []int{-1, 1000, 1 << 40} {
		if got := Name(i); !strings.HasPrefix(got, "class ") {
			t.Errorf("Name(%d) = %q", i, got)
		}
		if got := Short(i); !strings.HasPrefix(got, "class ") {
			t.Errorf("Short(%d) = %q", i, got)
		}
	}
}
