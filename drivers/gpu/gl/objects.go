package gl

import (
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// Buffer is GPU memory: a shader storage buffer for compute, a vertex or index buffer for
// drawing.
type Buffer struct {
	ID   uint32
	Size int
}

// NewBuffer allocates size bytes of GPU memory (contents undefined).
func (c *Context) NewBuffer(size int) (*Buffer, error) {
	var id uint32
	gl.CreateBuffers(1, &id)
	gl.NamedBufferData(id, size, nil, gl.DYNAMIC_COPY)
	if err := check(fmt.Sprintf("allocate a buffer of %d bytes", size)); err != nil {
		gl.DeleteBuffers(1, &id)
		return nil, err
	}
	return &Buffer{ID: id, Size: size}, nil
}

// Write copies p into the buffer at off.
func (b *Buffer) Write(off int, p []byte) {
	if len(p) > 0 {
		gl.NamedBufferSubData(b.ID, off, len(p), unsafe.Pointer(&p[0]))
	}
}

// Read copies the buffer's bytes at off into p.
func (b *Buffer) Read(off int, p []byte) {
	if len(p) > 0 {
		gl.GetNamedBufferSubData(b.ID, off, len(p), unsafe.Pointer(&p[0]))
	}
}

// Load fills n bytes of the buffer at off from src at srcOff, read straight into the buffer's
// mapped memory: one copy, made by the kernel when src is a file (a region's descriptor), with
// no fresh mapping of the source to fault in (docs/design/gpu.md, 2026-12-03).
func (b *Buffer) Load(off int, src io.ReaderAt, srcOff int64, n int) error {
	return b.mapped(off, n, gl.MAP_WRITE_BIT|gl.MAP_INVALIDATE_RANGE_BIT, func(p []byte) error {
		_, err := src.ReadAt(p, srcOff)
		return err
	})
}

// Store writes n bytes of the buffer at off to dst at dstOff, from the buffer's mapped memory.
func (b *Buffer) Store(off int, dst io.WriterAt, dstOff int64, n int) error {
	return b.mapped(off, n, gl.MAP_READ_BIT, func(p []byte) error {
		_, err := dst.WriteAt(p, dstOff)
		return err
	})
}

// mapped maps n bytes of the buffer at off with access, hands them to f and unmaps them.
func (b *Buffer) mapped(off, n int, access uint32, f func([]byte) error) error {
	if n <= 0 {
		return nil
	}
	if off < 0 || off+n > b.Size {
		return fmt.Errorf("bytes %d..%d are outside the buffer's %d", off, off+n, b.Size)
	}
	ptr := gl.MapNamedBufferRange(b.ID, off, n, access)
	if ptr == nil {
		if err := check("map a buffer"); err != nil {
			return err
		}
		return errors.New("map a buffer: the GL gave no pointer")
	}
	err := f(unsafe.Slice((*byte)(ptr), n))
	if !gl.UnmapNamedBuffer(b.ID) && err == nil {
		err = errors.New("the buffer's contents were lost while it was mapped")
	}
	if e := check("unmap a buffer"); err == nil {
		err = e
	}
	return err
}

// CopyTo copies n bytes at off into dst at dstOff, on the GPU.
func (b *Buffer) CopyTo(dst *Buffer, off, dstOff, n int) error {
	gl.CopyNamedBufferSubData(b.ID, dst.ID, off, dstOff, n)
	return check("copy between buffers")
}

// Delete frees the buffer.
func (b *Buffer) Delete() { gl.DeleteBuffers(1, &b.ID) }

// Texture is a 2D RGBA8 image: a compute shader's image2D, a fragment shader's sampler2D.
type Texture struct {
	ID   uint32
	W, H int
}

// NewTexture allocates a w x h RGBA8 texture.
func (c *Context) NewTexture(w, h int) (*Texture, error) {
	var id uint32
	gl.CreateTextures(gl.TEXTURE_2D, 1, &id)
	gl.TextureStorage2D(id, 1, gl.RGBA8, int32(w), int32(h))
	gl.TextureParameteri(id, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE)
	gl.TextureParameteri(id, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE)
	if err := check(fmt.Sprintf("allocate a %dx%d texture", w, h)); err != nil {
		gl.DeleteTextures(1, &id)
		return nil, err
	}
	return &Texture{ID: id, W: w, H: h}, nil
}

// Upload copies RGBA8 pixels, rows of stride bytes, top row first, into the texture.
func (t *Texture) Upload(pix []byte, stride int) {
	gl.PixelStorei(gl.UNPACK_ROW_LENGTH, int32(stride/4))
	gl.TextureSubImage2D(t.ID, 0, 0, 0, int32(t.W), int32(t.H), gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pix[0]))
	gl.PixelStorei(gl.UNPACK_ROW_LENGTH, 0)
}

// Download copies the texture into pix, rows of stride bytes, top row first.
func (t *Texture) Download(pix []byte, stride int) {
	gl.PixelStorei(gl.PACK_ROW_LENGTH, int32(stride/4))
	gl.GetTextureImage(t.ID, 0, gl.RGBA, gl.UNSIGNED_BYTE, int32(len(pix)), unsafe.Pointer(&pix[0]))
	gl.PixelStorei(gl.PACK_ROW_LENGTH, 0)
}

// UploadBuffer copies RGBA8 pixels from a pixel buffer (rows of stride bytes, top row first,
// from its start) into the texture.
func (t *Texture) UploadBuffer(b *Buffer, stride int) error {
	gl.BindBuffer(gl.PIXEL_UNPACK_BUFFER, b.ID)
	gl.PixelStorei(gl.UNPACK_ROW_LENGTH, int32(stride/4))
	gl.TextureSubImage2D(t.ID, 0, 0, 0, int32(t.W), int32(t.H), gl.RGBA, gl.UNSIGNED_BYTE, nil)
	gl.PixelStorei(gl.UNPACK_ROW_LENGTH, 0)
	gl.BindBuffer(gl.PIXEL_UNPACK_BUFFER, 0)
	return check("upload a texture from a buffer")
}

// DownloadBuffer copies the texture into a pixel buffer, rows of stride bytes from its start,
// top row first; the bytes between rows are left as they were.
func (t *Texture) DownloadBuffer(b *Buffer, stride int) error {
	gl.BindBuffer(gl.PIXEL_PACK_BUFFER, b.ID)
	gl.PixelStorei(gl.PACK_ROW_LENGTH, int32(stride/4))
	gl.GetTextureImage(t.ID, 0, gl.RGBA, gl.UNSIGNED_BYTE, int32(b.Size), nil)
	gl.PixelStorei(gl.PACK_ROW_LENGTH, 0)
	gl.BindBuffer(gl.PIXEL_PACK_BUFFER, 0)
	return check("download a texture into a buffer")
}

// Filter sets how a fragment shader samples the texture: linear or nearest.
func (t *Texture) Filter(linear bool) {
	f := int32(gl.NEAREST)
	if linear {
		f = gl.LINEAR
	}
	gl.TextureParameteri(t.ID, gl.TEXTURE_MIN_FILTER, f)
	gl.TextureParameteri(t.ID, gl.TEXTURE_MAG_FILTER, f)
}

// Delete frees the texture.
func (t *Texture) Delete() { gl.DeleteTextures(1, &t.ID) }

// Target is an offscreen framebuffer to draw into: an RGBA8 colour texture and, optionally, a
// 24-bit depth buffer.
type Target struct {
	W, H  int
	Depth bool
	Color *Texture
	fbo   uint32
	depth uint32
}

// NewTarget allocates a w x h framebuffer.
func (c *Context) NewTarget(w, h int, depth bool) (*Target, error) {
	col, err := c.NewTexture(w, h)
	if err != nil {
		return nil, err
	}
	t := &Target{W: w, H: h, Depth: depth, Color: col}
	gl.CreateFramebuffers(1, &t.fbo)
	gl.NamedFramebufferTexture(t.fbo, gl.COLOR_ATTACHMENT0, col.ID, 0)
	if depth {
		gl.CreateRenderbuffers(1, &t.depth)
		gl.NamedRenderbufferStorage(t.depth, gl.DEPTH_COMPONENT24, int32(w), int32(h))
		gl.NamedFramebufferRenderbuffer(t.fbo, gl.DEPTH_ATTACHMENT, gl.RENDERBUFFER, t.depth)
	}
	if err := check(fmt.Sprintf("allocate a %dx%d target", w, h)); err != nil {
		t.Delete()
		return nil, err
	}
	if s := gl.CheckNamedFramebufferStatus(t.fbo, gl.FRAMEBUFFER); s != gl.FRAMEBUFFER_COMPLETE {
		t.Delete()
		return nil, fmt.Errorf("%dx%d target: framebuffer incomplete (0x%x)", w, h, s)
	}
	return t, nil
}

// Bytes is what the target holds in GPU memory.
func (t *Target) Bytes() int {
	if t.Depth {
		return 8 * t.W * t.H
	}
	return 4 * t.W * t.H
}

// Read copies the target's colour into pix, rows of stride bytes, top row first (the context
// draws with the upper-left origin).
func (t *Target) Read(pix []byte, stride int) error {
	t.Color.Download(pix, stride)
	return check("read the target")
}

// Delete frees the framebuffer.
func (t *Target) Delete() {
	gl.DeleteFramebuffers(1, &t.fbo)
	if t.depth != 0 {
		gl.DeleteRenderbuffers(1, &t.depth)
	}
	t.Color.Delete()
}
