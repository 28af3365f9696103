package lowformer

import (
	"context"
	"image"
	"image/color"
	"reflect"
	"testing"
)

// opaqueImage hides the SubImage method of the image it wraps.
type opaqueImage struct{ m image.Image }

func (o opaqueImage) ColorModel() color.Model { return o.m.ColorModel() }
func (o opaqueImage) Bounds() image.Rectangle { return o.m.Bounds() }
func (o opaqueImage) At(x, y int) color.Color { return o.m.At(x, y) }

// TestClassifyFilters checks ScoreThreshold, CategoryAllowlist and
// CategoryDenylist against the full ranking of the same image: each
// returns the expected classes of that ranking, in its order, with their
// probabilities unchanged (the softmax over every class).
func TestClassifyFilters(t *testing.T) {
	ctx := context.Background()
	m := openOn(t, safetensorsOf(t, synthStateDict(t, smallConfig), "F32", map[string]string{MetaInputSize: "48"}), CPU)
	img := gradient(50, 40)
	all, err := m.Classify(ctx, img, ClassifyOptions{TopK: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 10 || all[2].Prob == all[3].Prob {
		t.Fatalf("ranking %v: want 10 classes, the third more probable than the fourth", all)
	}
	pick := func(ranks ...int) []Prediction {
		out := []Prediction{}
		for _, r := range ranks {
			out = append(out, all[r])
		}
		return out
	}
	labels := func(ranks ...int) []string {
		var out []string
		for _, r := range ranks {
			out = append(out, all[r].Label)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		opt  ClassifyOptions
		want []Prediction
	}{
		{"threshold at the third class", ClassifyOptions{TopK: 10, ScoreThreshold: all[2].Prob}, pick(0, 1, 2)},
		{"threshold with TopK below it", ClassifyOptions{TopK: 2, ScoreThreshold: all[2].Prob}, pick(0, 1)},
		{"threshold 0 keeps all", ClassifyOptions{TopK: 10, ScoreThreshold: 0}, pick(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)},
		{"threshold above every class", ClassifyOptions{ScoreThreshold: min(1, all[0].Prob*1.01)}, pick()},
		{"allowlist", ClassifyOptions{CategoryAllowlist: labels(7, 1, 4)}, pick(1, 4, 7)},
		{"allowlist and TopK", ClassifyOptions{TopK: 2, CategoryAllowlist: labels(7, 1, 4)}, pick(1, 4)},
		{"allowlist and threshold", ClassifyOptions{CategoryAllowlist: labels(7, 1, 4), ScoreThreshold: all[4].Prob}, pick(1, 4)},
		{"allowlist repeating a name", ClassifyOptions{CategoryAllowlist: labels(3, 3)}, pick(3)},
		{"denylist", ClassifyOptions{TopK: 3, CategoryDenylist: labels(0, 2)}, pick(1, 3, 4)},
		{"denylist and threshold", ClassifyOptions{TopK: 10, CategoryDenylist: labels(1), ScoreThreshold: all[3].Prob}, pick(0, 2, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Classify(ctx, img, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// gradient is a w×h RGBA test image with different content in every part.
func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(5 * x), uint8(6 * y), uint8(x * y), 255})
		}
	}
	return img
}

// TestRegionOfInterest checks that a region classifies as the cropped
// image does (rounded to whole pixels, at least one), for images with and
// without a SubImage method and with bounds not at the origin, and that
// ClassifyBatch crops every image.
func TestRegionOfInterest(t *testing.T) {
	ctx := context.Background()
	m := openOn(t, safetensorsOf(t, synthStateDict(t, smallConfig), "F32", map[string]string{MetaInputSize: "48"}), CPU)
	img := gradient(50, 40)
	shifted := image.NewRGBA(image.Rect(10, 20, 60, 60)) // img moved by (10, 20)
	for y := range 40 {
		for x := range 50 {
			shifted.Set(x+10, y+20, img.At(x, y))
		}
	}
	classify := func(im image.Image, opt ClassifyOptions) []Prediction {
		t.Helper()
		opt.TopK = 10
		p, err := m.Classify(ctx, im, opt)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		roi  Rect
		crop image.Rectangle // in img's coordinates
	}{
		{"whole image", Rect{0, 0, 1, 1}, image.Rect(0, 0, 50, 40)},
		{"right half", Rect{0.5, 0, 1, 1}, image.Rect(25, 0, 50, 40)},
		{"center", Rect{0.2, 0.25, 0.8, 0.75}, image.Rect(10, 10, 40, 30)},
		{"rounded to pixels", Rect{0.11, 0.26, 0.49, 0.99}, image.Rect(6, 10, 25, 40)},
		{"thinner than a pixel", Rect{0.5, 0, 0.505, 1}, image.Rect(25, 0, 26, 40)},
		{"thin at the far edge", Rect{0.999, 0.999, 1, 1}, image.Rect(49, 39, 50, 40)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := classify(img.SubImage(tc.crop), ClassifyOptions{})
			roi := tc.roi
			for name, im := range map[string]image.Image{"RGBA": img, "no SubImage": opaqueImage{img}, "shifted bounds": shifted} {
				if got := classify(im, ClassifyOptions{RegionOfInterest: &roi}); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: region %+v gave %v, the crop %v gives %v", name, tc.roi, got, tc.crop, want)
				}
			}
		})
	}
	if reflect.DeepEqual(classify(img, ClassifyOptions{}), classify(img.SubImage(image.Rect(25, 0, 50, 40)), ClassifyOptions{})) {
		t.Fatal("the right half classifies as the whole image: the region checks above cannot tell")
	}
	// A batch crops each image.
	other := gradient(30, 64)
	roi := &Rect{0.1, 0.2, 0.9, 0.7}
	got, err := m.ClassifyBatch(ctx, []image.Image{img, other}, ClassifyOptions{TopK: 3, RegionOfInterest: roi})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]Prediction{
		classify(img.SubImage(image.Rect(5, 8, 45, 28)), ClassifyOptions{})[:3],
		classify(other.SubImage(image.Rect(3, 13, 27, 45)), ClassifyOptions{})[:3],
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("batch with a region: %v, want %v", got, want)
	}
}
