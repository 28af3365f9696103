//go:build !js || lowformer_allformats

package preprocess

import "testing"

// TestExtraFormatsBuiltIn checks that every build but the browser's
// lowformer.wasm decodes GIF, WebP, BMP and TIFF (the fixture tests check
// how).
func TestExtraFormatsBuiltIn(t *testing.T) {
	for _, f := range []format{fmtGIF, fmtWebP, fmtBMP, fmtTIFF} {
		e, ok := extraFormats[f]
		if !ok || e.decode == nil || (f != fmtGIF && e.config == nil) {
			t.Errorf("%s: not registered (%v) or incomplete", f, ok)
		}
	}
}
