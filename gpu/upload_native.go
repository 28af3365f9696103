//go:build !js && cgo

package gpu

import "github.com/cogentcore/webgpu/wgpu"

// writeBuffer uploads data into b at byte offset off.
func (d *Device) writeBuffer(b *wgpu.Buffer, off uint64, data []byte) error {
	return d.Queue.WriteBuffer(b, off, data)
}

// writeTexture uploads width×height rgba32float texels into tex.
func (d *Device) writeTexture(tex *wgpu.Texture, data []byte, width, height int) error {
	return d.writeTextureBytes(tex, data, 16*width, width, height)
}

// writeTextureBytes uploads width×height texels of rowBytes a row into tex.
func (d *Device) writeTextureBytes(tex *wgpu.Texture, data []byte, rowBytes, width, height int) error {
	size := wgpu.Extent3D{Width: uint32(width), Height: uint32(height), DepthOrArrayLayers: 1}
	return d.Queue.WriteTexture(&wgpu.ImageCopyTexture{Texture: tex, MipLevel: 0, Aspect: wgpu.TextureAspectAll},
		data, &wgpu.TextureDataLayout{Offset: 0, BytesPerRow: uint32(rowBytes), RowsPerImage: uint32(height)}, &size)
}

// SameBuffer says whether a and b are the same buffer (natively, the same
// handle).
func SameBuffer(a, b *wgpu.Buffer) bool { return a == b }
