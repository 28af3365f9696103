package preprocess

import (
	"image"
	"math"
)

// CropRatio is the evaluation crop ratio of every LowFormer config
// (test_crop_ratio).
const CropRatio = 0.95

// Mean and Std are the ImageNet normalization constants of
// torchvision.transforms.Normalize, per RGB channel.
var (
	Mean = [3]float32{0.485, 0.456, 0.406}
	Std  = [3]float32{0.229, 0.224, 0.225}
)

// ResizeShortSide returns the side the shorter image side is resized to for
// crop size r: math.ceil(r / 0.95), computed in float64 as Python does.
func ResizeShortSide(r int) int {
	ratio := CropRatio
	return int(math.Ceil(float64(r) / ratio))
}

// ResizedSize is torchvision's Resize(s) output size for a w x h image: the
// shorter side becomes s and the longer int(s * long / short).
func ResizedSize(w, h, s int) (nw, nh int) {
	short, long := w, h
	if w > h {
		short, long = h, w
	}
	newLong := int(float64(s*long) / float64(short))
	if w <= h {
		return s, newLong
	}
	return newLong, s
}

// CropOffset is torchvision's CenterCrop offset int(round((n - r) / 2.0)),
// with Python's round-half-to-even.
func CropOffset(n, r int) int {
	return int(math.RoundToEven(float64(n-r) / 2.0))
}

// Unnormalized returns the [3, size, size] (channel-major) uint8 crop that
// the evaluation feeds to ToTensor: the image converted to RGB (see toRGB
// for non-RGBA inputs), resized with Pillow's bicubic so that its shorter
// side is ResizeShortSide(size), and center-cropped. size <= 0 means
// DefaultSize; an empty image gives zeros.
func Unnormalized(img image.Image, size int) []uint8 {
	if size <= 0 {
		size = DefaultSize
	}
	out := make([]uint8, 3*size*size)
	src := packRGB(img)
	if src.w == 0 || src.h == 0 {
		return out
	}
	nw, nh := ResizedSize(src.w, src.h, ResizeShortSide(size))
	win := resizeWindow(src, nw, nh, CropOffset(nw, size), CropOffset(nh, size), size, size)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			i, o := y*size+x, y*win.stride+4*x
			out[i], out[size*size+i], out[2*size*size+i] = win.pix[o], win.pix[o+1], win.pix[o+2]
		}
	}
	return out
}

// Tensor returns the normalized [3, size, size] float32 model input for img
// (one image, channel-major): Unnormalized followed by ToTensor and
// Normalize, rounded in float32 at each step as torch does:
// (float32(v)/255 - mean[c]) / std[c].
//
// img must have non-empty, finite bounds that fit in memory, as every image
// from Decode has (it enforces Options.MaxPixels); callers holding arbitrary
// image.Image values (an image.Uniform has infinite bounds) check them first,
// as lowformer.Model.ClassifyBatch does.
func Tensor(img image.Image, size int) []float32 {
	u := Unnormalized(img, size)
	out := make([]float32, len(u))
	plane := len(u) / 3
	for i, v := range u {
		c := i / plane
		x := float32(v) / 255
		out[i] = (x - Mean[c]) / Std[c]
	}
	return out
}

// packRGB views img as an rgbPlane without copying when it is an
// *image.RGBA (what Decode returns), and converts it otherwise.
func packRGB(img image.Image) rgbPlane {
	m, ok := img.(*image.RGBA)
	if !ok {
		m = toRGB(img)
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	if w <= 0 || h <= 0 {
		return rgbPlane{}
	}
	return rgbPlane{pix: m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], w: w, h: h, stride: m.Stride}
}
