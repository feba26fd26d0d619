//go:build wasip1

package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The GPU, through the GPU driver on the bus (docs/abi.md, "GPU"). A module needs
// `[devices] use = ["gpu"]` and `[bus] request = ["gpu.*"]` in its policy. Work runs in the
// driver's GL context for this process; regions named by a request are read and written by the
// driver in place (shared memory), so pixels and buffers never pass through the kernel.

// gpuTimeout bounds one GPU request; the driver's own time budget ends work sooner.
const gpuTimeout = 2 * time.Minute

// gpuStart is how long a request waits for the driver to be up (starting, or restarting after
// a crash) before it fails with ErrNotFound.
const gpuStart = 10 * time.Second

// gpuRequest sends a GPU request and decodes the reply. A request nobody answers (the driver is
// starting or restarting) is tried again for up to gpuStart.
func gpuRequest(topic string, req, reply any, grants []Grant) error {
	payload, err := json.Marshal(req)
	if err != nil {
		return err
	}
	deadline := Now() + gpuStart
	for {
		m, err := requestGrants(topic, payload, grants, gpuTimeout)
		if errors.Is(err, ErrNotFound) && Now() < deadline {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("%w (is the GPU driver installed and started? see `orbital drivers`)", err)
		}
		for _, r := range m.RegionList() {
			r.Release()
		}
		if err := json.Unmarshal(m.Payload, reply); err != nil {
			return fmt.Errorf("orbital: %s: bad reply %q: %v", topic, m.Payload, err)
		}
		return nil
	}
}

// ReadGPUInfo asks the driver about the GPU and this process's limits and use of it.
func ReadGPUInfo() (GPUInfo, error) {
	var r GPUInfo
	if err := gpuRequest("gpu.info", struct{}{}, &r, nil); err != nil {
		return r, err
	}
	return r, r.gpuStatus.err("info", nil)
}

// Shader is a compiled compute shader, or a vertex and fragment program for drawing.
type Shader struct {
	ID       uint64
	Local    [3]int            // a compute shader's local size
	Uniforms map[string]string // active uniforms: name -> GLSL type
	src      gpuCompileRequest
}

// CompileCompute compiles a GLSL compute shader (a source without #version gets
// "#version 430 core"). A compile error is a *GPUError with code ErrCompile whose Diagnostics
// give each message's line and column.
func CompileCompute(src string) (*Shader, error) {
	return compile(gpuCompileRequest{Compute: src})
}

// CompileDraw compiles and links a vertex and a fragment shader for Draw.
func CompileDraw(vertex, fragment string) (*Shader, error) {
	return compile(gpuCompileRequest{Vertex: vertex, Fragment: fragment})
}

func compile(req gpuCompileRequest) (*Shader, error) {
	s := &Shader{src: req}
	return s, s.compile()
}

func (s *Shader) compile() error {
	var r gpuCompileReply
	if err := gpuRequest("gpu.compile", s.src, &r, nil); err != nil {
		return err
	}
	if err := r.gpuStatus.err("compile", r.Diagnostics); err != nil {
		return err
	}
	s.ID, s.Local, s.Uniforms = r.Shader, r.Local, r.Uniforms
	return nil
}

// Release frees the shader in the driver.
func (s *Shader) Release() error {
	var r gpuStatus
	if err := gpuRequest("gpu.release", map[string]uint64{"shader": s.ID}, &r, nil); err != nil {
		return err
	}
	return r.err("release", nil)
}

// GPUBuffer is GPU memory that stays with the process between runs (particle state, vertex
// data): bound in place, never copied per run.
type GPUBuffer struct {
	ID   uint64
	Size int64
}

// NewGPUBuffer allocates size bytes of GPU memory, filled from init's first bytes when init
// is not the zero Region. ErrLimit: over the process's GPU memory (limits.gpu_memory).
func NewGPUBuffer(size int64, init Region) (*GPUBuffer, error) {
	req := map[string]any{"size": size}
	var grants []Grant
	if init.Handle != 0 {
		req["init"] = 0
		grants = []Grant{init.Share(Read)}
	}
	var r struct {
		Buffer uint64 `json:"buffer"`
		gpuStatus
	}
	if err := gpuRequest("gpu.buffer", req, &r, grants); err != nil {
		return nil, err
	}
	if err := r.err("buffer", nil); err != nil {
		return nil, err
	}
	return &GPUBuffer{ID: r.Buffer, Size: size}, nil
}

// Release frees the buffer's GPU memory.
func (b *GPUBuffer) Release() error {
	var r gpuStatus
	if err := gpuRequest("gpu.release", map[string]uint64{"buffer": b.ID}, &r, nil); err != nil {
		return err
	}
	return r.err("release", nil)
}

// ReadInto copies n bytes of the buffer at off into region dst at dstOff.
func (b *GPUBuffer) ReadInto(dst Region, dstOff, off, n int64) error {
	var rs regionSet
	i := rs.ref(dst, Write)
	req := map[string]any{"from": gpuRef{Buffer: b.ID, Offset: off}, "to": gpuRef{Region: &i, Offset: dstOff}, "size": n}
	var r gpuStatus
	if err := gpuRequest("gpu.copy", req, &r, rs.grants); err != nil {
		return err
	}
	return r.err("copy", nil)
}

// Bind binds memory to a shader storage block (layout(std430, binding = N) buffer): a
// GPUBuffer in place, or Size bytes (0: to the end) of a Region from Offset, with Access
// GPURead, GPUWrite or GPUReadWrite.
type Bind struct {
	Binding int
	Buffer  *GPUBuffer
	Region  Region
	Offset  int64
	Size    int64
	Access  string
}

// Image is an RGBA8 picture in a region: Width x Height pixels, rows of Stride bytes (0:
// Width*4), top row first, from Offset.
type Image struct {
	Region        Region
	Offset        int64
	Width, Height int
	Stride        int
}

func (im Image) wire(rs *regionSet, rights Rights, access string) gpuImage {
	return gpuImage{Region: rs.ref(im.Region, rights), Offset: im.Offset, Width: im.Width, Height: im.Height, Stride: im.Stride, Access: access}
}

// ImageBind binds an image to an image unit (layout(rgba8, binding = N) image2D).
type ImageBind struct {
	Binding int
	Image
	Access string
}

// Compute is one compute dispatch: a shader over Groups work groups, with its bindings and
// uniforms (by name; a vec3 takes 3 numbers, a mat4 16).
type Compute struct {
	Shader   *Shader
	Groups   [3]int
	Buffers  []Bind
	Images   []ImageBind
	Uniforms map[string][]float64
}

func (c *Compute) request(wait bool) (gpuComputeRequest, []Grant) {
	var rs regionSet
	req := gpuComputeRequest{Shader: c.Shader.ID, Groups: c.Groups, Uniforms: c.Uniforms}
	for _, b := range c.Buffers {
		req.Buffers = append(req.Buffers, bindWire(&rs, b))
	}
	for _, im := range c.Images {
		req.Images = append(req.Images, gpuImageBinding{Binding: im.Binding, gpuImage: im.Image.wire(&rs, accessRights(im.Access), im.Access)})
	}
	if !wait {
		req.Wait = &wait
	}
	return req, rs.grants
}

func bindWire(rs *regionSet, b Bind) gpuBinding {
	w := gpuBinding{Binding: b.Binding, Size: b.Size, gpuRef: gpuRef{Offset: b.Offset}}
	if b.Buffer != nil {
		w.Buffer = b.Buffer.ID
		return w
	}
	i := rs.ref(b.Region, accessRights(b.Access))
	w.Region, w.Access = &i, b.Access
	return w
}

// Run dispatches and waits until the work is done; it returns the time the GPU took. A shader
// whose handle the driver lost (it restarted) is compiled again and the dispatch tried once
// more. ErrBudget: the work ran past the process's time budget and was abandoned; ErrLost: a
// GPUBuffer it binds is gone with its context.
func (c *Compute) Run() (time.Duration, error) {
	return runJob(c.Shader, func() (any, []Grant) { return c.request(true) }, "compute")
}

// Start dispatches without waiting: the driver sends a message when the work is done (see
// GPUDone), and GPUJob.Wait waits for it.
func (c *Compute) Start() (GPUJob, error) {
	req, grants := c.request(false)
	return startJob("gpu.compute", req, grants)
}

func runJob(sh *Shader, build func() (any, []Grant), op string) (time.Duration, error) {
	for try := 0; ; try++ {
		req, grants := build()
		var r gpuJobReply
		if err := gpuRequest("gpu."+op, req, &r, grants); err != nil {
			return 0, err
		}
		err := r.err(op, nil)
		var ge *GPUError
		if try == 0 && errors.As(err, &ge) && ge.Code == ErrLost && sh != nil && shaderLost(ge) {
			if err := sh.compile(); err != nil {
				return 0, err
			}
			continue
		}
		return time.Duration(r.MS * float64(time.Millisecond)), err
	}
}

// shaderLost tells a shader handle from an earlier driver process from other losses.
func shaderLost(e *GPUError) bool {
	return strings.Contains(e.Message, "shader") && strings.Contains(e.Message, "restarted")
}

func startJob(topic string, req any, grants []Grant) (GPUJob, error) {
	var r gpuJobReply
	if err := gpuRequest(topic, req, &r, grants); err != nil {
		return 0, err
	}
	if err := r.err("start", nil); err != nil {
		return 0, err
	}
	return GPUJob(r.Job), nil
}

// Wait waits until the job is done and returns how it went (once: a second Wait is
// ErrNotFound). The job's done message still arrives in the inbox.
func (j GPUJob) Wait() error {
	var r gpuJobReply
	if err := gpuRequest("gpu.wait", map[string]uint64{"job": uint64(j)}, &r, nil); err != nil {
		return err
	}
	return r.err("wait", nil)
}

// Attribute is one vertex attribute (layout(location = N) in): Components (1..4) numbers of
// Type (float when empty; half, byte, ubyte, short, ushort, int, uint) at Offset in a vertex.
type Attribute struct {
	Location   int
	Components int
	Type       string
	Normalized bool
	Offset     int
}

// Vertices is a vertex stream: a GPUBuffer in place or a Region (from Offset to its end).
type Vertices struct {
	Buffer      *GPUBuffer
	Region      Region
	Offset      int64
	Stride      int
	PerInstance bool
	Attributes  []Attribute
}

// TextureBind binds an image for sampling (layout(binding = Unit) uniform sampler2D).
type TextureBind struct {
	Unit int
	Image
	Linear bool
}

// Draw is one draw call into Target, an RGBA8 image in a region the process then shows with
// Surface.PresentRegion.
type Draw struct {
	Shader    *Shader
	Target    Image
	Clear     *[4]float32 // clear to this colour first (and depth to 1); nil: draw over the region's pixels
	Depth     bool        // a depth buffer and depth test
	Blend     bool        // premultiplied source-over
	Primitive string      // triangles, triangle_strip, lines, line_strip, points
	First     int
	Count     int
	Instances int
	Vertices  []Vertices
	Indices   *Vertices // Type in Attributes is ignored; IndexType says ushort or uint
	IndexType string
	Textures  []TextureBind
	Uniforms  map[string][]float64
}

func (d *Draw) request(wait bool) (gpuDrawRequest, []Grant) {
	var rs regionSet
	targetRights := Write
	if d.Clear == nil {
		targetRights |= Read
	}
	req := gpuDrawRequest{Shader: d.Shader.ID, Target: d.Target.wire(&rs, targetRights, ""), Clear: d.Clear, Depth: d.Depth, Blend: d.Blend,
		Primitive: d.Primitive, First: d.First, Count: d.Count, Instances: d.Instances, Uniforms: d.Uniforms}
	stream := func(v Vertices) gpuRef {
		if v.Buffer != nil {
			return gpuRef{Buffer: v.Buffer.ID, Offset: v.Offset}
		}
		i := rs.ref(v.Region, Read)
		return gpuRef{Region: &i, Offset: v.Offset}
	}
	for _, v := range d.Vertices {
		w := gpuVertices{gpuRef: stream(v), Stride: v.Stride, PerInstance: v.PerInstance}
		for _, a := range v.Attributes {
			w.Attributes = append(w.Attributes, gpuAttribute(a))
		}
		req.Vertices = append(req.Vertices, w)
	}
	if d.Indices != nil {
		req.Indices = &gpuIndices{gpuRef: stream(*d.Indices), Type: d.IndexType}
	}
	for _, t := range d.Textures {
		req.Textures = append(req.Textures, gpuTexture{Unit: t.Unit, gpuImage: t.Image.wire(&rs, Read, ""), Linear: t.Linear})
	}
	if !wait {
		req.Wait = &wait
	}
	return req, rs.grants
}

// Run draws and waits until the target region holds the picture; it returns the time the GPU
// took. Errors as Compute.Run.
func (d *Draw) Run() (time.Duration, error) {
	return runJob(d.Shader, func() (any, []Grant) { return d.request(true) }, "draw")
}

// Start draws without waiting (see Compute.Start).
func (d *Draw) Start() (GPUJob, error) {
	req, grants := d.request(false)
	return startJob("gpu.draw", req, grants)
}
