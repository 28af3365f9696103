//go:build js || cgo

package gpu

import (
	"fmt"

	"github.com/cogentcore/webgpu/wgpu"
)

// WriteBytes uploads data (whose length must be a multiple of 4) into b at
// byte offset off.
func (d *Device) WriteBytes(b *wgpu.Buffer, off uint64, data []byte) error {
	if err := d.check(); err != nil {
		return err
	}
	if len(data)%4 != 0 {
		return fmt.Errorf("gpu: uploading %d bytes: not a multiple of 4", len(data))
	}
	if len(data) == 0 {
		return nil
	}
	return d.writeBuffer(b, off, data)
}

// NewBufferBytes creates a storage buffer holding data (its length a
// multiple of 4), such as int32 tables or packed RGBA pixels.
func (d *Device) NewBufferBytes(label string, data []byte) (*wgpu.Buffer, error) {
	b, err := d.NewBuffer(label, uint64(len(data)))
	if err != nil {
		return nil, err
	}
	if err := d.WriteBytes(b, 0, data); err != nil {
		b.Release()
		return nil, err
	}
	return b, nil
}

// ImageTexture is an rgba8unorm texture that images are copied into for
// the GPU preprocessing: it can be bound (texture_2d<f32>), written with
// WriteRGBA (a queue write) and, in the browser, be the destination of
// copyExternalImageToTexture and copyTextureToTexture.
type ImageTexture struct {
	Texture       *wgpu.Texture
	View          *wgpu.TextureView
	Width, Height int
}

// NewImageTexture creates a width×height ImageTexture.
func (d *Device) NewImageTexture(label string, width, height int) (*ImageTexture, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if width <= 0 || height <= 0 || uint32(width) > d.Limits.MaxTextureDimension2D || uint32(height) > d.Limits.MaxTextureDimension2D {
		return nil, fmt.Errorf("gpu: image texture %s of %d×%d: each side must be 1..%d", label, width, height, d.Limits.MaxTextureDimension2D)
	}
	var tex *wgpu.Texture
	err := d.scoped("texture "+label, func() (err error) {
		tex, err = d.Dev.CreateTexture(&wgpu.TextureDescriptor{Label: label,
			Size:          wgpu.Extent3D{Width: uint32(width), Height: uint32(height), DepthOrArrayLayers: 1},
			MipLevelCount: 1, SampleCount: 1, Dimension: wgpu.TextureDimension2D, Format: wgpu.TextureFormatRGBA8Unorm,
			Usage: wgpu.TextureUsageTextureBinding | wgpu.TextureUsageCopyDst | wgpu.TextureUsageRenderAttachment})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("gpu: creating image texture %s: %w", label, err)
	}
	view, err := tex.CreateView(nil)
	if err != nil {
		tex.Release()
		return nil, fmt.Errorf("gpu: image texture view %s: %w", label, err)
	}
	return &ImageTexture{Texture: tex, View: view, Width: width, Height: height}, nil
}

// WriteRGBA uploads width×height RGBA bytes (rows packed) into t.
func (d *Device) WriteRGBA(t *ImageTexture, pix []byte) error {
	if err := d.check(); err != nil {
		return err
	}
	if len(pix) != 4*t.Width*t.Height {
		return fmt.Errorf("gpu: %d bytes for a %d×%d RGBA texture (want %d)", len(pix), t.Width, t.Height, 4*t.Width*t.Height)
	}
	return d.writeTextureBytes(t.Texture, pix, 4*t.Width, t.Width, t.Height)
}

// Release frees the texture and its view.
func (t *ImageTexture) Release() {
	if t == nil || t.Texture == nil {
		return
	}
	t.View.Release()
	t.Texture.Release()
	t.Texture, t.View = nil, nil
}
