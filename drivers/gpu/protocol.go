package gpu

// The GPU driver's bus protocol: requests on the gpu.* topics with JSON payloads and region
// attachments, answered with JSON (docs/abi.md, "GPU"). A region a request names is given by
// its index among the message's attached regions; the attach flags are its rights (read,
// write), which the driver checks against each use.

// Topics the driver answers.
const (
	TopicInfo    = "gpu.info"
	TopicCompile = "gpu.compile"
	TopicBuffer  = "gpu.buffer"
	TopicCopy    = "gpu.copy"
	TopicRelease = "gpu.release"
	TopicCompute = "gpu.compute"
	TopicDraw    = "gpu.draw"
	TopicWait    = "gpu.wait"
)

// Topics lists every topic the driver subscribes to.
var Topics = []string{TopicInfo, TopicCompile, TopicBuffer, TopicCopy, TopicRelease, TopicCompute, TopicDraw, TopicWait}

// Error codes in replies: the ABI's (docs/abi.md) and three of the GPU's own.
const (
	CodeInvalid  = -1  // a malformed request, a bad size or range, absurd work-group counts
	CodeNotFound = -5  // no such shader, buffer or job (of this process)
	CodeLimit    = -9  // over a limit: GPU memory, dispatches per second, processes served
	CodeRights   = -12 // a region bound for reading without the read right, or writing without write
	CodeInternal = -13 // the driver has no GPU context (the reply says why)
	CodeCompile  = -64 // the shader does not compile or link; Diagnostics say where
	CodeBudget   = -65 // the work ran past its time budget and was abandoned
	CodeLost     = -66 // the GPU context holding it is gone (worker crashed or was reset); compile or create again
)

// CodeName is a code's name as docs/abi.md spells it.
func CodeName(code int) string {
	switch code {
	case CodeInvalid:
		return "ERR_INVALID"
	case CodeNotFound:
		return "ERR_NOT_FOUND"
	case CodeLimit:
		return "ERR_LIMIT"
	case CodeRights:
		return "ERR_RIGHTS"
	case CodeInternal:
		return "ERR_INTERNAL"
	case CodeCompile:
		return "ERR_COMPILE"
	case CodeBudget:
		return "ERR_BUDGET"
	case CodeLost:
		return "ERR_LOST"
	}
	return "ERR_UNKNOWN"
}

// Status is the error part every reply carries: empty on success.
type Status struct {
	Error string `json:"error,omitempty"`
	Code  int    `json:"code,omitempty"`
}

// Limits are one process's GPU limits, from its policy ([limits] gpu_memory, gpu_dispatches,
// gpu_budget) or the driver's defaults.
type Limits struct {
	Memory     int64 `json:"memory"`     // bytes of GPU buffers, images and targets held at once
	Dispatches int   `json:"dispatches"` // compute dispatches and draws per second
	BudgetMS   int64 `json:"budget_ms"`  // time one dispatch or draw may take before it is abandoned
}

// Usage is what one process uses, as gpu.info and the admin panel show it.
type Usage struct {
	Memory     int64   `json:"memory"`     // bytes held now
	Shaders    int     `json:"shaders"`    // live shader handles
	Dispatches uint64  `json:"dispatches"` // compute dispatches run
	Draws      uint64  `json:"draws"`      // draws run
	GPUTimeMS  float64 `json:"gpu_ms"`     // time spent running them
	Refused    uint64  `json:"refused"`    // requests refused over a limit
	Abandoned  uint64  `json:"abandoned"`  // dispatches and draws abandoned past the budget
	Lost       uint64  `json:"lost"`       // GPU contexts lost (worker crashes, budget kills)
}

// Info answers gpu.info.
type Info struct {
	Backend        string `json:"backend"` // egl-surfaceless, egl-device or glfw-hidden
	Renderer       string `json:"renderer"`
	Version        string `json:"version"`
	Robust         bool   `json:"robust"` // out-of-bounds reads are safe and stray writes dropped
	MaxGroups      [3]int `json:"max_groups"`
	MaxLocal       [3]int `json:"max_local"`
	MaxInvocations int    `json:"max_invocations"`
	MaxBindings    int    `json:"max_bindings"`
	MaxImages      int    `json:"max_images"`
	MaxTextures    int    `json:"max_textures"`
	MaxTextureSize int    `json:"max_texture_size"`
	MaxVertexAttrs int    `json:"max_vertex_attribs"`
	BufferAlign    int    `json:"buffer_align"` // a buffer binding's offset is a multiple of this
	Limits         Limits `json:"limits"`
	Usage          Usage  `json:"usage"`
	Status
}

// CompileRequest is gpu.compile: a compute shader alone, or a vertex and a fragment shader.
// A source without a #version line gets "#version 430 core".
type CompileRequest struct {
	Compute  string `json:"compute,omitempty"`
	Vertex   string `json:"vertex,omitempty"`
	Fragment string `json:"fragment,omitempty"`
}

// Diagnostic is one compiler or linker message; Line and Column count from 1 in the source
// as given (0 when the message names no position).
type Diagnostic struct {
	Stage    string `json:"stage"` // compute, vertex, fragment or link
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// CompileReply answers gpu.compile: the shader handle, or CodeCompile with diagnostics.
type CompileReply struct {
	Shader      uint64            `json:"shader,omitempty"`
	Local       [3]int            `json:"local,omitempty"`    // a compute shader's local size
	Uniforms    map[string]string `json:"uniforms,omitempty"` // name -> GLSL type
	Diagnostics []Diagnostic      `json:"diagnostics,omitempty"`
	Status
}

// Ref names memory: a GPU buffer (a handle from gpu.buffer) or an attached region (its index
// among the message's regions), from Offset.
type Ref struct {
	Buffer uint64 `json:"buffer,omitempty"`
	Region *int   `json:"region,omitempty"`
	Offset int64  `json:"offset,omitempty"`
}

// BufferRequest is gpu.buffer: Size bytes of GPU memory that stay with the process until
// gpu.release (or its end), optionally filled from an attached region (Init, its index).
type BufferRequest struct {
	Size int64 `json:"size"`
	Init *int  `json:"init,omitempty"`
}

// HandleReply answers gpu.buffer, gpu.copy and gpu.release.
type HandleReply struct {
	Buffer uint64 `json:"buffer,omitempty"`
	Status
}

// CopyRequest is gpu.copy: Size bytes from one buffer or region to another.
type CopyRequest struct {
	From Ref   `json:"from"`
	To   Ref   `json:"to"`
	Size int64 `json:"size"`
}

// ReleaseRequest is gpu.release: frees a shader and/or a buffer.
type ReleaseRequest struct {
	Shader uint64 `json:"shader,omitempty"`
	Buffer uint64 `json:"buffer,omitempty"`
}

// Access modes of a region binding.
const (
	AccessRead      = "read"      // uploaded before the run
	AccessWrite     = "write"     // downloaded after the run
	AccessReadWrite = "readwrite" // both
)

// Binding binds Size bytes (0: to the end) of a buffer or region to a shader storage block
// (layout(std430, binding = N) buffer ...). Regions need Access; buffers are read and written
// in place.
type Binding struct {
	Binding int `json:"binding"`
	Ref
	Size   int64  `json:"size,omitempty"`
	Access string `json:"access,omitempty"`
}

// Image is an RGBA8 picture in a region: Width x Height pixels, rows of Stride bytes (0:
// Width*4), top row first, from Offset.
type Image struct {
	Region int    `json:"region"`
	Offset int64  `json:"offset,omitempty"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Stride int    `json:"stride,omitempty"`
	Access string `json:"access,omitempty"` // images bound to a compute shader
}

// ImageBinding binds an image to an image unit (layout(rgba8, binding = N) image2D).
type ImageBinding struct {
	Binding int `json:"binding"`
	Image
}

// ComputeRequest is gpu.compute: run a compute shader over Groups work groups. Wait false
// answers at once with the job id and sends a JobReply as a direct message when it is done.
type ComputeRequest struct {
	Shader   uint64               `json:"shader"`
	Groups   [3]int               `json:"groups"`
	Buffers  []Binding            `json:"buffers,omitempty"`
	Images   []ImageBinding       `json:"images,omitempty"`
	Uniforms map[string][]float64 `json:"uniforms,omitempty"`
	Wait     *bool                `json:"wait,omitempty"` // default true
}

// Attribute is one vertex attribute (layout(location = N) in ...).
type Attribute struct {
	Location   int    `json:"location"`
	Components int    `json:"components"`     // 1..4
	Type       string `json:"type,omitempty"` // float (default), half, byte, ubyte, short, ushort, int, uint
	Normalized bool   `json:"normalized,omitempty"`
	Offset     int    `json:"offset,omitempty"` // within one vertex
}

// Vertices is a vertex buffer (a GPU buffer or a region) and the attributes it feeds.
type Vertices struct {
	Ref
	Stride      int         `json:"stride"`
	PerInstance bool        `json:"per_instance,omitempty"`
	Attributes  []Attribute `json:"attributes"`
}

// Indices is an index buffer: ushort or uint indices.
type Indices struct {
	Ref
	Type string `json:"type"`
}

// TextureBinding binds an image to a sampler unit (layout(binding = N) uniform sampler2D).
type TextureBinding struct {
	Unit int `json:"unit"`
	Image
	Linear bool `json:"linear,omitempty"`
}

// DrawRequest is gpu.draw: draw into Target (an RGBA8 image in a writable region, which the
// process then presents with surface_present_region).
type DrawRequest struct {
	Shader    uint64               `json:"shader"`
	Target    Image                `json:"target"`
	Clear     *[4]float32          `json:"clear,omitempty"` // clear to this colour (and depth to 1) first; else start from the region's pixels
	Depth     bool                 `json:"depth,omitempty"` // a depth buffer and depth test
	Blend     bool                 `json:"blend,omitempty"` // premultiplied source-over
	Primitive string               `json:"primitive"`       // triangles, triangle_strip, lines, line_strip, points
	First     int                  `json:"first,omitempty"`
	Count     int                  `json:"count"`
	Instances int                  `json:"instances,omitempty"`
	Vertices  []Vertices           `json:"vertices,omitempty"`
	Indices   *Indices             `json:"indices,omitempty"`
	Textures  []TextureBinding     `json:"textures,omitempty"`
	Uniforms  map[string][]float64 `json:"uniforms,omitempty"`
	Wait      *bool                `json:"wait,omitempty"`
}

// WaitRequest is gpu.wait: answered when the job is done.
type WaitRequest struct {
	Job uint64 `json:"job"`
}

// EventDone marks the direct message a job started with wait false sends when it is done.
const EventDone = "gpu.done"

// JobReply answers gpu.compute, gpu.draw and gpu.wait; it is also the payload of the done
// message (Event "gpu.done").
type JobReply struct {
	Event string  `json:"event,omitempty"`
	Job   uint64  `json:"job"`
	Done  bool    `json:"done"`
	MS    float64 `json:"ms,omitempty"` // time the GPU took
	Status
}
