//go:build js || cgo

package model

import (
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// BenchmarkGPUPreprocess times the GPU preprocessing of a 640×480 frame to
// 224 (upload into the image texture, the two Resize passes, waiting for
// them) on the WebGPU adapter, and the upload alone.
//
//	go test -run x -bench GPUPreprocess ./model
func BenchmarkGPUPreprocess(b *testing.B) {
	dev := gputest.Device(b)
	m := NewGPU(dev, synthGraph(b, "b0"), kernels.Target{})
	defer m.Close()
	pix := make([]byte, 4*640*480)
	for i := range pix {
		pix[i] = uint8(i * 7)
	}
	tex, err := m.ImageTexture(640, 480)
	if err != nil {
		b.Fatal(err)
	}
	src := ImageSource{View: tex.View, Width: 640, Height: 480}
	b.Run("upload+resize", func(b *testing.B) {
		for b.Loop() {
			if err := dev.WriteRGBA(tex, pix); err != nil {
				b.Fatal(err)
			}
			if _, err := m.PreprocessImage(src, 224, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("resize", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.PreprocessImage(src, 224, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}
