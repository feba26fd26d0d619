package gl

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// Stages of a program, as requests name them.
const (
	StageCompute  = "compute"
	StageVertex   = "vertex"
	StageFragment = "fragment"
	StageLink     = "link"
)

var stageEnums = map[string]uint32{StageCompute: gl.COMPUTE_SHADER, StageVertex: gl.VERTEX_SHADER, StageFragment: gl.FRAGMENT_SHADER}

// DefaultVersion is put in front of a source that does not start with a #version line.
const DefaultVersion = "#version 430 core"

// Diagnostic is one message of the shader compiler or linker, with the position it names in
// the source the caller gave (1-based; 0 when the message names none).
type Diagnostic struct {
	Stage    string `json:"stage"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"` // "error" or "warning"
	Message  string `json:"message"`
}

func (d Diagnostic) String() string {
	if d.Line > 0 {
		return fmt.Sprintf("%s shader:%d:%d: %s: %s", d.Stage, d.Line, d.Column, d.Severity, d.Message)
	}
	return fmt.Sprintf("%s: %s: %s", d.Stage, d.Severity, d.Message)
}

// Uniform is one active uniform of a program's default block.
type Uniform struct {
	Name     string // without "[0]" for arrays
	Type     uint32 // GL type enum
	Location int32
	Count    int // array length (1 for a plain uniform)
}

// Program is a linked compute program, or a vertex+fragment program for drawing.
type Program struct {
	ID       uint32
	Compute  bool
	Local    [3]int // a compute program's local size
	Uniforms map[string]Uniform
}

// Delete frees the program.
func (p *Program) Delete() { gl.DeleteProgram(p.ID) }

// Compile compiles and links the stages given ("compute" alone, or "vertex" and "fragment").
// A failure returns the compiler's messages as diagnostics, with their positions.
func (c *Context) Compile(stages map[string]string) (*Program, []Diagnostic, error) {
	_, compute := stages[StageCompute]
	if compute && len(stages) != 1 {
		return nil, nil, fmt.Errorf("a compute shader is compiled alone")
	}
	if !compute && (stages[StageVertex] == "" || stages[StageFragment] == "" || len(stages) != 2) {
		return nil, nil, fmt.Errorf("a drawing program needs a vertex and a fragment shader")
	}
	var diags []Diagnostic
	var shaders []uint32
	defer func() {
		for _, s := range shaders {
			gl.DeleteShader(s)
		}
	}()
	failed := false
	for _, st := range []string{StageCompute, StageVertex, StageFragment} {
		src, ok := stages[st]
		if !ok {
			continue
		}
		sh, d, ok := compileShader(st, src)
		diags = append(diags, d...)
		if !ok {
			failed = true
			continue
		}
		shaders = append(shaders, sh)
	}
	if failed {
		return nil, diags, fmt.Errorf("compile error")
	}
	p := gl.CreateProgram()
	for _, s := range shaders {
		gl.AttachShader(p, s)
	}
	gl.LinkProgram(p)
	var ok int32
	gl.GetProgramiv(p, gl.LINK_STATUS, &ok)
	if ok == gl.FALSE {
		diags = append(diags, parseLog(StageLink, programLog(p))...)
		gl.DeleteProgram(p)
		return nil, diags, fmt.Errorf("link error")
	}
	prog := &Program{ID: p, Compute: compute, Uniforms: uniforms(p)}
	if compute {
		var l [3]int32
		gl.GetProgramiv(p, gl.COMPUTE_WORK_GROUP_SIZE, &l[0])
		prog.Local = [3]int{int(l[0]), int(l[1]), int(l[2])}
	}
	return prog, diags, check("link")
}

// compileShader compiles one stage; a source without #version gets DefaultVersion and a #line
// directive, so positions still name the caller's lines.
func compileShader(stage, src string) (uint32, []Diagnostic, bool) {
	if !strings.HasPrefix(strings.TrimLeft(src, " \t\r\n"), "#version") {
		src = DefaultVersion + "\n#line 1\n" + src
	}
	sh := gl.CreateShader(stageEnums[stage])
	cs, free := gl.Strs(src + "\x00")
	gl.ShaderSource(sh, 1, cs, nil)
	free()
	gl.CompileShader(sh)
	var ok int32
	gl.GetShaderiv(sh, gl.COMPILE_STATUS, &ok)
	var n int32
	gl.GetShaderiv(sh, gl.INFO_LOG_LENGTH, &n)
	var diags []Diagnostic
	if n > 1 {
		log := make([]byte, n)
		gl.GetShaderInfoLog(sh, n, nil, &log[0])
		diags = parseLog(stage, strings.TrimRight(string(log), "\x00"))
	}
	if ok == gl.FALSE {
		gl.DeleteShader(sh)
		if len(diags) == 0 {
			diags = []Diagnostic{{Stage: stage, Severity: "error", Message: "the shader does not compile (the compiler said nothing more)"}}
		}
		return 0, diags, false
	}
	return sh, diags, true
}

func programLog(p uint32) string {
	var n int32
	gl.GetProgramiv(p, gl.INFO_LOG_LENGTH, &n)
	if n <= 1 {
		return "the program does not link (the linker said nothing more)"
	}
	log := make([]byte, n)
	gl.GetProgramInfoLog(p, n, nil, &log[0])
	return strings.TrimRight(string(log), "\x00")
}

// The compilers' message formats: Mesa "0:3(12): error: ...", NVIDIA "0(3) : error C0000: ...",
// AMD and Intel on other systems "ERROR: 0:3: ...".
var (
	mesaLine = regexp.MustCompile(`^\d+:(\d+)\((\d+)\): (error|warning): (.*)$`)
	nvLine   = regexp.MustCompile(`^\d+\((\d+)\) : (error|warning) [A-Z0-9]+: (.*)$`)
	khrLine  = regexp.MustCompile(`^(ERROR|WARNING): \d+:(\d+): (.*)$`)
)

// parseLog turns an info log into diagnostics; lines it cannot place keep line 0.
func parseLog(stage, log string) []Diagnostic {
	var out []Diagnostic
	for _, ln := range strings.Split(log, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" {
			continue
		}
		d := Diagnostic{Stage: stage, Severity: "error", Message: ln}
		if m := mesaLine.FindStringSubmatch(ln); m != nil {
			d.Line, _ = strconv.Atoi(m[1])
			d.Column, _ = strconv.Atoi(m[2])
			d.Severity, d.Message = m[3], m[4]
		} else if m := nvLine.FindStringSubmatch(ln); m != nil {
			d.Line, _ = strconv.Atoi(m[1])
			d.Severity, d.Message = m[2], m[3]
		} else if m := khrLine.FindStringSubmatch(ln); m != nil {
			d.Line, _ = strconv.Atoi(m[2])
			d.Severity, d.Message = strings.ToLower(m[1]), m[3]
		} else if rest, ok := strings.CutPrefix(ln, "warning: "); ok {
			d.Severity, d.Message = "warning", rest
		} else if rest, ok := strings.CutPrefix(ln, "error: "); ok {
			d.Message = rest
		}
		out = append(out, d)
	}
	return out
}

// uniforms lists a program's active uniforms outside blocks.
func uniforms(p uint32) map[string]Uniform {
	out := map[string]Uniform{}
	var n int32
	gl.GetProgramInterfaceiv(p, gl.UNIFORM, gl.ACTIVE_RESOURCES, &n)
	props := []uint32{gl.TYPE, gl.LOCATION, gl.ARRAY_SIZE, gl.BLOCK_INDEX, gl.NAME_LENGTH}
	for i := int32(0); i < n; i++ {
		var v [5]int32
		gl.GetProgramResourceiv(p, gl.UNIFORM, uint32(i), int32(len(props)), &props[0], int32(len(v)), nil, &v[0])
		if v[3] != -1 || v[1] < 0 {
			continue // in a uniform block, or an opaque type bound by layout(binding)
		}
		name := make([]byte, v[4]+1)
		gl.GetProgramResourceName(p, gl.UNIFORM, uint32(i), int32(len(name)), nil, &name[0])
		s := strings.TrimSuffix(strings.TrimRight(string(name), "\x00"), "[0]")
		out[s] = Uniform{Name: s, Type: uint32(v[0]), Location: v[1], Count: int(max(v[2], 1))}
	}
	return out
}
