package registry

import (
	"errors"
	"fmt"
)

// WasmLimits bound what a module may ask of the compiler. Compile memory and time grow with
// the number of functions, the size of each body and the declared locals; wasmtime has no
// ceiling of its own below wasmparser's (a million functions: 5.3 GB and 24 s), so
// CheckWasmLimits refuses a module past these before anything compiles it. Zero fields take
// DefaultWasmLimits. The figures behind the defaults are in docs/design/limits.md.
type WasmLimits struct {
	MaxBytes     int // the whole module
	MaxFunctions int // imported and defined
	MaxBody      int // one function body, in bytes
	MaxLocals    int // locals declared by one function
	MaxTypes     int
	MaxImports   int
	MaxExports   int
	MaxGlobals   int
	MaxTables    int // imported and defined
	MaxMemories  int // imported and defined
	MaxData      int // data segments
	MaxElements  int // element segments
}

// DefaultWasmLimits leave room beyond the largest module Orbital ships (the JavaScript engine,
// a Go wasip1 program: 19.5 MB, 12.7k functions, bodies under 60 KB, 100k data segments, which
// is Go's and wasmtime's own ceiling) and keep the worst compile near 0.3 GB (50k empty
// functions; a 1 MiB body takes 0.13 GB).
var DefaultWasmLimits = WasmLimits{
	MaxBytes: 64 << 20, MaxFunctions: 50_000, MaxBody: 1 << 20, MaxLocals: 50_000,
	MaxTypes: 100_000, MaxImports: 100_000, MaxExports: 100_000, MaxGlobals: 100_000,
	MaxTables: 100, MaxMemories: 100, MaxData: 100_000, MaxElements: 100_000,
}

// ErrWasmLimit is matched by every *WasmLimitError.
var ErrWasmLimit = errors.New("registry: module over a compile limit")

// WasmLimitError is a module over one of WasmLimits: what was counted, how many, the limit.
type WasmLimitError struct {
	What     string
	N, Limit uint64
}

func (e *WasmLimitError) Error() string {
	return fmt.Sprintf("module has %d %s, over the limit of %d (refused before compiling)", e.N, e.What, e.Limit)
}

// Is makes errors.Is(err, ErrWasmLimit) true.
func (e *WasmLimitError) Is(t error) bool { return t == ErrWasmLimit }

func (l WasmLimits) withDefaults() WasmLimits {
	d := DefaultWasmLimits
	for _, f := range []struct{ v, dv *int }{
		{&l.MaxBytes, &d.MaxBytes}, {&l.MaxFunctions, &d.MaxFunctions}, {&l.MaxBody, &d.MaxBody},
		{&l.MaxLocals, &d.MaxLocals}, {&l.MaxTypes, &d.MaxTypes}, {&l.MaxImports, &d.MaxImports},
		{&l.MaxExports, &d.MaxExports}, {&l.MaxGlobals, &d.MaxGlobals}, {&l.MaxTables, &d.MaxTables},
		{&l.MaxMemories, &d.MaxMemories}, {&l.MaxData, &d.MaxData}, {&l.MaxElements, &d.MaxElements},
	} {
		if *f.v <= 0 {
			*f.v = *f.dv
		}
	}
	return l
}

// CheckWasmLimits walks b's sections once (headers, vector counts, the imports, and each
// function body's size and local declarations) and returns a *WasmLimitError for the first
// count over lim, or an ErrNotWasm error for bytes it cannot walk. It reads nothing else: the
// compiler validates the rest.
func CheckWasmLimits(b []byte, lim WasmLimits) error {
	lim = lim.withDefaults()
	if len(b) > lim.MaxBytes {
		return &WasmLimitError{"bytes", uint64(len(b)), uint64(lim.MaxBytes)}
	}
	if _, err := wasmHeader(b); err != nil {
		return err
	}
	c := wasmCounts{}
	r := &wreader{b: b, off: 8}
	for r.off < len(b) {
		id := r.byte()
		size := int(r.u32())
		if r.err != nil || size > len(b)-r.off {
			return fmt.Errorf("%w: section at byte %d runs past the end", ErrNotWasm, r.off)
		}
		sec := &wreader{b: b[r.off : r.off+size]}
		if err := c.section(id, sec, lim); err != nil {
			return err
		}
		if sec.err != nil {
			return fmt.Errorf("%w: section %d: %v", ErrNotWasm, id, sec.err)
		}
		r.off += size
	}
	return nil
}

// wasmHeader checks the magic and version.
func wasmHeader(b []byte) ([]byte, error) {
	if len(b) < 8 || string(b[:4]) != string(wasmMagic) || b[4] != 1 {
		return nil, fmt.Errorf("%w (no \\0asm version 1 header)", ErrNotWasm)
	}
	return b[8:], nil
}

// wasmCounts accumulates counts that span sections (functions and tables and memories are
// imported or defined).
type wasmCounts struct {
	funcs, tables, mems uint64
}

func over(what string, n uint64, limit int) error {
	if n > uint64(limit) {
		return &WasmLimitError{what, n, uint64(limit)}
	}
	return nil
}

func (c *wasmCounts) section(id byte, sec *wreader, lim WasmLimits) error {
	switch id {
	case 1:
		return over("types", uint64(sec.u32()), lim.MaxTypes)
	case 2:
		return c.imports(sec, lim)
	case 3:
		c.funcs += uint64(sec.u32())
		return over("functions", c.funcs, lim.MaxFunctions)
	case 4:
		c.tables += uint64(sec.u32())
		return over("tables", c.tables, lim.MaxTables)
	case 5:
		c.mems += uint64(sec.u32())
		return over("memories", c.mems, lim.MaxMemories)
	case 6:
		return over("globals", uint64(sec.u32()), lim.MaxGlobals)
	case 7:
		return over("exports", uint64(sec.u32()), lim.MaxExports)
	case 9:
		return over("element segments", uint64(sec.u32()), lim.MaxElements)
	case 10:
		return codeSection(sec, lim)
	case 11:
		return over("data segments", uint64(sec.u32()), lim.MaxData)
	}
	return nil
}

func (c *wasmCounts) imports(sec *wreader, lim WasmLimits) error {
	n := sec.u32()
	if err := over("imports", uint64(n), lim.MaxImports); err != nil {
		return err
	}
	for i := uint32(0); i < n && sec.err == nil; i++ {
		sec.name()
		sec.name()
		switch kind := sec.byte(); kind {
		case 0:
			sec.u32()
			c.funcs++
		case 1:
			sec.byte()
			sec.limits()
			c.tables++
		case 2:
			sec.limits()
			c.mems++
		case 3:
			sec.byte()
			sec.byte()
		case 4:
			sec.byte()
			sec.u32()
		default:
			sec.err = fmt.Errorf("import kind %d", kind)
		}
	}
	if err := over("functions", c.funcs, lim.MaxFunctions); err != nil {
		return err
	}
	if err := over("tables", c.tables, lim.MaxTables); err != nil {
		return err
	}
	return over("memories", c.mems, lim.MaxMemories)
}

// codeSection checks each function body's size and its declared locals.
func codeSection(sec *wreader, lim WasmLimits) error {
	n := sec.u32()
	if err := over("function bodies", uint64(n), lim.MaxFunctions); err != nil {
		return err
	}
	for i := uint32(0); i < n && sec.err == nil; i++ {
		size := int(sec.u32())
		if sec.err != nil || size > len(sec.b)-sec.off {
			return fmt.Errorf("%w: function body %d runs past the end", ErrNotWasm, i)
		}
		if err := over(fmt.Sprintf("bytes in function body %d", i), uint64(size), lim.MaxBody); err != nil {
			return err
		}
		body := &wreader{b: sec.b[sec.off : sec.off+size]}
		var locals uint64
		for groups, g := body.u32(), uint32(0); g < groups && body.err == nil; g++ {
			locals += uint64(body.u32())
			body.byte() // the type
			if err := over(fmt.Sprintf("locals in function body %d", i), locals, lim.MaxLocals); err != nil {
				return err
			}
		}
		sec.off += size
	}
	return nil
}
