package gpu

import (
	"github.com/orbital/orbital/drivers/driverkit"
)

const (
	maxUniforms  = 64
	maxCount     = 1 << 26 // vertices or indices per draw
	maxInstances = 1 << 24
)

// compute checks a gpu.compute request and queues it.
func (c *client) compute(m driverkit.Message, r ComputeRequest) any {
	if _, st := c.shaderOf(r.Shader, true); st != nil {
		return st
	}
	in := c.s.info
	for i, g := range r.Groups {
		if g < 1 || g > in.MaxGroups[i] {
			return invalid("compute: %d work groups in dimension %d; this GPU takes 1..%d", g, i, in.MaxGroups[i])
		}
	}
	if len(r.Uniforms) > maxUniforms {
		return invalid("compute: %d uniforms, at most %d", len(r.Uniforms), maxUniforms)
	}
	regs, st := jobRegions(m.Regions)
	if st != nil {
		return st
	}
	var transient int64
	for _, b := range r.Buffers {
		if b.Binding < 0 || b.Binding >= in.MaxBindings {
			return invalid("compute: buffer binding %d; this GPU has 0..%d", b.Binding, in.MaxBindings-1)
		}
		n, st := c.binding(m.Regions, regs, b)
		if st != nil {
			return st
		}
		transient += n
	}
	for _, im := range r.Images {
		if im.Binding < 0 || im.Binding >= in.MaxImages {
			return invalid("compute: image binding %d; this GPU has 0..%d", im.Binding, in.MaxImages-1)
		}
		need, st := access(im.Access)
		if st != nil {
			return st
		}
		n, st := c.image(m.Regions, regs, im.Image, need)
		if st != nil {
			return st
		}
		transient += n
	}
	if st := c.fits(m.Topic, transient); st != nil {
		return st
	}
	t := &task{job: Job{Op: OpCompute, Compute: &r, Regions: regs}, fds: dupFDs(m.Regions), budget: true, program: r.Shader}
	return c.start(m, t, r.Wait, false)
}

// binding checks a storage buffer binding; a region-backed one costs its size in GPU memory.
func (c *client) binding(rs []*driverkit.Region, regs []JobRegion, b Binding) (int64, *Status) {
	if (b.Region == nil) == (b.Buffer == 0) {
		return 0, invalid("binding %d: name a buffer or a region (one of them)", b.Binding)
	}
	if b.Region == nil {
		buf, st := c.buffer(b.Buffer)
		if st != nil {
			return 0, st
		}
		size := b.Size
		if size == 0 {
			size = buf.size - b.Offset
		}
		align := int64(max(c.s.info.BufferAlign, 1))
		if b.Offset < 0 || size <= 0 || b.Offset+size > buf.size || b.Offset%align != 0 {
			return 0, invalid("binding %d: bytes %d..%d of a %d-byte buffer (offsets are multiples of %d)", b.Binding, b.Offset, b.Offset+size, buf.size, align)
		}
		return 0, nil
	}
	need, st := access(b.Access)
	if st != nil {
		return 0, st
	}
	size := b.Size
	if size == 0 && *b.Region >= 0 && *b.Region < len(rs) {
		size = int64(rs[*b.Region].Size()) - b.Offset
	}
	for _, r := range []uint32{rightRead, rightWrite} {
		if need&r != 0 {
			if st := regionRef(rs, *b.Region, b.Offset, size, r); st != nil {
				return 0, st
			}
		}
	}
	if need&rightWrite != 0 {
		markWrite(regs, *b.Region)
	}
	return size, nil
}

// draw checks a gpu.draw request and queues it.
func (c *client) draw(m driverkit.Message, r DrawRequest) any {
	if _, st := c.shaderOf(r.Shader, false); st != nil {
		return st
	}
	in := c.s.info
	if _, ok := primitives[r.Primitive]; !ok {
		return invalid("draw: primitive %q: use triangles, triangle_strip, lines, line_strip or points", r.Primitive)
	}
	if r.Count < 0 || r.Count > maxCount || r.First < 0 || r.Instances < 0 || r.Instances > maxInstances {
		return invalid("draw: count %d, first %d, instances %d: counts are 0..%d, instances 0..%d", r.Count, r.First, r.Instances, maxCount, maxInstances)
	}
	if len(r.Uniforms) > maxUniforms || len(r.Vertices) > in.MaxVertexAttrs || len(r.Textures) > in.MaxTextures {
		return invalid("draw: %d uniforms, %d vertex buffers, %d textures: at most %d, %d and %d", len(r.Uniforms), len(r.Vertices), len(r.Textures), maxUniforms, in.MaxVertexAttrs, in.MaxTextures)
	}
	regs, st := jobRegions(m.Regions)
	if st != nil {
		return st
	}
	need := uint32(rightWrite)
	if r.Clear == nil {
		need |= rightRead // the target starts from the region's pixels
	}
	transient, st := c.image(m.Regions, regs, r.Target, need)
	if st != nil {
		return st
	}
	if r.Depth {
		transient += 4 * int64(r.Target.Width) * int64(r.Target.Height)
	}
	for _, v := range r.Vertices {
		n, st := c.stream(m.Regions, regs, v.Ref)
		if st != nil {
			return st
		}
		if v.Stride < 0 || v.Stride > 2048 || len(v.Attributes) == 0 {
			return invalid("draw: vertex stride %d (0..2048) with %d attributes (at least 1)", v.Stride, len(v.Attributes))
		}
		for _, a := range v.Attributes {
			if _, ok := attribTypes[a.Type]; !ok || a.Components < 1 || a.Components > 4 || a.Location < 0 || a.Location >= in.MaxVertexAttrs || a.Offset < 0 || a.Offset > 2048 {
				return invalid("draw: attribute at location %d: %d components of %q at offset %d (1..4 of float, half, byte, ubyte, short, ushort, int or uint; locations 0..%d)", a.Location, a.Components, a.Type, a.Offset, in.MaxVertexAttrs-1)
			}
		}
		transient += n
	}
	if r.Indices != nil {
		if r.Indices.Type != "ushort" && r.Indices.Type != "uint" {
			return invalid("draw: index type %q: use ushort or uint", r.Indices.Type)
		}
		n, st := c.stream(m.Regions, regs, r.Indices.Ref)
		if st != nil {
			return st
		}
		transient += n
	}
	for _, t := range r.Textures {
		if t.Unit < 0 || t.Unit >= in.MaxTextures {
			return invalid("draw: texture unit %d; this GPU has 0..%d", t.Unit, in.MaxTextures-1)
		}
		n, st := c.image(m.Regions, regs, t.Image, rightRead)
		if st != nil {
			return st
		}
		transient += n
	}
	if st := c.fits(m.Topic, transient); st != nil {
		return st
	}
	t := &task{job: Job{Op: OpDraw, Draw: &r, Regions: regs}, fds: dupFDs(m.Regions), budget: true, program: r.Shader}
	return c.start(m, t, r.Wait, true)
}

// stream checks a vertex or index source: a buffer, or a region read from the offset to its end.
func (c *client) stream(rs []*driverkit.Region, regs []JobRegion, ref Ref) (int64, *Status) {
	if (ref.Region == nil) == (ref.Buffer == 0) {
		return 0, invalid("draw: name a buffer or a region (one of them) for vertices and indices")
	}
	if ref.Region == nil {
		b, st := c.buffer(ref.Buffer)
		if st != nil {
			return 0, st
		}
		if ref.Offset < 0 || ref.Offset >= b.size {
			return 0, invalid("draw: offset %d of a %d-byte buffer", ref.Offset, b.size)
		}
		return 0, nil
	}
	i := *ref.Region
	if i < 0 || i >= len(rs) {
		return 0, invalid("region %d: the message carries %d regions", i, len(rs))
	}
	n := int64(rs[i].Size()) - ref.Offset
	return n, regionRef(rs, i, ref.Offset, n, rightRead)
}

var primitives = map[string]bool{"triangles": true, "triangle_strip": true, "lines": true, "line_strip": true, "points": true}

var attribTypes = map[string]bool{"": true, "float": true, "half": true, "byte": true, "ubyte": true, "short": true, "ushort": true, "int": true, "uint": true}
