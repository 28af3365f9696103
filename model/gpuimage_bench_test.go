//go:build js || cgo

package model

import (
	"fmt"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// BenchmarkGPUPreprocess times the GPU preprocessing of a 640×480 frame to
// 224 (upload into the image texture, the two Resize passes, waiting for
// them) on the WebGPU adapter, the passes alone, the same from a storage
// buffer of the pixels, and the passes alone from a buffer holding only
// the part they read (SourceRect, as lowformer.js uploads a video frame's)
// to 224 (B0) and to 48 (the built-in model's side).
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
	// The route of lowformer.js for video frames: packed RGBA bytes in a
	// storage buffer, read by the buffer variant of the horizontal pass.
	buf, err := dev.NewBufferBytes("frame-pixels", pix)
	if err != nil {
		b.Fatal(err)
	}
	defer buf.Release()
	bsrc := ImageSource{Buffer: buf, Width: 640, Height: 480}
	b.Run("upload+resize-buffer", func(b *testing.B) {
		for b.Loop() {
			if err := dev.WriteBytes(buf, 0, pix); err != nil {
				b.Fatal(err)
			}
			if _, err := m.PreprocessImage(bsrc, 224, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, side := range []int{224, 48} {
		rect := SourceRect(640, 480, side)
		part, err := dev.NewBufferBytes("frame-part", pix[:4*rect.Dx()*rect.Dy()])
		if err != nil {
			b.Fatal(err)
		}
		defer part.Release()
		psrc := ImageSource{Buffer: part, Width: 640, Height: 480, Rect: rect}
		if _, err := m.PreprocessImage(psrc, side, false); err != nil { // builds the plan and the passes
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("resize-rect-%d", side), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.PreprocessImage(psrc, side, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
