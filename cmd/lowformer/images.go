package main

import (
	"flag"
	"fmt"
	"image"
	"os"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/preprocess"
)

// imageFlags are the flags that control decoding and preprocessing.
type imageFlags struct {
	size, maxPixels int
	exif            bool
}

// addImageFlags registers -size, -max-pixels and -exif on fs.
func addImageFlags(fs *flag.FlagSet) *imageFlags {
	f := &imageFlags{}
	fs.IntVar(&f.size, "size", 0,
		"side r of the square model input: the shorter side is resized to ceil(r/0.95) (bicubic), then center-cropped to r×r (0: the model's native side, 224 for ImageNet models)")
	fs.IntVar(&f.maxPixels, "max-pixels", preprocess.DefaultMaxPixels,
		"refuse images whose header declares more pixels than this, before decoding (decompression-bomb guard)")
	fs.BoolVar(&f.exif, "exif", false, "apply the EXIF orientation (the official evaluation ignores it)")
	return f
}

// sizeOr is -size, or def when it was not given.
func (f *imageFlags) sizeOr(def int) int {
	if f.size == 0 {
		return def
	}
	return f.size
}

// check validates the flag values.
func (f *imageFlags) check() error {
	if f.size != 0 && (f.size < minSize || f.size > maxSize) {
		return fmt.Errorf("-size %d: want %d..%d", f.size, minSize, maxSize)
	}
	if f.maxPixels < 1 {
		return fmt.Errorf("-max-pixels %d: want a positive pixel count", f.maxPixels)
	}
	return nil
}

// Input sides the commands accept (-size): those of lowformer.ClassifyOptions.Side.
const (
	minSize = lowformer.MinSide
	maxSize = lowformer.MaxClassifySide
)

// decode reads and decodes the image file path; errors name the file.
func (f *imageFlags) decode(path string) (image.Image, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if st, err := file.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not an image", path)
	}
	img, err := preprocess.Decode(file, preprocess.Options{Size: f.sizeOr(preprocess.DefaultSize), MaxPixels: f.maxPixels, ApplyEXIFOrientation: f.exif})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
