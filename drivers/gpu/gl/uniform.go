package gl

import (
	"fmt"
	"math"
	"sort"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// uniformShape is a GL uniform type's scalar kind and component count.
type uniformShape struct {
	name  string
	kind  byte // 'f' float, 'i' int or bool, 'u' uint, 'm' float matrix
	comps int
}

var uniformShapes = map[uint32]uniformShape{
	gl.FLOAT: {"float", 'f', 1}, gl.FLOAT_VEC2: {"vec2", 'f', 2}, gl.FLOAT_VEC3: {"vec3", 'f', 3}, gl.FLOAT_VEC4: {"vec4", 'f', 4},
	gl.INT: {"int", 'i', 1}, gl.INT_VEC2: {"ivec2", 'i', 2}, gl.INT_VEC3: {"ivec3", 'i', 3}, gl.INT_VEC4: {"ivec4", 'i', 4},
	gl.UNSIGNED_INT: {"uint", 'u', 1}, gl.UNSIGNED_INT_VEC2: {"uvec2", 'u', 2}, gl.UNSIGNED_INT_VEC3: {"uvec3", 'u', 3}, gl.UNSIGNED_INT_VEC4: {"uvec4", 'u', 4},
	gl.BOOL: {"bool", 'i', 1}, gl.BOOL_VEC2: {"bvec2", 'i', 2}, gl.BOOL_VEC3: {"bvec3", 'i', 3}, gl.BOOL_VEC4: {"bvec4", 'i', 4},
	gl.FLOAT_MAT2: {"mat2", 'm', 4}, gl.FLOAT_MAT3: {"mat3", 'm', 9}, gl.FLOAT_MAT4: {"mat4", 'm', 16},
}

// TypeName is the GLSL name of a uniform type ("vec4"), or "opaque".
func TypeName(t uint32) string {
	if s, ok := uniformShapes[t]; ok {
		return s.name
	}
	return "opaque"
}

// SetUniforms sets the program's uniforms by name. Each value list holds a whole number of
// the uniform's components (a vec3 takes 3 numbers per element, a mat4 16 in column order),
// at most its array length.
func (p *Program) SetUniforms(values map[string][]float64) error {
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		v := values[name]
		u, ok := p.Uniforms[name]
		if !ok {
			return fmt.Errorf("uniform %q: the program has no such active uniform (unused uniforms are optimised away)", name)
		}
		sh, ok := uniformShapes[u.Type]
		if !ok {
			return fmt.Errorf("uniform %q: a sampler or image is bound by layout(binding = N), not set", name)
		}
		if len(v) == 0 || len(v)%sh.comps != 0 || len(v)/sh.comps > u.Count {
			return fmt.Errorf("uniform %q is %s[%d]: give a multiple of %d numbers, at most %d; got %d", name, sh.name, u.Count, sh.comps, sh.comps*u.Count, len(v))
		}
		if err := setUniform(p.ID, u, sh, v); err != nil {
			return fmt.Errorf("uniform %q: %w", name, err)
		}
	}
	return check("set uniforms")
}

func setUniform(prog uint32, u Uniform, sh uniformShape, v []float64) error {
	n := int32(len(v) / sh.comps)
	switch sh.kind {
	case 'f', 'm':
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		switch {
		case sh.kind == 'm' && sh.comps == 4:
			gl.ProgramUniformMatrix2fv(prog, u.Location, n, false, &f[0])
		case sh.kind == 'm' && sh.comps == 9:
			gl.ProgramUniformMatrix3fv(prog, u.Location, n, false, &f[0])
		case sh.kind == 'm':
			gl.ProgramUniformMatrix4fv(prog, u.Location, n, false, &f[0])
		default:
			[...]func(uint32, int32, int32, *float32){gl.ProgramUniform1fv, gl.ProgramUniform2fv, gl.ProgramUniform3fv, gl.ProgramUniform4fv}[sh.comps-1](prog, u.Location, n, &f[0])
		}
	case 'i':
		d := make([]int32, len(v))
		for i, x := range v {
			if x != math.Trunc(x) || x < math.MinInt32 || x > math.MaxInt32 {
				return fmt.Errorf("%v is not an int", x)
			}
			d[i] = int32(x)
		}
		[...]func(uint32, int32, int32, *int32){gl.ProgramUniform1iv, gl.ProgramUniform2iv, gl.ProgramUniform3iv, gl.ProgramUniform4iv}[sh.comps-1](prog, u.Location, n, &d[0])
	case 'u':
		d := make([]uint32, len(v))
		for i, x := range v {
			if x != math.Trunc(x) || x < 0 || x > math.MaxUint32 {
				return fmt.Errorf("%v is not a uint", x)
			}
			d[i] = uint32(x)
		}
		[...]func(uint32, int32, int32, *uint32){gl.ProgramUniform1uiv, gl.ProgramUniform2uiv, gl.ProgramUniform3uiv, gl.ProgramUniform4uiv}[sh.comps-1](prog, u.Location, n, &d[0])
	}
	return nil
}
