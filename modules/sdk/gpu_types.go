package sdk

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The GPU driver's messages (docs/abi.md, "GPU"), as the SDK sends and reads them. The host
// side spells the same JSON in drivers/gpu/protocol.go.

// GPU access modes of a region binding.
const (
	GPURead      = "read"      // the GPU reads the region (uploaded before the run)
	GPUWrite     = "write"     // the GPU writes it (downloaded after the run)
	GPUReadWrite = "readwrite" // both
)

// GPUDiagnostic is one message of the shader compiler: Line and Column count from 1 in the
// source as given (0 when the compiler names no position).
type GPUDiagnostic struct {
	Stage    string `json:"stage"` // compute, vertex, fragment or link
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

func (d GPUDiagnostic) String() string {
	if d.Line > 0 {
		return fmt.Sprintf("%s shader %d:%d: %s: %s", d.Stage, d.Line, d.Column, d.Severity, d.Message)
	}
	return fmt.Sprintf("%s: %s: %s", d.Stage, d.Severity, d.Message)
}

// GPUError is a refusal or failure from the GPU driver: Code is one of the Errno values
// (ErrInvalid, ErrLimit, ErrCompile, ErrBudget, ErrLost, ...), so errors.Is(err, sdk.ErrBudget)
// works; a compile error carries the compiler's Diagnostics.
type GPUError struct {
	Op          string
	Code        Errno
	Message     string
	Diagnostics []GPUDiagnostic
}

func (e *GPUError) Error() string {
	name, _, _ := strings.Cut(errnoNames[e.Code], ":")
	if name == "" {
		name = fmt.Sprintf("error %d", int32(e.Code))
	}
	s := "orbital: gpu " + e.Op + ": " + name + ": " + strings.TrimPrefix(e.Message, "gpu: ")
	for _, d := range e.Diagnostics {
		s += "\n  " + d.String()
	}
	return s
}

// Is matches the error's code: errors.Is(err, sdk.ErrCompile).
func (e *GPUError) Is(target error) bool { c, ok := target.(Errno); return ok && c == e.Code }

// gpuStatus is the error part of every GPU reply.
type gpuStatus struct {
	Error string `json:"error,omitempty"`
	Code  int32  `json:"code,omitempty"`
}

func (s gpuStatus) err(op string, diags []GPUDiagnostic) error {
	if s.Error == "" && s.Code == 0 {
		return nil
	}
	code := Errno(s.Code)
	if code == 0 {
		code = ErrInternal // a host-side refusal ({"error": ...} without a code): a missing device grant
		if strings.Contains(s.Error, "not granted") {
			code = ErrDenied
		}
	}
	return &GPUError{Op: op, Code: code, Message: s.Error, Diagnostics: diags}
}

// GPULimits are this process's GPU limits (policy [limits] gpu_memory, gpu_dispatches,
// gpu_budget, or the driver's defaults).
type GPULimits struct {
	Memory     int64 `json:"memory"`
	Dispatches int   `json:"dispatches"`
	BudgetMS   int64 `json:"budget_ms"`
}

// GPUUsage is what this process uses of the GPU.
type GPUUsage struct {
	Memory     int64   `json:"memory"`
	Shaders    int     `json:"shaders"`
	Dispatches uint64  `json:"dispatches"`
	Draws      uint64  `json:"draws"`
	GPUTimeMS  float64 `json:"gpu_ms"`
	Refused    uint64  `json:"refused"`
	Abandoned  uint64  `json:"abandoned"`
	Lost       uint64  `json:"lost"`
}

// GPUInfo describes the GPU and this process's limits and use of it.
type GPUInfo struct {
	Backend        string    `json:"backend"`
	Renderer       string    `json:"renderer"`
	Version        string    `json:"version"`
	Robust         bool      `json:"robust"`
	MaxGroups      [3]int    `json:"max_groups"`
	MaxLocal       [3]int    `json:"max_local"`
	MaxInvocations int       `json:"max_invocations"`
	MaxTextureSize int       `json:"max_texture_size"`
	Limits         GPULimits `json:"limits"`
	Usage          GPUUsage  `json:"usage"`
	gpuStatus
}

type gpuCompileRequest struct {
	Compute  string `json:"compute,omitempty"`
	Vertex   string `json:"vertex,omitempty"`
	Fragment string `json:"fragment,omitempty"`
}

type gpuCompileReply struct {
	Shader      uint64            `json:"shader"`
	Local       [3]int            `json:"local"`
	Uniforms    map[string]string `json:"uniforms"`
	Diagnostics []GPUDiagnostic   `json:"diagnostics"`
	gpuStatus
}

type gpuRef struct {
	Buffer uint64 `json:"buffer,omitempty"`
	Region *int   `json:"region,omitempty"`
	Offset int64  `json:"offset,omitempty"`
}

type gpuBinding struct {
	Binding int `json:"binding"`
	gpuRef
	Size   int64  `json:"size,omitempty"`
	Access string `json:"access,omitempty"`
}

type gpuImage struct {
	Region int    `json:"region"`
	Offset int64  `json:"offset,omitempty"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Stride int    `json:"stride,omitempty"`
	Access string `json:"access,omitempty"`
}

type gpuImageBinding struct {
	Binding int `json:"binding"`
	gpuImage
}

type gpuComputeRequest struct {
	Shader   uint64               `json:"shader"`
	Groups   [3]int               `json:"groups"`
	Buffers  []gpuBinding         `json:"buffers,omitempty"`
	Images   []gpuImageBinding    `json:"images,omitempty"`
	Uniforms map[string][]float64 `json:"uniforms,omitempty"`
	Wait     *bool                `json:"wait,omitempty"`
}

type gpuAttribute struct {
	Location   int    `json:"location"`
	Components int    `json:"components"`
	Type       string `json:"type,omitempty"`
	Normalized bool   `json:"normalized,omitempty"`
	Offset     int    `json:"offset,omitempty"`
}

type gpuVertices struct {
	gpuRef
	Stride      int            `json:"stride"`
	PerInstance bool           `json:"per_instance,omitempty"`
	Attributes  []gpuAttribute `json:"attributes"`
}

type gpuIndices struct {
	gpuRef
	Type string `json:"type"`
}

type gpuTexture struct {
	Unit int `json:"unit"`
	gpuImage
	Linear bool `json:"linear,omitempty"`
}

type gpuDrawRequest struct {
	Shader    uint64               `json:"shader"`
	Target    gpuImage             `json:"target"`
	Clear     *[4]float32          `json:"clear,omitempty"`
	Depth     bool                 `json:"depth,omitempty"`
	Blend     bool                 `json:"blend,omitempty"`
	Primitive string               `json:"primitive"`
	First     int                  `json:"first,omitempty"`
	Count     int                  `json:"count"`
	Instances int                  `json:"instances,omitempty"`
	Vertices  []gpuVertices        `json:"vertices,omitempty"`
	Indices   *gpuIndices          `json:"indices,omitempty"`
	Textures  []gpuTexture         `json:"textures,omitempty"`
	Uniforms  map[string][]float64 `json:"uniforms,omitempty"`
	Wait      *bool                `json:"wait,omitempty"`
}

// gpuJobReply answers a compute or draw, and is the payload of a job's done message.
type gpuJobReply struct {
	Event string  `json:"event,omitempty"`
	Job   uint64  `json:"job"`
	Done  bool    `json:"done"`
	MS    float64 `json:"ms"`
	gpuStatus
}

// GPUDone reports whether m is the GPU driver's message that a job started with Start is done,
// and how it went.
func GPUDone(m Message) (job GPUJob, err error, ok bool) {
	if m.Kind != KindDirect || !strings.HasPrefix(string(m.Payload), `{"event":"gpu.done"`) {
		return 0, nil, false
	}
	var r gpuJobReply
	if json.Unmarshal(m.Payload, &r) != nil {
		return 0, nil, false
	}
	return GPUJob(r.Job), r.gpuStatus.err("job", nil), true
}

// GPUJob is a compute or draw started without waiting (Compute.Start, Draw.Start).
type GPUJob uint64

// regionSet numbers the regions a request names, in order, with the rights each needs.
type regionSet struct {
	grants []Grant
	index  map[uint32]int
}

// ref returns r's index among the request's regions, adding the rights.
func (s *regionSet) ref(r Region, rights Rights) int {
	if s.index == nil {
		s.index = map[uint32]int{}
	}
	i, ok := s.index[r.Handle]
	if !ok {
		i = len(s.grants)
		s.index[r.Handle] = i
		s.grants = append(s.grants, Grant{Handle: r.Handle})
	}
	s.grants[i].Rights |= rights
	return i
}

func accessRights(access string) Rights {
	switch access {
	case GPUWrite:
		return Write
	case GPUReadWrite:
		return Read | Write
	}
	return Read
}
