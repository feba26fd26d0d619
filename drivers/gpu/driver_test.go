package gpu_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/drivers/drivertest"
	"github.com/orbital/orbital/drivers/gpu"
	"github.com/orbital/orbital/internal/testenv"
)

const pkg = "github.com/orbital/orbital/drivers/gpu/cmd/orbital-gpu"

func gpuSpec(t testing.TB, args ...string) drivers.Spec {
	t.Helper()
	p, d := drivertest.BuildCgo(t, pkg)
	return drivers.Spec{Name: "gpu", Version: "0.1.0", Device: "gpu", Path: p, Digest: d, Args: args}
}

// client is a process on the harness's bus that talks to the driver.
type client struct {
	t   testing.TB
	h   *drivertest.Harness
	pid bus.PID
}

func newClient(t testing.TB, h *drivertest.Harness, pid bus.PID) *client {
	t.Helper()
	if pid != drivertest.ClientPID {
		if _, err := h.Bus.Attach(pid, bus.InboxLimits{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Bus.Detach(pid) }) // before the harness counts memfds
	}
	return &client{t: t, h: h, pid: pid}
}

// ask sends a request and decodes the reply into out, waiting for the driver to be up.
func (c *client) ask(topic string, req, out any, regions ...bus.Attachment) {
	c.t.Helper()
	payload, _ := json.Marshal(req)
	var rep bus.Message
	testenv.Eventually(c.t, func() bool {
		var err error
		rep, err = c.h.Bus.Request(c.t.Context(), bus.Message{From: c.pid, Topic: topic, Payload: payload, Regions: regions}, 30*time.Second)
		if err != nil && !strings.Contains(err.Error(), "not found") {
			c.t.Fatalf("%s: %v", topic, err)
		}
		return err == nil
	}, 30*time.Second, "an answer on %s", topic)
	if err := json.Unmarshal(rep.Payload, out); err != nil {
		c.t.Fatalf("%s: reply %q: %v", topic, rep.Payload, err)
	}
}

func (c *client) region(data []byte) uint32 {
	c.t.Helper()
	h, err := c.h.Bus.RegionCreate(c.pid, int64(len(data)))
	if err != nil {
		c.t.Fatal(err)
	}
	c.h.Bus.RegionWrite(c.pid, h, 0, data)
	return h
}

func (c *client) read(h uint32, n int) []byte {
	c.t.Helper()
	b := make([]byte, n)
	if err := c.h.Bus.RegionRead(c.pid, h, 0, b); err != nil {
		c.t.Fatal(err)
	}
	return b
}

func (c *client) compile(src string) uint64 {
	c.t.Helper()
	var r gpu.CompileReply
	c.ask(gpu.TopicCompile, gpu.CompileRequest{Compute: src}, &r)
	if r.Code != 0 || r.Shader == 0 {
		c.t.Fatalf("compile: %+v", r)
	}
	return r.Shader
}

func floats(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func float(b []byte, i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])) }

func ptr(i int) *int { return &i }

const scaleShader = `layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer In { float a[]; };
layout(std430, binding = 1) writeonly buffer Out { float b[]; };
uniform float scale;
void main() { uint i = gl_GlobalInvocationID.x; b[i] = a[i] * scale; }`

func TestConformance(t *testing.T) {
	drivertest.Conformance(t, gpuSpec(t))
}

// TestComputeThroughRegions compiles a shader and runs it over two regions: the input read
// in place from the client's shared memory, the output written straight into it.
func TestComputeThroughRegions(t *testing.T) {
	h := drivertest.New(t)
	h.Start(gpuSpec(t))
	c := newClient(t, h, drivertest.ClientPID)
	const n = 4096
	in := make([]float32, n)
	for i := range in {
		in[i] = float32(i)
	}
	a, b := c.region(floats(in...)), c.region(make([]byte, 4*n))
	sh := c.compile(scaleShader)
	var r gpu.JobReply
	c.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: sh, Groups: [3]int{n / 64, 1, 1},
		Buffers:  []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Region: ptr(0)}, Access: gpu.AccessRead}, {Binding: 1, Ref: gpu.Ref{Region: ptr(1)}, Access: gpu.AccessWrite}},
		Uniforms: map[string][]float64{"scale": {3}}}, &r,
		bus.Attachment{Handle: a, Rights: bus.RightRead}, bus.Attachment{Handle: b, Rights: bus.RightWrite})
	if r.Code != 0 || !r.Done {
		t.Fatalf("compute: %+v", r)
	}
	out := c.read(b, 4*n)
	for i := 0; i < n; i++ {
		if float(out, i) != 3*float32(i) {
			t.Fatalf("out[%d] = %v, want %v", i, float(out, i), 3*i)
		}
	}
	var info gpu.Info
	c.ask(gpu.TopicInfo, struct{}{}, &info)
	if info.Renderer == "" || info.Usage.Dispatches != 1 || info.Usage.Shaders != 1 || info.Limits.BudgetMS != 2000 {
		t.Fatalf("info: %+v", info)
	}
	t.Logf("%s via %s", info.Renderer, info.Backend)
}

func TestCompileErrorNamesLineAndColumn(t *testing.T) {
	h := drivertest.New(t)
	h.Start(gpuSpec(t))
	c := newClient(t, h, drivertest.ClientPID)
	var r gpu.CompileReply
	c.ask(gpu.TopicCompile, gpu.CompileRequest{Compute: "layout(local_size_x = 1) in;\nvoid main() {\n  float x = 1.0;\n  x = nope;\n}\n"}, &r)
	if r.Code != gpu.CodeCompile || len(r.Diagnostics) == 0 {
		t.Fatalf("reply: %+v", r)
	}
	d := r.Diagnostics[0]
	if d.Stage != "compute" || d.Line != 4 || d.Column < 1 || !strings.Contains(d.Message, "nope") {
		t.Fatalf("diagnostic: %+v", d)
	}
	c.ask(gpu.TopicCompile, gpu.CompileRequest{Vertex: "void main() { gl_Position = vec4(0); }"}, &r)
	if r.Code != gpu.CodeInvalid {
		t.Fatalf("vertex shader alone: %+v", r)
	}
}

// TestBadRequests checks that malformed and hostile requests get a clear code and leave the
// driver serving.
func TestBadRequests(t *testing.T) {
	h := drivertest.New(t)
	h.Start(gpuSpec(t))
	c := newClient(t, h, drivertest.ClientPID)
	sh := c.compile(scaleShader)
	small := c.region(make([]byte, 256))
	ro := bus.Attachment{Handle: small, Rights: bus.RightRead}
	var info gpu.Info
	c.ask(gpu.TopicInfo, struct{}{}, &info)
	cases := []struct {
		name string
		req  gpu.ComputeRequest
		atts []bus.Attachment
		code int
		says string
	}{
		{"absurd groups", gpu.ComputeRequest{Shader: sh, Groups: [3]int{info.MaxGroups[0] + 1, 1, 1}}, nil, gpu.CodeInvalid, "work groups in dimension 0"},
		{"zero groups", gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 0, 1}}, nil, gpu.CodeInvalid, "work groups in dimension 1"},
		{"unknown shader", gpu.ComputeRequest{Shader: sh + 1000, Groups: [3]int{1, 1, 1}}, nil, gpu.CodeNotFound, "no shader"},
		{"shader of another driver", gpu.ComputeRequest{Shader: sh ^ 1<<40, Groups: [3]int{1, 1, 1}}, nil, gpu.CodeLost, "restarted"},
		{"write without the right", gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 1, 1},
			Buffers: []gpu.Binding{{Binding: 1, Ref: gpu.Ref{Region: ptr(0)}, Access: gpu.AccessWrite}}}, []bus.Attachment{ro}, gpu.CodeRights, "without the write right"},
		{"past the region", gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 1, 1},
			Buffers: []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Region: ptr(0), Offset: 128}, Size: 256, Access: gpu.AccessRead}}}, []bus.Attachment{ro}, gpu.CodeInvalid, "outside its 256 bytes"},
		{"no such region", gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 1, 1},
			Buffers: []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Region: ptr(3)}, Access: gpu.AccessRead}}}, []bus.Attachment{ro}, gpu.CodeInvalid, "carries 1 regions"},
		{"unknown uniform", gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 1, 1}, Uniforms: map[string][]float64{"nope": {1}}}, nil, gpu.CodeInvalid, `uniform "nope"`},
		{"huge image", gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 1, 1},
			Images: []gpu.ImageBinding{{Binding: 0, Image: gpu.Image{Region: 0, Width: 1 << 20, Height: 1, Access: gpu.AccessRead}}}}, []bus.Attachment{ro}, gpu.CodeInvalid, "sides are 1.."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			var r gpu.JobReply
			c.ask(gpu.TopicCompute, tc.req, &r, tc.atts...)
			if r.Code != tc.code || !strings.Contains(r.Error, tc.says) {
				t.Fatalf("reply %+v, want code %d saying %q", r, tc.code, tc.says)
			}
		})
	}
	c.t = t
	// A shader that reads and writes far past its buffers: robust access keeps it inside.
	past := c.compile(`layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer B { float v[]; };
void main() { uint i = gl_GlobalInvocationID.x; v[i + 100000000u] = 1.0; v[i] = v[i + 50000000u] + 2.0; }`)
	buf := c.region(make([]byte, 256))
	var r gpu.JobReply
	c.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: past, Groups: [3]int{1, 1, 1},
		Buffers: []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Region: ptr(0)}, Access: gpu.AccessReadWrite}}}, &r, bus.Attachment{Handle: buf, Rights: bus.RightRead | bus.RightWrite})
	if r.Code != 0 {
		t.Fatalf("out-of-bounds shader: %+v", r)
	}
	if out := c.read(buf, 256); float(out, 0) != 2 {
		t.Fatalf("v[0] = %v after reading past the buffer, want 2 (a zero read plus 2)", float(out, 0))
	}
}

// TestHiddenWindowBackend runs the driver on its fallback, a hidden GLFW window on an X
// display (for GPUs whose EGL offers neither a surfaceless platform nor a device).
func TestHiddenWindowBackend(t *testing.T) {
	h := drivertest.New(t) // first, so its leak check runs after Xvfb is stopped
	t.Setenv("DISPLAY", testenv.Xvfb(t))
	s := gpuSpec(t, "--backend", "glfw-hidden")
	s.Display = true
	h.Start(s)
	c := newClient(t, h, drivertest.ClientPID)
	var info gpu.Info
	c.ask(gpu.TopicInfo, struct{}{}, &info)
	if info.Code != 0 || info.Backend != "glfw-hidden" {
		t.Fatalf("info: %+v", info)
	}
	sh := c.compile(scaleShader)
	in, out := c.region(floats(1, 2, 3, 4)), c.region(make([]byte, 16))
	var r gpu.JobReply
	c.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 1, 1},
		Buffers:  []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Region: ptr(0)}, Access: gpu.AccessRead}, {Binding: 1, Ref: gpu.Ref{Region: ptr(1)}, Access: gpu.AccessWrite}},
		Uniforms: map[string][]float64{"scale": {5}}}, &r,
		bus.Attachment{Handle: in, Rights: bus.RightRead}, bus.Attachment{Handle: out, Rights: bus.RightWrite})
	if r.Code != 0 || float(c.read(out, 16), 3) != 20 {
		t.Fatalf("compute on the hidden window's context: %+v, out %v", r, c.read(out, 16))
	}
}

// TestBuffersAndCopiesThroughRegions fills a buffer from a region shorter than it, and copies
// between buffers and regions at offsets: the worker reads and writes the regions' descriptors
// straight into and out of the buffers' memory.
func TestBuffersAndCopiesThroughRegions(t *testing.T) {
	h := drivertest.New(t)
	h.Start(gpuSpec(t))
	c := newClient(t, h, drivertest.ClientPID)
	src, dst := c.region(floats(1, 2, 3, 4)), c.region(make([]byte, 16))
	ro, rw := bus.Attachment{Handle: src, Rights: bus.RightRead}, bus.Attachment{Handle: dst, Rights: bus.RightWrite}
	var b gpu.HandleReply
	c.ask(gpu.TopicBuffer, gpu.BufferRequest{Size: 32, Init: ptr(0)}, &b, ro)
	if b.Code != 0 || b.Buffer == 0 {
		t.Fatalf("buffer: %+v", b)
	}
	steps := []struct {
		name string
		req  gpu.CopyRequest
		atts []bus.Attachment
		want []float32 // dst afterwards
	}{
		{"buffer to region", gpu.CopyRequest{From: gpu.Ref{Buffer: b.Buffer, Offset: 4}, To: gpu.Ref{Region: ptr(0), Offset: 8}, Size: 8}, []bus.Attachment{rw}, []float32{0, 0, 2, 3}},
		{"region to buffer", gpu.CopyRequest{From: gpu.Ref{Region: ptr(0)}, To: gpu.Ref{Buffer: b.Buffer, Offset: 8}, Size: 4}, []bus.Attachment{ro}, []float32{0, 0, 2, 3}},
		{"whole buffer back", gpu.CopyRequest{From: gpu.Ref{Buffer: b.Buffer}, To: gpu.Ref{Region: ptr(0)}, Size: 16}, []bus.Attachment{rw}, []float32{1, 2, 1, 4}},
		{"region to region", gpu.CopyRequest{From: gpu.Ref{Region: ptr(0), Offset: 12}, To: gpu.Ref{Region: ptr(1), Offset: 4}, Size: 4}, []bus.Attachment{ro, rw}, []float32{1, 4, 1, 4}},
	}
	for _, st := range steps {
		var r gpu.HandleReply
		c.ask(gpu.TopicCopy, st.req, &r, st.atts...)
		if r.Code != 0 {
			t.Fatalf("%s: %+v", st.name, r)
		}
		out := c.read(dst, 16)
		for i, w := range st.want {
			if float(out, i) != w {
				t.Fatalf("%s: region holds %v %v %v %v, want %v", st.name, float(out, 0), float(out, 1), float(out, 2), float(out, 3), st.want)
			}
		}
	}
}
