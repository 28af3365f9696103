package model

import (
	"strings"
	"testing"
)

func TestConfigByName(t *testing.T) {
	tests := []struct {
		name, want, wantErr string
	}{
		{"b0", "B0", ""},
		{"B1", "B1", ""},
		{"b15", "B1.5", ""},
		{"B1.5", "B1.5", ""},
		{"lowformer-b1_5", "B1.5", ""},
		{"LowFormer_B3", "B3", ""},
		{"e1", "E1", ""},
		{"E2", "E2", ""},
		{" E3 ", "E3", ""},
		{"b2", "", "B2 is not a released model"},
		{"B2", "", "B2 is not a released model"},
		{"b4", "", `unknown LowFormer variant "b4"`},
		{"", "", "unknown LowFormer variant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ConfigByName(tt.name)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.Name != tt.want {
				t.Fatalf("got %q, %v; want %q", c.Name, err, tt.want)
			}
		})
	}
}

// TestParamCounts checks the learnable parameter counts and state-dict
// entry counts against spec §1 and §5.
func TestParamCounts(t *testing.T) {
	tests := []struct {
		name            string
		params, entries int
		official        string
	}{
		{"b0", 14100472, 263, "b0"},
		{"b1", 17936312, 350, "b1"},
		{"b15", 33982028, 407, "b15"},
		{"b3", 57086920, 437, "b3"},
		{"E1", 18896268, 157, "E1"},
		{"E2", 22750664, 193, "E2"},
		{"E3", 41316808, 341, "E3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.name)
			n, err := c.ParamCount()
			if err != nil || n != tt.params {
				t.Errorf("ParamCount = %d, %v; spec says %d", n, err, tt.params)
			}
			specs, _ := ExpectedParams(c)
			if len(specs) != tt.entries {
				t.Errorf("%d state-dict entries, spec says %d", len(specs), tt.entries)
			}
			if got := c.OfficialName(); got != tt.official {
				t.Errorf("OfficialName = %q, want %q", got, tt.official)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	b0 := mustConfig(t, "b0")
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"released", func(*Config) {}, ""},
		{"custom widths and classes", func(c *Config) { c.Widths = [5]int{8, 16, 24, 64, 128}; c.Classes = 10; c.Head = [2]int{256, 320} }, ""},
		{"width not multiple of 4", func(c *Config) { c.Widths[2] = 66 }, "W2 = 66"},
		{"zero width", func(c *Config) { c.Widths[0] = 0 }, "W0 = 0"},
		{"no stage-1 block", func(c *Config) { c.Depths[1] = 0 }, "D1 and D2"},
		{"negative depth", func(c *Config) { c.Depths[3] = -1 }, "D3 = -1"},
		{"bad expand", func(c *Config) { c.Stage34Expand = 0 }, "stage 3-4 expand ratio 0"},
		{"stem expand unused", func(c *Config) { c.StemExpand = 0 }, ""},
		{"stem expand used", func(c *Config) { c.StemExpand = 0; c.Depths[0] = 1 }, "stem expand ratio 0"},
		{"head", func(c *Config) { c.Head[1] = 1602 }, "h1 = 1602"},
		{"classes", func(c *Config) { c.Classes = 0 }, "class count 0"},
		{"mlp without attention", func(c *Config) { c.Attention = false }, "MLP without attention"},
		{"head size", func(c *Config) { c.Widths[3] = 68 }, "heads of size 34"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := b0
			tt.edit(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestAttentionHeads(t *testing.T) {
	// spec §2.1 table
	for _, tt := range []struct{ c, heads, hd int }{{128, 2, 32}, {160, 2, 40}, {256, 4, 32}, {320, 5, 32}, {512, 8, 32}} {
		if h, d := attentionHeads(tt.c); h != tt.heads || d != tt.hd {
			t.Errorf("attentionHeads(%d) = %d×%d, want %d×%d", tt.c, h, d, tt.heads, tt.hd)
		}
	}
}
