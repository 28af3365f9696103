package cpukernels

import (
	"fmt"
	"testing"
)

// scanInterior is the definition dwGeom.interior implements: a linear scan
// from ox0 for the first output pixel from which dwBlock pixels have all
// their taps inside the image, wo when none has.
func scanInterior(g dwGeom, ox0 int) int {
	for ox := ox0; ox+dwBlock <= g.wo; ox++ {
		if ox*g.stride-g.k/2 >= 0 && (ox+dwBlock-1)*g.stride-g.k/2+g.k <= g.width {
			return ox
		}
	}
	return g.wo
}

// TestDepthwiseInteriorMatchesScan checks the block bounds NewDepthwise
// works out once (dwBlocks) against the linear scan, for every start pixel
// of every row geometry of kernels 1–7, strides 1–3 and widths 1–24: the
// first and last block, rows too narrow for one, and strides whose left
// border is one pixel wide.
func TestDepthwiseInteriorMatchesScan(t *testing.T) {
	for _, k := range []int{1, 3, 5, 7} {
		for stride := 1; stride <= 3; stride++ {
			for width := 1; width <= 24; width++ {
				wo := ConvOutSize(width, k, stride)
				g := dwGeom{width: width, k: k, stride: stride, wo: wo}
				g.blocks[0], g.blocks[1] = dwBlocks(width, k, stride, wo)
				for ox := 0; ox <= wo; ox++ {
					if got, want := g.interior(ox), scanInterior(g, ox); got != want {
						t.Errorf("%s: interior(%d) = %d, the scan gives %d (blocks %v)",
							fmt.Sprintf("k %d stride %d width %d (wo %d)", k, stride, width, wo), ox, got, want, g.blocks)
					}
				}
			}
		}
	}
}
