package model

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// DetectConfig infers the configuration of a LowFormer state dict from its
// keys and shapes: widths, depths, expand ratios, head widths, class count
// and the attention/MLP flags. The result is named after the released
// variant it equals, or CustomName. It reads shapes only; Build does the
// strict check of every entry.
func DetectConfig(sd *checkpoint.StateDict) (Config, error) {
	if sd == nil || sd.Tensors == nil {
		return Config{}, fmt.Errorf("model: cannot detect the variant of an empty state dict")
	}
	d := detector{sd: sd}
	var c Config
	c.Widths[0] = d.dim("backbone.input_stem.op_list.0.conv.weight", 0)
	for c.Depths[0] = 0; d.has(fmt.Sprintf("backbone.input_stem.op_list.%d.main.spatial_conv.conv.weight", c.Depths[0]+1)); c.Depths[0]++ {
	}
	if c.Depths[0] > 0 {
		c.StemExpand = d.ratio(d.dim("backbone.input_stem.op_list.1.main.spatial_conv.conv.weight", 0), c.Widths[0], "stem")
	}
	var expand [4]int
	for s := 0; s < 4; s++ {
		pre := fmt.Sprintf("backbone.stages.%d.op_list.", s)
		c.Widths[s+1] = d.dim(pre+"0.main.point_conv.conv.weight", 0)
		expand[s] = d.ratio(d.dim(pre+"0.main.spatial_conv.conv.weight", 0), c.Widths[s], fmt.Sprintf("stage %d", s+1))
		block := pre + "%d.main.point_conv.conv.weight"
		if s >= 2 {
			block = pre + "%d.total.1.main.point_conv.conv.weight"
		}
		n := 1
		for d.has(fmt.Sprintf(block, n)) {
			n++
		}
		if s < 2 {
			c.Depths[s+1] = n
		} else {
			c.Depths[s+1] = n - 1
		}
	}
	c.Stage12Expand, c.Stage34Expand = expand[0], expand[2]
	if d.err == nil && (expand[1] != expand[0] || expand[3] != expand[2]) {
		d.err = fmt.Errorf("model: the checkpoint's stride-2 blocks use expand ratios %v for stages 1-4, not one for stages 1-2 and one for stages 3-4", expand)
	}
	for s := 2; s < 4; s++ {
		if c.Depths[s+1] > 0 {
			pre := fmt.Sprintf("backbone.stages.%d.op_list.1.total.0.", s)
			c.MLP = d.has(pre + "0.main.1.pwise.0.weight")
			c.Attention = c.MLP || d.has(pre+"main.pwise.0.weight")
			break
		}
	}
	c.Head = [2]int{d.dim("head.op_list.0.conv.weight", 0), d.dim("head.op_list.2.linear.weight", 0)}
	c.Classes = d.dim("head.op_list.3.linear.weight", 0)
	if d.err != nil {
		return Config{}, d.err
	}
	c = c.withName()
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("model: the checkpoint is not a supported LowFormer: %w", err)
	}
	return c, nil
}

// ResolveConfig returns the configuration of sd. When stated is not empty
// it names the variant the caller expects (see ConfigByName), and a state
// dict of another variant is an error naming both.
func ResolveConfig(stated string, sd *checkpoint.StateDict) (Config, error) {
	det, err := DetectConfig(sd)
	if err != nil {
		return Config{}, err
	}
	if stated == "" {
		return det, nil
	}
	want, err := ConfigByName(stated)
	if err != nil {
		return Config{}, err
	}
	if !want.SameArchitecture(det) {
		return Config{}, fmt.Errorf("model: the checkpoint holds LowFormer %s, not the requested %s", det, want.Name)
	}
	return want, nil
}

// detector reads shapes from a state dict, keeping the first error.
type detector struct {
	sd  *checkpoint.StateDict
	err error
}

func (d *detector) has(key string) bool {
	_, ok := d.sd.Tensors[key]
	return ok
}

// dim returns dimension i of key's shape (0 after an error).
func (d *detector) dim(key string, i int) int {
	if d.err != nil {
		return 0
	}
	t, ok := d.sd.Tensors[key]
	switch {
	case !ok || t == nil:
		d.err = fmt.Errorf("model: cannot detect the LowFormer variant: key %q is missing", key)
	case len(t.Shape) <= i:
		d.err = fmt.Errorf("model: cannot detect the LowFormer variant: key %q has shape %v", key, t.Shape)
	default:
		return t.Shape[i]
	}
	return 0
}

// ratio returns mid/in when it is a whole number.
func (d *detector) ratio(mid, in int, where string) int {
	if d.err != nil {
		return 0
	}
	if in <= 0 || mid%in != 0 {
		d.err = fmt.Errorf("model: cannot detect the LowFormer variant: the %s expansion %d→%d is not a whole ratio", where, in, mid)
		return 0
	}
	return mid / in
}
