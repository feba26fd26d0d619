package worker

import (
	"github.com/orbital/orbital/drivers/gpu"
	"github.com/orbital/orbital/drivers/gpu/gl"
)

// download is a copy from the GPU into a region, made once the work is done.
type download func() error

var accessModes = map[string]uint32{gpu.AccessRead: gl.ReadOnly, gpu.AccessWrite: gl.WriteOnly, gpu.AccessReadWrite: gl.ReadWrite}

func (w *worker) program(id uint64, compute bool) (*gl.Program, error) {
	p := w.programs[id]
	if p == nil {
		return nil, fail(gpu.CodeNotFound, "shader %d is not in this context", id)
	}
	if p.Compute != compute {
		what := "a drawing program"
		if p.Compute {
			what = "a compute shader"
		}
		return nil, fail(gpu.CodeInvalid, "shader %d is %s", id, what)
	}
	return p, nil
}

func (w *worker) compute(r *gpu.ComputeRequest, regions []*region) error {
	if r == nil {
		return fail(gpu.CodeInvalid, "compute: no request")
	}
	p, err := w.program(r.Shader, true)
	if err != nil {
		return err
	}
	s := &scratch{p: &w.pool, c: w.ctx}
	defer s.done()
	var after []download
	var bufs []gl.BufferBinding
	for _, b := range r.Buffers {
		bb, dl, err := w.bindBuffer(s, b, regions)
		if err != nil {
			return err
		}
		bufs = append(bufs, bb)
		after = append(after, dl...)
	}
	var imgs []gl.ImageBinding
	for _, im := range r.Images {
		t, dl, err := w.image(s, im.Image, regions, im.Access != gpu.AccessWrite, im.Access != gpu.AccessRead)
		if err != nil {
			return err
		}
		imgs = append(imgs, gl.ImageBinding{Unit: im.Binding, Tex: t, Access: accessModes[im.Access]})
		after = append(after, dl...)
	}
	if err := w.ctx.Dispatch(p, bufs, imgs, r.Uniforms, r.Groups); err != nil {
		return fail(gpu.CodeInvalid, "%v", err)
	}
	for _, d := range after {
		if err := d(); err != nil {
			return err
		}
	}
	return nil
}

// bindBuffer binds a GPU buffer in place, or a region through a scratch buffer: uploaded
// before the run when it is read, downloaded after when it is written.
func (w *worker) bindBuffer(s *scratch, b gpu.Binding, regions []*region) (gl.BufferBinding, []download, error) {
	if b.Region == nil {
		buf, err := w.gpuBuffer(b.Buffer)
		if err != nil {
			return gl.BufferBinding{}, nil, err
		}
		size := b.Size
		if size == 0 {
			size = int64(buf.Size) - b.Offset
		}
		if b.Offset < 0 || size <= 0 || b.Offset+size > int64(buf.Size) || b.Offset%int64(w.ctx.BufferAlign) != 0 {
			return gl.BufferBinding{}, nil, fail(gpu.CodeInvalid, "binding %d: bytes %d..%d of a %d-byte buffer (offsets are multiples of %d)", b.Binding, b.Offset, b.Offset+size, buf.Size, w.ctx.BufferAlign)
		}
		return gl.BufferBinding{Binding: b.Binding, Buf: buf, Offset: int(b.Offset), Size: int(size)}, nil, nil
	}
	r, err := regionAt(regions, *b.Region)
	if err != nil {
		return gl.BufferBinding{}, nil, err
	}
	size := b.Size
	if size == 0 {
		size = r.size - b.Offset
	}
	if size <= 0 || checkSpan(r.size, b.Offset, size) != nil {
		return gl.BufferBinding{}, nil, fail(gpu.CodeInvalid, "binding %d: %d bytes from %d of a %d-byte region", b.Binding, size, b.Offset, r.size)
	}
	buf, err := s.buffer(int(size))
	if err != nil {
		return gl.BufferBinding{}, nil, glFail(err)
	}
	if b.Access != gpu.AccessWrite {
		if err := buf.Load(0, r, b.Offset, int(size)); err != nil {
			return gl.BufferBinding{}, nil, glFail(err)
		}
	}
	var dl []download
	if b.Access != gpu.AccessRead {
		dl = append(dl, func() error { return glFail(buf.Store(0, r, b.Offset, int(size))) })
	}
	return gl.BufferBinding{Binding: b.Binding, Buf: buf, Offset: 0, Size: int(size)}, dl, nil
}

// image puts a region's picture in a scratch texture (uploaded when read) and, when written,
// downloads it after the work.
func (w *worker) image(s *scratch, im gpu.Image, regions []*region, read, write bool) (*gl.Texture, []download, error) {
	if im.Width > w.ctx.MaxTextureSize || im.Height > w.ctx.MaxTextureSize {
		return nil, nil, fail(gpu.CodeInvalid, "image %dx%d is larger than %d", im.Width, im.Height, w.ctx.MaxTextureSize)
	}
	px, err := stage(s, im, regions, read, write)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.texture(im.Width, im.Height)
	if err != nil {
		return nil, nil, glFail(err)
	}
	if read {
		if err := glFail(t.UploadBuffer(px.buf, px.stride)); err != nil {
			return nil, nil, err
		}
	}
	if !write {
		return t, nil, nil
	}
	return t, []download{func() error { return px.download(t) }}, nil
}

// pixels is a picture's bytes of a region staged in a scratch GL buffer: rows of stride bytes,
// n in all from off. Textures are filled from it and read back into it on the GPU's side, and
// it goes to and from the region in one pread or pwrite.
type pixels struct {
	r      *region
	off, n int64
	stride int
	buf    *gl.Buffer
}

// stage reads a picture's bytes into a scratch buffer when the work reads them, or when it
// writes rows narrower than the stride (the bytes between rows go back as they were).
func stage(s *scratch, im gpu.Image, regions []*region, read, write bool) (*pixels, error) {
	r, off, n, stride, err := imageSpan(regions, im)
	if err != nil {
		return nil, err
	}
	buf, err := s.buffer(int(n))
	if err != nil {
		return nil, glFail(err)
	}
	if read || write && stride != 4*im.Width {
		if err := buf.Load(0, r, off, int(n)); err != nil {
			return nil, glFail(err)
		}
	}
	return &pixels{r: r, off: off, n: n, stride: stride, buf: buf}, nil
}

// download copies t into the region through the staging buffer.
func (p *pixels) download(t *gl.Texture) error {
	if err := t.DownloadBuffer(p.buf, p.stride); err != nil {
		return glFail(err)
	}
	return glFail(p.buf.Store(0, p.r, p.off, int(p.n)))
}

func (w *worker) draw(r *gpu.DrawRequest, regions []*region) error {
	if r == nil {
		return fail(gpu.CodeInvalid, "draw: no request")
	}
	p, err := w.program(r.Shader, false)
	if err != nil {
		return err
	}
	s := &scratch{p: &w.pool, c: w.ctx}
	defer s.done()
	px, err := stage(s, r.Target, regions, r.Clear == nil, true)
	if err != nil {
		return err
	}
	tg, err := s.target(r.Target.Width, r.Target.Height, r.Depth)
	if err != nil {
		return glFail(err)
	}
	if r.Clear == nil {
		if err := glFail(tg.Color.UploadBuffer(px.buf, px.stride)); err != nil {
			return err
		}
	}
	call := gl.DrawCall{Prog: p, Target: tg, Clear: r.Clear, DepthTest: r.Depth, Blend: r.Blend,
		Mode: gl.Primitives[r.Primitive], First: r.First, Count: r.Count, Instances: r.Instances, Uniforms: r.Uniforms}
	if call.Mode == 0 && r.Primitive != "points" {
		return fail(gpu.CodeInvalid, "primitive %q: use triangles, triangle_strip, lines, line_strip or points", r.Primitive)
	}
	for _, v := range r.Vertices {
		buf, off, err := w.source(s, v.Ref, regions)
		if err != nil {
			return err
		}
		vb := gl.VertexBinding{Buf: buf, Offset: off, Stride: v.Stride, PerInstance: v.PerInstance}
		for _, a := range v.Attributes {
			t := gl.AttribTypes[a.Type]
			if a.Type == "" {
				t = gl.AttribTypes["float"]
			}
			vb.Attribs = append(vb.Attribs, gl.Attrib{Location: a.Location, Components: a.Components, Type: t, Normalized: a.Normalized, Offset: a.Offset})
		}
		call.Vertices = append(call.Vertices, vb)
	}
	if r.Indices != nil {
		buf, off, err := w.source(s, r.Indices.Ref, regions)
		if err != nil {
			return err
		}
		call.Index = &gl.IndexBinding{Buf: buf, Offset: off, Type: gl.IndexTypes[r.Indices.Type]}
	}
	for _, t := range r.Textures {
		tex, _, err := w.image(s, t.Image, regions, true, false)
		if err != nil {
			return err
		}
		call.Textures = append(call.Textures, gl.TextureBinding{Unit: t.Unit, Tex: tex, Linear: t.Linear})
	}
	if err := w.ctx.Draw(call); err != nil {
		return fail(gpu.CodeInvalid, "%v", err)
	}
	return px.download(tg.Color)
}

// source is the buffer a vertex or index stream reads: a GPU buffer in place, or the rest of a
// region from the offset, uploaded into a scratch buffer.
func (w *worker) source(s *scratch, ref gpu.Ref, regions []*region) (*gl.Buffer, int, error) {
	if ref.Region == nil {
		b, err := w.gpuBuffer(ref.Buffer)
		if err != nil {
			return nil, 0, err
		}
		if ref.Offset < 0 || ref.Offset >= int64(b.Size) {
			return nil, 0, fail(gpu.CodeInvalid, "offset %d of a %d-byte buffer", ref.Offset, b.Size)
		}
		return b, int(ref.Offset), nil
	}
	r, err := regionAt(regions, *ref.Region)
	if err != nil {
		return nil, 0, err
	}
	n := r.size - ref.Offset
	if n <= 0 || checkSpan(r.size, ref.Offset, n) != nil {
		return nil, 0, fail(gpu.CodeInvalid, "offset %d of a %d-byte region", ref.Offset, r.size)
	}
	b, err := s.buffer(int(n))
	if err != nil {
		return nil, 0, glFail(err)
	}
	return b, 0, glFail(b.Load(0, r, ref.Offset, int(n)))
}
