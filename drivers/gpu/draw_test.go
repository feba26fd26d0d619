package gpu_test

import (
	"bytes"
	"testing"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers/drivertest"
	"github.com/orbital/orbital/drivers/gpu"
)

// TestDraw draws two full-screen triangles from a region's vertices into a target region with
// a depth buffer: the nearer one (drawn first) must win; its colour comes from a texture in a
// third region, sampled in the fragment shader.
func TestDraw(t *testing.T) {
	h := drivertest.New(t)
	h.Start(gpuSpec(t))
	c := newClient(t, h, drivertest.ClientPID)
	var prog gpu.CompileReply
	c.ask(gpu.TopicCompile, gpu.CompileRequest{
		Vertex: `layout(location = 0) in vec3 pos;
void main() { gl_Position = vec4(pos, 1.0); }`,
		Fragment: `layout(binding = 0) uniform sampler2D tex;
uniform vec4 tint;
out vec4 color;
void main() { color = texture(tex, vec2(0.5)) * tint; }`}, &prog)
	if prog.Code != 0 || prog.Uniforms["tint"] != "vec4" {
		t.Fatalf("compile: %+v", prog)
	}
	// Two triangles covering the whole target: z = -0.5 (near), then z = 0.5 (far).
	verts := floats(-1, -1, -0.5, 3, -1, -0.5, -1, 3, -0.5, -1, -1, 0.5, 3, -1, 0.5, -1, 3, 0.5)
	vr := c.region(verts)
	tex := c.region([]byte{0, 200, 0, 255, 0, 200, 0, 255, 0, 200, 0, 255, 0, 200, 0, 255}) // 2x2 green
	const w, hgt = 8, 6
	target := c.region(make([]byte, 4*w*hgt))
	var r gpu.JobReply
	c.ask(gpu.TopicDraw, gpu.DrawRequest{Shader: prog.Shader, Target: gpu.Image{Region: 0, Width: w, Height: hgt},
		Clear: &[4]float32{0, 0, 0, 1}, Depth: true, Primitive: "triangles", Count: 6,
		Vertices: []gpu.Vertices{{Ref: gpu.Ref{Region: ptr(1)}, Stride: 12, Attributes: []gpu.Attribute{{Location: 0, Components: 3}}}},
		Textures: []gpu.TextureBinding{{Unit: 0, Image: gpu.Image{Region: 2, Width: 2, Height: 2}}},
		Uniforms: map[string][]float64{"tint": {1, 1, 1, 1}}}, &r,
		bus.Attachment{Handle: target, Rights: bus.RightWrite}, bus.Attachment{Handle: vr, Rights: bus.RightRead}, bus.Attachment{Handle: tex, Rights: bus.RightRead})
	if r.Code != 0 {
		t.Fatalf("draw: %+v", r)
	}
	pix := c.read(target, 4*w*hgt)
	for i := 0; i < len(pix); i += 4 {
		if pix[i] != 0 || pix[i+1] != 200 || pix[i+3] != 255 {
			t.Fatalf("pixel %d is %v, want the texture's green", i/4, pix[i:i+4])
		}
	}
	// Drawing needs the write right on the target.
	r = gpu.JobReply{}
	c.ask(gpu.TopicDraw, gpu.DrawRequest{Shader: prog.Shader, Target: gpu.Image{Region: 0, Width: w, Height: hgt}, Clear: &[4]float32{}, Primitive: "points", Count: 1}, &r,
		bus.Attachment{Handle: target, Rights: bus.RightRead})
	if r.Code != gpu.CodeRights {
		t.Fatalf("draw into a read-only region: %+v", r)
	}
}

// TestPicturesWithAStrideKeepTheBytesBetweenRows copies an image at an offset with padded rows
// into another such image, by a compute shader, then draws nothing onto the copy (a target that
// starts from the region's pixels): the pixels arrive and every byte around them is kept.
func TestPicturesWithAStrideKeepTheBytesBetweenRows(t *testing.T) {
	h := drivertest.New(t)
	h.Start(gpuSpec(t))
	c := newClient(t, h, drivertest.ClientPID)
	const w, hgt, stride, off = 3, 2, 4*3 + 8, 4
	size := off + stride*hgt
	src, want := make([]byte, size), make([]byte, size)
	for i := range src {
		src[i], want[i] = byte(i), 0xee
	}
	for y := 0; y < hgt; y++ {
		row := off + y*stride
		copy(want[row:row+4*w], src[row:row+4*w])
	}
	a, b := c.region(src), c.region(bytes.Repeat([]byte{0xee}, size))
	im := func(region int, access string) gpu.Image {
		return gpu.Image{Region: region, Offset: off, Width: w, Height: hgt, Stride: stride, Access: access}
	}
	var cs gpu.CompileReply
	c.ask(gpu.TopicCompile, gpu.CompileRequest{Compute: `layout(local_size_x = 1, local_size_y = 1) in;
layout(rgba8, binding = 0) readonly uniform image2D src;
layout(rgba8, binding = 1) writeonly uniform image2D dst;
void main() { ivec2 p = ivec2(gl_GlobalInvocationID.xy); imageStore(dst, p, imageLoad(src, p)); }`}, &cs)
	var r gpu.JobReply
	c.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: cs.Shader, Groups: [3]int{w, hgt, 1},
		Images: []gpu.ImageBinding{{Binding: 0, Image: im(0, gpu.AccessRead)}, {Binding: 1, Image: im(1, gpu.AccessWrite)}}}, &r,
		bus.Attachment{Handle: a, Rights: bus.RightRead}, bus.Attachment{Handle: b, Rights: bus.RightWrite})
	if got := c.read(b, size); r.Code != 0 || !bytes.Equal(got, want) {
		t.Fatalf("compute: %+v\n got %v\nwant %v", r, got, want)
	}
	var ds gpu.CompileReply
	c.ask(gpu.TopicCompile, gpu.CompileRequest{Vertex: `void main() { gl_Position = vec4(0); }`,
		Fragment: `out vec4 color; void main() { color = vec4(1); }`}, &ds)
	r = gpu.JobReply{}
	c.ask(gpu.TopicDraw, gpu.DrawRequest{Shader: ds.Shader, Target: im(0, ""), Primitive: "points"}, &r,
		bus.Attachment{Handle: b, Rights: bus.RightRead | bus.RightWrite})
	if got := c.read(b, size); r.Code != 0 || !bytes.Equal(got, want) {
		t.Fatalf("draw: %+v\n got %v\nwant %v", r, got, want)
	}
}
