package model

import (
	"strings"
	"testing"
)

func TestShapesNonSquare(t *testing.T) {
	c := mustConfig(t, "b0")
	g, err := Build(c, b0SD(t))
	if err != nil {
		t.Fatal(err)
	}
	// 240×200: 120×100, 60×50, 30×25, 15×13, 8×7. Stage 3's attention runs
	// on 8×7 tokens and its ConvTranspose output 16×14 is cropped to 15×13.
	shapes, err := g.Shapes(3, 240, 200)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Shape{
		"stage0": {3, 120, 100, 16}, "stage1": {3, 60, 50, 32}, "stage2": {3, 30, 25, 64},
		"stage3.block1.attn.conv_proj": {3, 8, 7, 128}, "stage3.block1.attn.qkv": {3, 8, 7, 192},
		"stage3.block1.attn.sda_values": {3, 8, 7, 64}, "stage3.block1.after_attn": {3, 15, 13, 128},
		"stage3": {3, 15, 13, 128}, "stage4.block1.attn.conv_proj": {3, 8, 7, 256}, "stage4": {3, 8, 7, 256},
		"head.conv": {3, 8, 7, 1536}, "head.pooled": {3, 1, 1, 1536}, "head.fc1": {3, 1, 1, 1600},
	}
	for name, w := range want {
		v, ok := g.Taps[name]
		if !ok {
			t.Errorf("no tap %q", name)
			continue
		}
		if shapes[v] != w {
			t.Errorf("%s: shape %v, want %v", name, shapes[v], w)
		}
	}
	if last := shapes[len(shapes)-1]; last != (Shape{3, 1, 1, 1000}) {
		t.Errorf("logits shape %v", last)
	}
	for _, tt := range []struct{ n, h, w int }{{1, 31, 224}, {1, 224, 16}, {0, 224, 224}} {
		if _, err := g.Shapes(tt.n, tt.h, tt.w); err == nil || !strings.Contains(err.Error(), "at least 32x32") {
			t.Errorf("Shapes(%d, %d, %d): %v", tt.n, tt.h, tt.w, err)
		}
	}
}

// TestShapesRejectsBrokenGraphs checks that graph inconsistencies are
// errors (so that the CPU model never panics on a hand-made graph).
func TestShapesRejectsBrokenGraphs(t *testing.T) {
	conv := func(in, out Value, cin, cout int, weights int) *Conv {
		return &Conv{Name: "c", In: in, Out: out, Residual: NoValue, K: 1, Stride: 1, Cin: cin, Cout: cout,
			Weight: make([]float32, weights), Bias: make([]float32, cout)}
	}
	head := []Op{&MeanPool{Name: "pool", In: 1, Out: 2}}
	tests := []struct {
		name    string
		ops     []Op
		wantErr string
	}{
		{"ok", append([]Op{conv(0, 1, 4, 8, 32)}, head...), ""},
		{"reads unknown value", append([]Op{conv(5, 1, 4, 8, 32)}, head...), "reads value 5 before it is written"},
		{"rewrites a value", append([]Op{conv(0, 0, 4, 8, 32)}, head...), "writes value 0, which is not a new value"},
		{"channel mismatch", append([]Op{conv(0, 1, 3, 8, 24)}, head...), "input has 4 channels, the op expects 3"},
		{"short weights", append([]Op{conv(0, 1, 4, 8, 31)}, head...), "weight has 31 values, want 32"},
		{"no affine", []Op{conv(0, 1, 4, 8, 32), &GroupNorm{Name: "n", In: 1, Out: 2}, &MeanPool{Name: "pool", In: 2, Out: 3}}, "gamma has 0 values, want 8"},
		{"no linear weights", []Op{conv(0, 1, 4, 8, 32), &MeanPool{Name: "pool", In: 1, Out: 2}, &Linear{Name: "fc", In: 2, Out: 3, K: 8, N: 8}}, "weight has 0 values, want 64"},
		{"attention heads", []Op{conv(0, 1, 4, 9, 36), &Attention{Name: "a", In: 1, Out: 2, Heads: 2, HeadDim: 2}}, "need 12"},
		{"no ops", nil, "no operations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &Graph{Ops: tt.ops, Classes: 8}
			_, err := g.Shapes(1, 32, 32)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestShapesRefusesHugeInputs(t *testing.T) {
	g := &Graph{Classes: InputChannels, Ops: []Op{&MeanPool{Name: "pool", In: 0, Out: 1}}}
	if _, err := g.Shapes(2, 64, 64); err != nil {
		t.Fatal(err)
	}
	for _, s := range [][3]int{{1 << 17, 32, 32}, {1, 1 << 17, 32}, {1 << 15, 1 << 12, 1 << 12}} {
		if _, err := g.Shapes(s[0], s[1], s[2]); err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("Shapes%v: %v, want a too-large error", s, err)
		}
	}
}
