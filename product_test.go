package lowformer

import (
	"math"
	"math/big"
	"testing"
)

// TestProduct checks the decimal n·per against math/big, beyond 64 bits too.
func TestProduct(t *testing.T) {
	for _, c := range [][2]int{{0, 5}, {1, 1}, {3, 150528}, {math.MaxInt64, 1}, {math.MaxInt64, 2},
		{math.MaxInt64, math.MaxInt64}, {1 << 40, 1 << 40}, {10_000_000_000, 1_000_000_000}, {1 << 62, 4}, {4000000000000000001, 5}} {
		want := new(big.Int).Mul(big.NewInt(int64(c[0])), big.NewInt(int64(c[1]))).String()
		if got := product(c[0], c[1]); got != want {
			t.Errorf("product(%d, %d) = %s, want %s", c[0], c[1], got, want)
		}
	}
}
