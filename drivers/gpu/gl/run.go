package gl

import (
	"fmt"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// BufferBinding binds a byte range of a buffer to a shader storage block binding point.
type BufferBinding struct {
	Binding      int
	Buf          *Buffer
	Offset, Size int
}

// Image access modes.
const (
	ReadOnly  = gl.READ_ONLY
	WriteOnly = gl.WRITE_ONLY
	ReadWrite = gl.READ_WRITE
)

// ImageBinding binds a texture to an image unit (layout(rgba8, binding = N) image2D).
type ImageBinding struct {
	Unit   int
	Tex    *Texture
	Access uint32
}

// Dispatch runs a compute program over groups work groups and waits until it is done.
func (c *Context) Dispatch(p *Program, bufs []BufferBinding, imgs []ImageBinding, uniforms map[string][]float64, groups [3]int) error {
	if !p.Compute {
		return fmt.Errorf("dispatch: program %d is a drawing program", p.ID)
	}
	if err := p.SetUniforms(uniforms); err != nil {
		return err
	}
	for _, b := range bufs {
		gl.BindBufferRange(gl.SHADER_STORAGE_BUFFER, uint32(b.Binding), b.Buf.ID, b.Offset, b.Size)
	}
	for _, im := range imgs {
		gl.BindImageTexture(uint32(im.Unit), im.Tex.ID, 0, false, 0, im.Access, gl.RGBA8)
	}
	gl.UseProgram(p.ID)
	gl.DispatchCompute(uint32(groups[0]), uint32(groups[1]), uint32(groups[2]))
	gl.MemoryBarrier(gl.ALL_BARRIER_BITS)
	gl.Finish()
	gl.UseProgram(0)
	for _, b := range bufs {
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, uint32(b.Binding), 0)
	}
	return check("dispatch")
}

// Attrib is one vertex attribute read from a vertex buffer.
type Attrib struct {
	Location   int
	Components int    // 1..4
	Type       uint32 // FLOAT, UNSIGNED_BYTE, ...
	Normalized bool
	Offset     int // within one vertex
}

// Attribute component types, as requests name them.
var AttribTypes = map[string]uint32{
	"float": gl.FLOAT, "half": gl.HALF_FLOAT, "byte": gl.BYTE, "ubyte": gl.UNSIGNED_BYTE,
	"short": gl.SHORT, "ushort": gl.UNSIGNED_SHORT, "int": gl.INT, "uint": gl.UNSIGNED_INT,
}

// VertexBinding is a vertex buffer: where its vertices start, their stride, their attributes,
// and whether it advances per instance instead of per vertex.
type VertexBinding struct {
	Buf         *Buffer
	Offset      int
	Stride      int
	PerInstance bool
	Attribs     []Attrib
}

// IndexBinding is an index buffer of UNSIGNED_SHORT or UNSIGNED_INT indices.
type IndexBinding struct {
	Buf    *Buffer
	Offset int
	Type   uint32
}

// Index types, as requests name them.
var IndexTypes = map[string]uint32{"ushort": gl.UNSIGNED_SHORT, "uint": gl.UNSIGNED_INT}

// Primitives, as requests name them.
var Primitives = map[string]uint32{
	"triangles": gl.TRIANGLES, "triangle_strip": gl.TRIANGLE_STRIP, "lines": gl.LINES,
	"line_strip": gl.LINE_STRIP, "points": gl.POINTS,
}

// TextureBinding binds a texture to a sampler unit (layout(binding = N) uniform sampler2D).
type TextureBinding struct {
	Unit   int
	Tex    *Texture
	Linear bool
}

// DrawCall is one draw into a target.
type DrawCall struct {
	Prog      *Program
	Target    *Target
	Clear     *[4]float32 // clear colour first (and depth to 1), or keep what the target holds
	DepthTest bool
	Blend     bool // premultiplied source-over
	Mode      uint32
	First     int
	Count     int
	Instances int
	Vertices  []VertexBinding
	Index     *IndexBinding
	Textures  []TextureBinding
	Uniforms  map[string][]float64
}

// Draw runs one draw call and waits until it is done.
func (c *Context) Draw(d DrawCall) error {
	if d.Prog.Compute {
		return fmt.Errorf("draw: program %d is a compute program", d.Prog.ID)
	}
	if err := d.Prog.SetUniforms(d.Uniforms); err != nil {
		return err
	}
	c.bindVertices(d.Vertices, d.Index)
	for _, t := range d.Textures {
		t.Tex.Filter(t.Linear)
		gl.BindTextureUnit(uint32(t.Unit), t.Tex.ID)
	}
	gl.BindFramebuffer(gl.DRAW_FRAMEBUFFER, d.Target.fbo)
	gl.Viewport(0, 0, int32(d.Target.W), int32(d.Target.H))
	setCap(gl.DEPTH_TEST, d.DepthTest && d.Target.Depth)
	setCap(gl.BLEND, d.Blend)
	gl.BlendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA)
	gl.Enable(gl.PROGRAM_POINT_SIZE)
	gl.FrontFace(gl.CW) // the upper-left origin mirrors y, so counter-clockwise in clip space is clockwise here
	if d.Clear != nil {
		gl.ClearColor(d.Clear[0], d.Clear[1], d.Clear[2], d.Clear[3])
		gl.ClearDepth(1)
		gl.DepthMask(true)
		gl.Clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT)
	}
	gl.UseProgram(d.Prog.ID)
	gl.BindVertexArray(c.vao)
	inst := int32(max(d.Instances, 1))
	if d.Index != nil {
		size := 2
		if d.Index.Type == gl.UNSIGNED_INT {
			size = 4
		}
		gl.DrawElementsInstanced(d.Mode, int32(d.Count), d.Index.Type, gl.PtrOffset(d.Index.Offset+d.First*size), inst)
	} else {
		gl.DrawArraysInstanced(d.Mode, int32(d.First), int32(d.Count), inst)
	}
	gl.Finish()
	gl.BindVertexArray(0)
	gl.UseProgram(0)
	gl.BindFramebuffer(gl.DRAW_FRAMEBUFFER, 0)
	for _, t := range d.Textures {
		gl.BindTextureUnit(uint32(t.Unit), 0)
	}
	return check("draw")
}

// bindVertices points the context's vertex array at this draw's buffers, attribute by
// attribute; attributes of the previous draw are switched off.
func (c *Context) bindVertices(vs []VertexBinding, ix *IndexBinding) {
	for i := 0; i < c.MaxVertexAttrs; i++ {
		gl.DisableVertexArrayAttrib(c.vao, uint32(i))
	}
	for i, v := range vs {
		gl.VertexArrayVertexBuffer(c.vao, uint32(i), v.Buf.ID, v.Offset, int32(v.Stride))
		div := uint32(0)
		if v.PerInstance {
			div = 1
		}
		gl.VertexArrayBindingDivisor(c.vao, uint32(i), div)
		for _, a := range v.Attribs {
			loc := uint32(a.Location)
			gl.EnableVertexArrayAttrib(c.vao, loc)
			if isInteger(a.Type) && !a.Normalized {
				gl.VertexArrayAttribIFormat(c.vao, loc, int32(a.Components), a.Type, uint32(a.Offset))
			} else {
				gl.VertexArrayAttribFormat(c.vao, loc, int32(a.Components), a.Type, a.Normalized, uint32(a.Offset))
			}
			gl.VertexArrayAttribBinding(c.vao, loc, uint32(i))
		}
	}
	if ix != nil {
		gl.VertexArrayElementBuffer(c.vao, ix.Buf.ID)
	} else {
		gl.VertexArrayElementBuffer(c.vao, 0)
	}
}

func isInteger(t uint32) bool { return t != gl.FLOAT && t != gl.HALF_FLOAT }

func setCap(c uint32, on bool) {
	if on {
		gl.Enable(c)
	} else {
		gl.Disable(c)
	}
}
