package jpeg

import "testing"

// TestIdctRangeLimit checks the post-IDCT table of libjpeg's
// prepare_range_limit_table, including its wrap-around for wild values.
func TestIdctRangeLimit(t *testing.T) {
	for _, c := range []struct {
		x    int64
		want byte
	}{
		{0, 128}, {127, 255}, {128, 255}, {511, 255}, {-1, 127}, {-128, 0},
		{-129, 0}, {-512, 0}, {512, 0}, {1024, 128}, {-1025, 127},
	} {
		if got := idctRangeLimit(c.x); got != c.want {
			t.Errorf("idctRangeLimit(%d) = %d, want %d", c.x, got, c.want)
		}
	}
}

// TestIdctDCOnly: a block with only a DC coefficient decodes to a flat
// block of descale(descale(dc*q<<13, 11)<<13, 18) + 128, as jidctint.c's
// shortcuts compute it.
func TestIdctDCOnly(t *testing.T) {
	for _, c := range []struct {
		dc, q int32
		want  byte
	}{
		{0, 16, 128}, {8, 16, 144}, {-8, 16, 112}, {1, 1, 128}, {3, 1, 128}, {4, 1, 129},
		{-4, 1, 128}, {-5, 1, 127}, {200, 16, 255}, {-200, 16, 0},
	} {
		var b, q block
		b[0], q[0] = c.dc, c.q
		dst := make([]byte, 64)
		idctIslow(&b, &q, dst, 8)
		for i, v := range dst {
			if v != c.want {
				t.Fatalf("dc=%d q=%d: sample %d = %d, want %d", c.dc, c.q, i, v, c.want)
			}
		}
	}
}
