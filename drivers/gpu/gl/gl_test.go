package gl

import (
	"encoding/binary"
	"math"
	"os"
	"runtime"
	"testing"
)

// The tests share one context on the test binary's main thread (TestMain), so each test hands
// its body to that thread.
var onGL = make(chan func())

func TestMain(m *testing.M) {
	runtime.LockOSThread()
	c, err := Open(os.Getenv("ORBITAL_GPU_BACKEND"))
	if err != nil {
		println("gl tests:", err.Error())
		os.Exit(1)
	}
	ctx = c
	done := make(chan int)
	go func() { done <- m.Run() }()
	for {
		select {
		case f := <-onGL:
			f()
		case code := <-done:
			c.Close()
			os.Exit(code)
		}
	}
}

var ctx *Context

func onThread(t *testing.T, f func()) {
	t.Helper()
	ok := make(chan struct{})
	onGL <- func() { defer close(ok); f() }
	<-ok
}

func TestCompileErrorsNameLineAndColumn(t *testing.T) {
	cases := []struct {
		name, src  string
		line, col  int
		wantPrefix string
	}{
		{"with version", "#version 430\nlayout(local_size_x = 1) in;\nvoid main() {\n  float x = y;\n}\n", 4, 13, ""},
		{"without version", "layout(local_size_x = 1) in;\nvoid main() {\n  int a = 1;\n  float x = nope;\n}\n", 4, 13, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var diags []Diagnostic
			var err error
			onThread(t, func() { _, diags, err = ctx.Compile(map[string]string{StageCompute: tc.src}) })
			if err == nil || len(diags) == 0 {
				t.Fatalf("compiled: %v %v", err, diags)
			}
			d := diags[0]
			if d.Stage != StageCompute || d.Line != tc.line || d.Column == 0 || d.Severity != "error" {
				t.Fatalf("diagnostic %+v, want line %d", d, tc.line)
			}
			t.Logf("%s", d)
		})
	}
}

func TestDispatchBuffersAndUniforms(t *testing.T) {
	const n = 1024
	src := `layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer In { float a[]; };
layout(std430, binding = 1) writeonly buffer Out { float b[]; };
uniform float scale;
uniform ivec2 shift;
void main() { uint i = gl_GlobalInvocationID.x; b[i] = a[i] * scale + float(shift.y); }`
	in := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(in[4*i:], math.Float32bits(float32(i)))
	}
	out := make([]byte, 4*n)
	onThread(t, func() {
		p, diags, err := ctx.Compile(map[string]string{StageCompute: src})
		if err != nil {
			t.Errorf("compile: %v %v", err, diags)
			return
		}
		defer p.Delete()
		if p.Local != [3]int{64, 1, 1} || p.Uniforms["scale"].Type == 0 {
			t.Errorf("program: %+v", p)
		}
		a, _ := ctx.NewBuffer(4 * n)
		b, _ := ctx.NewBuffer(4 * n)
		defer a.Delete()
		defer b.Delete()
		a.Write(0, in)
		err = ctx.Dispatch(p, []BufferBinding{{0, a, 0, 4 * n}, {1, b, 0, 4 * n}}, nil,
			map[string][]float64{"scale": {2}, "shift": {0, 3}}, [3]int{n / 64, 1, 1})
		if err != nil {
			t.Error(err)
		}
		b.Read(0, out)
		if err := p.SetUniforms(map[string][]float64{"scale": {1, 2}}); err == nil {
			t.Error("two numbers for a float were taken")
		}
	})
	for i := 0; i < n; i++ {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:])); got != float32(2*i+3) {
			t.Fatalf("b[%d] = %v, want %v", i, got, 2*i+3)
		}
	}
}

func TestImagesAndDrawingKeepRowsTopFirst(t *testing.T) {
	const w, h = 8, 4
	// A compute shader copies the image and marks (0,0) red: the first byte of row 0.
	cs := `layout(local_size_x = 8, local_size_y = 4) in;
layout(rgba8, binding = 0) readonly uniform image2D src;
layout(rgba8, binding = 1) writeonly uniform image2D dst;
void main() {
  ivec2 p = ivec2(gl_GlobalInvocationID.xy);
  vec4 c = imageLoad(src, p);
  if (p == ivec2(0, 0)) c = vec4(1, 0, 0, 1);
  imageStore(dst, p, c);
}`
	// A triangle covering the top half of clip space (y > 0) is drawn green.
	vs := `layout(location = 0) in vec2 pos; void main() { gl_Position = vec4(pos, 0, 1); }`
	fs := `out vec4 color; void main() { color = vec4(0, 1, 0, 1); }`
	pix := make([]byte, 4*w*h)
	for i := range pix {
		pix[i] = 10
	}
	got := make([]byte, len(pix))
	drawn := make([]byte, len(pix))
	onThread(t, func() {
		p, diags, err := ctx.Compile(map[string]string{StageCompute: cs})
		if err != nil {
			t.Errorf("%v %v", err, diags)
			return
		}
		src, _ := ctx.NewTexture(w, h)
		dst, _ := ctx.NewTexture(w, h)
		src.Upload(pix, 4*w)
		if err := ctx.Dispatch(p, nil, []ImageBinding{{0, src, ReadOnly}, {1, dst, WriteOnly}}, nil, [3]int{1, 1, 1}); err != nil {
			t.Error(err)
		}
		dst.Download(got, 4*w)
		dp, diags, err := ctx.Compile(map[string]string{StageVertex: vs, StageFragment: fs})
		if err != nil {
			t.Errorf("%v %v", err, diags)
			return
		}
		vb, _ := ctx.NewBuffer(6 * 4)
		vb.Write(0, floats(-1, 0, 3, 0, -1, 2))
		tg, err := ctx.NewTarget(w, h, true)
		if err != nil {
			t.Error(err)
			return
		}
		err = ctx.Draw(DrawCall{Prog: dp, Target: tg, Clear: &[4]float32{0, 0, 0, 1}, DepthTest: true, Mode: Primitives["triangles"], Count: 3,
			Vertices: []VertexBinding{{Buf: vb, Stride: 8, Attribs: []Attrib{{Location: 0, Components: 2, Type: AttribTypes["float"]}}}}})
		if err != nil {
			t.Error(err)
		}
		tg.Read(drawn, 4*w)
	})
	if got[0] != 255 || got[1] != 0 || got[4] != 10 {
		t.Fatalf("image: first pixels %v", got[:8])
	}
	if drawn[1] != 255 || drawn[len(drawn)-3] != 0 {
		t.Fatalf("drawing: top-left %v, bottom-right %v: the top half should be green", drawn[:4], drawn[len(drawn)-4:])
	}
}

func floats(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}
