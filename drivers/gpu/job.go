package gpu

import "github.com/orbital/orbital/drivers/wire"

// The protocol between the driver and its workers: the same framing as the kernel's (package
// wire), with frame types from wire.TUser and JSON bodies. A job frame carries one descriptor
// per region the job names, in the order of Job.Regions.
const (
	FrameHello  = wire.TUser + 1 // worker -> driver, once: Hello
	FrameJob    = wire.TUser + 2 // driver -> worker: Job (+ region descriptors)
	FrameResult = wire.TUser + 3 // worker -> driver: Result, one per Job, in order
)

// Job operations.
const (
	OpCompile = "compile"
	OpBuffer  = "buffer"
	OpRelease = "release"
	OpCopy    = "copy"
	OpCompute = "compute"
	OpDraw    = "draw"
)

// Hello is a worker's first frame: its context's properties, or why it has none.
type Hello struct {
	Info  Info   `json:"info"`
	Error string `json:"error,omitempty"`
}

// JobRegion is one region descriptor of a job frame: its size and whether the job writes it
// (the worker maps it read-only otherwise).
type JobRegion struct {
	Size  int64 `json:"size"`
	Write bool  `json:"write,omitempty"`
}

// Job is one piece of work for a worker. Region indices in Compute, Draw, Init, From and To
// name Regions (the request's attachments, in order). Handles are the driver's.
type Job struct {
	Seq     uint64          `json:"seq"`
	Op      string          `json:"op"`
	ID      uint64          `json:"id,omitempty"` // the shader (compile) or buffer (buffer) handle
	Compile *CompileRequest `json:"compile,omitempty"`
	Size    int64           `json:"size,omitempty"` // buffer, copy
	Init    *int            `json:"init,omitempty"` // buffer: a region to fill it from
	From    *Ref            `json:"from,omitempty"` // copy
	To      *Ref            `json:"to,omitempty"`
	Shaders []uint64        `json:"shaders,omitempty"` // release
	Buffers []uint64        `json:"buffers,omitempty"` // release
	Compute *ComputeRequest `json:"compute,omitempty"`
	Draw    *DrawRequest    `json:"draw,omitempty"`
	Regions []JobRegion     `json:"regions,omitempty"`
	// Keep is how many bytes of scratch objects (images, targets, region-backed buffers) the
	// worker may keep for reuse once the job is done.
	Keep int64 `json:"keep"`
}

// Result answers one Job.
type Result struct {
	Seq         uint64            `json:"seq"`
	Code        int               `json:"code,omitempty"`
	Error       string            `json:"error,omitempty"`
	Local       [3]int            `json:"local,omitempty"`
	Uniforms    map[string]string `json:"uniforms,omitempty"`
	Diagnostics []Diagnostic      `json:"diagnostics,omitempty"`
	MS          float64           `json:"ms,omitempty"`
	Scratch     int64             `json:"scratch"` // bytes of scratch objects kept after the job
}
