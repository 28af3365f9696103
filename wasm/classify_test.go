package main

import (
	"context"
	"errors"
	"image"
	"reflect"
	"strings"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

func TestCheckShape(t *testing.T) {
	tests := []struct {
		shape   []int
		values  int
		n, h, w int
		err     string
	}{
		{[]int{2, 3, 224, 224}, 2 * 3 * 224 * 224, 2, 224, 224, ""},
		{[]int{1, 3, 32, 48}, 3 * 32 * 48, 1, 32, 48, ""},
		{[]int{1, 3, 224}, 3 * 224, 0, 0, 0, "4 numbers"},
		{[]int{1, 4, 8, 8}, 4 * 64, 0, 0, 0, "3 (RGB) channels"},
		{[]int{0, 3, 8, 8}, 0, 0, 0, 0, "≥ 1"},
		{[]int{1, 3, -8, 8}, 0, 0, 0, 0, "≥ 1"},
		{[]int{1, 3, 8, 8}, 100, 0, 0, 0, "needs 192 values, the input has 100"},
	}
	for _, tt := range tests {
		n, h, w, err := checkShape(tt.shape, tt.values)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("checkShape(%v, %d) error = %v, want it to mention %q", tt.shape, tt.values, err, tt.err)
			}
			continue
		}
		if err != nil || n != tt.n || h != tt.h || w != tt.w {
			t.Errorf("checkShape(%v, %d) = %d, %d, %d, %v; want %d, %d, %d", tt.shape, tt.values, n, h, w, err, tt.n, tt.h, tt.w)
		}
	}
}

func TestPixelsImage(t *testing.T) {
	tests := []struct {
		n, w, h int
		err     string
	}{
		{4 * 6, 3, 2, ""},
		{0, 0, 0, "at least 1×1"},
		{4, 1, 0, "at least 1×1"},
		{4 * 5, 3, 2, "need 24 bytes, got 20"},
		{0, 20000, 20000, "more than"},
	}
	for _, tt := range tests {
		img, err := pixelsImage(make([]byte, tt.n), tt.w, tt.h)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("pixelsImage(%d bytes, %d×%d) error = %v, want %q", tt.n, tt.w, tt.h, err, tt.err)
			}
			continue
		}
		if err != nil || img.Bounds().Dx() != tt.w || img.Bounds().Dy() != tt.h || img.Stride != 4*tt.w {
			t.Errorf("pixelsImage(%d bytes, %d×%d) = %v, %v", tt.n, tt.w, tt.h, img.Bounds(), err)
		}
	}
}

// TestClassifyImage: classify's options reach the model (zero values: the
// model's defaults, here every class of the 3-class tiny model) and its
// step times come back.
func TestClassifyImage(t *testing.T) {
	ctx := context.Background()
	m, err := lowformer.Open(ctx, "../testdata/tiny.safetensors", lowformer.Options{Backend: lowformer.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	img := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for _, tt := range []struct {
		opt  lowformer.ClassifyOptions
		want int
	}{{lowformer.ClassifyOptions{}, 3}, {lowformer.ClassifyOptions{TopK: 1}, 1}, {lowformer.ClassifyOptions{TopK: 2, Side: 64}, 2}} {
		c, err := classifyImage(ctx, m, img, tt.opt)
		if err != nil || len(c.Predictions) != tt.want {
			t.Errorf("classifyImage(%+v) = %d predictions, %v; want %d", tt.opt, len(c.Predictions), err, tt.want)
		}
		if c.Timings.Inference <= 0 || c.Decode != nil {
			t.Errorf("classifyImage(%+v) timings %+v, decode %v", tt.opt, c.Timings, c.Decode)
		}
	}
	if _, err := classifyImage(ctx, m, img, lowformer.ClassifyOptions{Side: 8}); !errors.Is(err, lowformer.ErrBadInput) ||
		!strings.Contains(err.Error(), "size") {
		t.Errorf("size 8: %v, want an ErrBadInput error naming the size", err)
	}
}

// TestClassifyImages: a batch gives one result per image, in order, each
// with the batch's timings; the batch size is bounded; errors about the
// options name them as JavaScript does and stay ErrBadInput errors.
func TestClassifyImages(t *testing.T) {
	ctx := context.Background()
	m, err := lowformer.Open(ctx, "../testdata/tiny.safetensors", lowformer.Options{Backend: lowformer.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	a, b := image.NewNRGBA(image.Rect(0, 0, 40, 30)), image.NewNRGBA(image.Rect(0, 0, 33, 60))
	for i := range b.Pix {
		b.Pix[i] = uint8(i * 13)
	}
	cs, err := classifyImages(ctx, m, []image.Image{a, b}, lowformer.ClassifyOptions{TopK: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, img := range []image.Image{a, b} {
		one, err := classifyImage(ctx, m, img, lowformer.ClassifyOptions{TopK: 2})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cs[i].Predictions, one.Predictions) || cs[i].Timings != cs[0].Timings {
			t.Errorf("image %d: batch %v (timings %v), alone %v", i, cs[i].Predictions, cs[i].Timings, one.Predictions)
		}
	}
	for _, tc := range []struct {
		name string
		n    int
		opt  lowformer.ClassifyOptions
		want string
	}{
		{"no images", 0, lowformer.ClassifyOptions{}, "1 to 256 images at once, got 0"},
		{"too many images", maxBatch + 1, lowformer.ClassifyOptions{}, "1 to 256 images at once, got 257"},
		{"threshold", 1, lowformer.ClassifyOptions{ScoreThreshold: 2}, "scoreThreshold 2 outside 0..1"},
		{"both lists", 1, lowformer.ClassifyOptions{CategoryAllowlist: []string{"class 0"}, CategoryDenylist: []string{"class 1"}}, "categoryAllowlist and categoryDenylist are mutually exclusive"},
		{"unknown label", 1, lowformer.ClassifyOptions{CategoryDenylist: []string{"dog"}}, `categoryDenylist: "dog" is not a class label of this model (info.labels holds`},
		{"region", 1, lowformer.ClassifyOptions{RegionOfInterest: &lowformer.Rect{Left: 0.5, Right: 0.4, Bottom: 1}}, "regionOfInterest {left:0.5 top:0 right:0.4 bottom:1}: need left < right and top < bottom"},
		{"size", 1, lowformer.ClassifyOptions{Side: 8}, "size 8 outside 32..2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imgs := make([]image.Image, tc.n)
			for i := range imgs {
				imgs[i] = a
			}
			_, err := classifyImages(ctx, m, imgs, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if tc.n == 1 && !errors.Is(err, lowformer.ErrBadInput) {
				t.Errorf("error %v is not an ErrBadInput error", err)
			}
		})
	}
}
