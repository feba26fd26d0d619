package gpu_test

import (
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
