package model

import (
	"fmt"
	"slices"
	"strings"
)

// Config describes one LowFormer network (spec §1, §3).
type Config struct {
	// Name is the variant's display name ("B0", "B1.5", "E3", ...) or
	// "custom" for a configuration that is not a released model.
	Name string `json:"name"`
	// Widths are W0..W4: the stem width and the widths of stages 1-4.
	Widths [5]int `json:"widths"`
	// Depths are D0..D4: the extra stem blocks, all blocks of stages 1-2
	// (the stride-2 one included), and the LowFormer blocks of stages 3-4
	// (their stride-2 downsampler not counted).
	Depths [5]int `json:"depths"`
	// StemExpand is the expand ratio of the stem blocks (unused when D0 = 0).
	StemExpand int `json:"stem_expand"`
	// Stage12Expand and Stage34Expand are the expand ratios of the stride-2
	// blocks of stages 1-2 and of stages 3-4 (applied to the input width).
	Stage12Expand int `json:"stage12_expand"`
	Stage34Expand int `json:"stage34_expand"`
	// Head holds the head widths h0 (1×1 conv) and h1 (first linear).
	Head [2]int `json:"head"`
	// Attention: LowFormer blocks have the attention branch (not E1/E2).
	Attention bool `json:"attention"`
	// MLP: LowFormer blocks have GroupNorm pre-norms and the MLP branch
	// (B-series). It requires Attention.
	MLP bool `json:"mlp"`
	// Classes is the number of logits.
	Classes int `json:"classes"`
}

// CustomName is the Name of a configuration that is not a released model.
const CustomName = "custom"

// builtins are the released variants (spec §1 and reference_forward.py's
// CFG), keyed by their official config name.
var builtins = []struct {
	key string
	cfg Config
}{
	{"b0", Config{"B0", [5]int{16, 32, 64, 128, 256}, [5]int{0, 1, 1, 3, 4}, 2, 4, 4, [2]int{1536, 1600}, true, true, 1000}},
	{"b1", Config{"B1", [5]int{16, 32, 64, 128, 256}, [5]int{0, 1, 1, 5, 5}, 2, 6, 6, [2]int{1536, 1600}, true, true, 1000}},
	{"b15", Config{"B1.5", [5]int{20, 40, 80, 160, 320}, [5]int{0, 1, 1, 6, 6}, 2, 6, 6, [2]int{2304, 2560}, true, true, 1000}},
	{"b3", Config{"B3", [5]int{32, 64, 128, 256, 512}, [5]int{1, 2, 3, 6, 6}, 4, 6, 6, [2]int{1536, 1600}, true, true, 1000}},
	{"E1", Config{"E1", [5]int{20, 40, 80, 160, 320}, [5]int{0, 1, 1, 4, 4}, 2, 6, 6, [2]int{2304, 2560}, false, false, 1000}},
	{"E2", Config{"E2", [5]int{32, 64, 128, 256, 512}, [5]int{1, 2, 3, 4, 4}, 4, 6, 6, [2]int{1536, 1600}, false, false, 1000}},
	{"E3", Config{"E3", [5]int{32, 64, 128, 256, 512}, [5]int{1, 2, 3, 6, 6}, 4, 6, 6, [2]int{1536, 1600}, true, false, 1000}},
}

// Configs returns the released variants in the order B0, B1, B1.5, B3, E1,
// E2, E3.
func Configs() []Config {
	out := make([]Config, len(builtins))
	for i, b := range builtins {
		out[i] = b.cfg
	}
	return out
}

// ConfigByName returns a released variant. Names are case-insensitive and
// may carry a "lowformer-" / "lowformer_" prefix; B1.5 is also spelled b15
// or b1_5. B2 is refused: it has no checkpoint and its official definition
// is broken (spec §9).
func ConfigByName(name string) (Config, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(strings.TrimPrefix(n, "lowformer-"), "lowformer_")
	n = strings.NewReplacer(".", "", "_", "", "-", "").Replace(n)
	if n == "b2" {
		return Config{}, fmt.Errorf("model: LowFormer-B2 is not a released model (no checkpoint, and its official definition is broken); use one of %s", knownNames())
	}
	for _, b := range builtins {
		if strings.ToLower(b.key) == n {
			return b.cfg, nil
		}
	}
	return Config{}, fmt.Errorf("model: unknown LowFormer variant %q; use one of %s", name, knownNames())
}

// knownNames lists the released variants' display names.
func knownNames() string {
	names := make([]string, len(builtins))
	for i, b := range builtins {
		names[i] = b.cfg.Name
	}
	return strings.Join(names, ", ")
}

// OfficialName returns the variant's name in the official repository
// (b0, b1, b15, b3, E1, E2, E3: its config file and checkpoint folder), or ""
// for a custom configuration.
func (c Config) OfficialName() string {
	for _, b := range builtins {
		if b.cfg.SameArchitecture(c) {
			return b.key
		}
	}
	return ""
}

// SameArchitecture reports whether c and o describe the same network,
// ignoring Name (and StemExpand when there are no stem blocks).
func (c Config) SameArchitecture(o Config) bool {
	c.Name, o.Name = "", ""
	if c.Depths[0] == 0 && o.Depths[0] == 0 {
		c.StemExpand, o.StemExpand = 0, 0
	}
	return c == o
}

// withName returns c named after the released variant it equals, or
// CustomName.
func (c Config) withName() Config {
	c.Name = CustomName
	for _, b := range builtins {
		if b.cfg.SameArchitecture(c) {
			return b.cfg
		}
	}
	return c
}

// String describes the configuration in one line.
func (c Config) String() string {
	blocks := "conv-only LowFormer blocks"
	switch {
	case c.Attention && c.MLP:
		blocks = "attention+MLP LowFormer blocks"
	case c.Attention:
		blocks = "attention LowFormer blocks"
	}
	return fmt.Sprintf("%s (widths %v, depths %v, expand %d/%d/%d, head %v, %s, %d classes)",
		c.label(), c.Widths, c.Depths, c.StemExpand, c.Stage12Expand, c.Stage34Expand, c.Head, blocks, c.Classes)
}

// label is the name used in error messages.
func (c Config) label() string {
	if c.Name == "" {
		return CustomName
	}
	return c.Name
}

// Validate checks that c describes a buildable network: every channel
// count a multiple of 4 (the kernels read channels as vec4), stages 1-2
// with at least their stride-2 block, sane expand ratios, MLP only with
// attention, and attention head sizes that are multiples of 4.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("model: invalid config %s: %s", c.label(), fmt.Sprintf(format, args...))
	}
	for i, w := range c.Widths {
		if w < 4 || w%4 != 0 || w > 8192 {
			return bad("width W%d = %d must be a positive multiple of 4 (at most 8192)", i, w)
		}
	}
	for i, d := range c.Depths {
		if d < 0 || d > 64 {
			return bad("depth D%d = %d must be in 0..64", i, d)
		}
	}
	if c.Depths[1] < 1 || c.Depths[2] < 1 {
		return bad("depths D1 and D2 count the stride-2 block of stages 1-2 and must be at least 1, got %v", c.Depths)
	}
	for _, e := range []struct {
		name string
		v    int
		used bool
	}{{"stem", c.StemExpand, c.Depths[0] > 0}, {"stage 1-2", c.Stage12Expand, true}, {"stage 3-4", c.Stage34Expand, true}} {
		if e.used && (e.v < 1 || e.v > 16) {
			return bad("%s expand ratio %d must be in 1..16", e.name, e.v)
		}
	}
	for i, h := range c.Head {
		if h < 4 || h%4 != 0 || h > 65536 {
			return bad("head width h%d = %d must be a positive multiple of 4", i, h)
		}
	}
	if c.Classes < 1 || c.Classes > 1<<20 {
		return bad("class count %d must be positive", c.Classes)
	}
	if c.MLP && !c.Attention {
		return bad("MLP without attention is not a LowFormer block layout")
	}
	if c.Attention {
		for s := 3; s <= 4; s++ {
			if heads, hd := attentionHeads(c.Widths[s]); hd%4 != 0 {
				return bad("stage %d width %d gives %d attention heads of size %d, which is not a multiple of 4", s, c.Widths[s], heads, hd)
			}
		}
	}
	return nil
}

// attentionHeads returns the head count and head size of the attention of
// a stage of width c (spec §2.1): nh = max(1, (c/2)//30), hd = (c//nh)/2.
func attentionHeads(c int) (heads, headDim int) {
	heads = max(1, (c/2)/30)
	return heads, (c / heads) / 2
}

// ParamCount returns the number of learnable parameters (BatchNorm running
// statistics not counted), as the spec's params column.
func (c Config) ParamCount() (int, error) {
	specs, err := ExpectedParams(c)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, p := range specs {
		if !p.Buffer {
			total += p.Numel()
		}
	}
	return total, nil
}

// sortedKeys returns m's keys in sorted order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
