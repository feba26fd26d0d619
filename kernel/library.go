package kernel

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/registry"
)

// Shared libraries. A module that imports functions from a module name other than the host's
// ("orbital", WASI) links against a library: at Load the kernel asks Config.Libraries for the
// best version of each imported library, compiles it (through the cache), and checks that it
// exports every imported function with the same signature — a missing or conflicting library
// is Load's error, before anything starts. At Spawn each process gets its own instance of each
// library, in its own store (its memory ceiling and kill switch cover the library too), and a
// per-process linker binds the imports to shims.
//
// Calling convention: when the library exports orbital_alloc(len i32) -> i32, a function whose
// first two parameters are i32 takes (ptr, len) naming a buffer in the caller's memory. The
// shim allocates len bytes in the library (orbital_alloc), copies the caller's bytes in, calls
// the function with the library pointer, copies the bytes back into the caller's memory and
// frees the allocation (orbital_free, if exported). Other parameters pass through. The
// caller's pointer and length are bounds-checked; a bad pair traps the caller, never the host.

// Library is one resolved library version.
type Library struct {
	Name    string
	Version string
	Path    string // for messages
	WASM    []byte
}

// LibraryResolver finds the library an importing module links against.
type LibraryResolver interface {
	// ResolveLibrary returns the library lib for the module with the given name and sha256
	// digest (hex), e.g. the best installed version in the importer's manifest range.
	ResolveLibrary(importer, digest, lib string) (*Library, error)
}

// ErrLibrary is matched by every library linking error.
var ErrLibrary = errors.New("kernel: library link error")

// libLink is a library a module links against: its compiled code and the imported functions.
type libLink struct {
	lib    *Library
	mod    *wasmtime.Module
	funcs  []libFunc
	buffer bool // exports orbital_alloc: buffer convention on
}

type libFunc struct {
	name string
	ty   *wasmtime.FuncType
}

// libraries returns the resolver: Config.Libraries, else the registry in the home.
func (k *Kernel) libraries() LibraryResolver {
	if k.cfg.Libraries != nil {
		return k.cfg.Libraries
	}
	if k.cfg.Home != "" {
		return registryLibraries{home: k.cfg.Home}
	}
	return nil
}

// linkLibraries resolves, compiles and checks every library m imports.
func (k *Kernel) linkLibraries(m *Module) error {
	byLib := map[string][]libFunc{}
	for _, im := range m.mod.Imports() {
		mod := im.Module()
		if mod == abiModule || mod == wasiModule {
			continue
		}
		name := ""
		if n := im.Name(); n != nil {
			name = *n
		}
		ft := im.Type().FuncType()
		if ft == nil {
			return &ModuleError{File: m.Path, Msg: fmt.Sprintf("imports %s.%s, which is not a function; only functions can be imported from a library", mod, name), Err: ErrLibrary}
		}
		byLib[mod] = append(byLib[mod], libFunc{name, ft})
	}
	if len(byLib) == 0 {
		return nil
	}
	res := k.libraries()
	if res == nil {
		return &ModuleError{File: m.Path, Msg: "imports from " + strings.Join(sortedNames(byLib), ", ") + ", but this kernel has no library registry (no Orbital home)", Err: ErrLibrary}
	}
	for _, name := range sortedNames(byLib) {
		lib, err := res.ResolveLibrary(m.Name, m.Digest, name)
		if err != nil {
			return &ModuleError{File: m.Path, Msg: fmt.Sprintf("imports %s.%s from module %q, which is not the host's (%q ABI v%d, %s) and no library of that name can be linked: %v",
				name, byLib[name][0].name, name, abiModule, ABIVersion, wasiModule, oneLine(err.Error())), Err: errors.Join(ErrLibrary, err)}
		}
		lmod, err := k.compileLibrary(k.engine, engineSettings, lib)
		if err != nil {
			return &ModuleError{File: m.Path, Msg: fmt.Sprintf("library %s %s (%s): %v", name, lib.Version, lib.Path, oneLine(err.Error())), Err: errors.Join(ErrLibrary, err)}
		}
		link := &libLink{lib: lib, mod: lmod, funcs: byLib[name]}
		exports := map[string]*wasmtime.FuncType{}
		hasMemory := false
		for _, ex := range lmod.Exports() {
			if ft := ex.Type().FuncType(); ft != nil {
				exports[ex.Name()] = ft
			}
			if ex.Name() == "memory" {
				hasMemory = true
			}
		}
		if ft, ok := exports["orbital_alloc"]; ok && hasMemory && sameSig(ft, []wasmtime.ValKind{i32}, []wasmtime.ValKind{i32}) {
			link.buffer = true
		}
		for _, f := range link.funcs {
			have, ok := exports[f.name]
			if !ok {
				return &ModuleError{File: m.Path, Msg: fmt.Sprintf("imports %s.%s, but library %s %s does not export %s (it exports %s)",
					name, f.name, name, lib.Version, f.name, strings.Join(sortedNames(exports), ", ")), Err: ErrLibrary}
			}
			if !sameSig(have, valKinds(f.ty.Params()), valKinds(f.ty.Results())) {
				return &ModuleError{File: m.Path, Msg: fmt.Sprintf("imports %s.%s as %s, but library %s %s exports it as %s",
					name, f.name, sigString(f.ty), name, lib.Version, sigString(have)), Err: ErrLibrary}
			}
		}
		m.libs = append(m.libs, link)
	}
	return nil
}

// compileLibrary compiles lib for engine (described by settings) through the cache.
func (k *Kernel) compileLibrary(engine *wasmtime.Engine, settings string, lib *Library) (*wasmtime.Module, error) {
	sum := sha256.Sum256(lib.WASM)
	lmod, _, err := k.cache.load(engine, settings, hex.EncodeToString(sum[:]), lib.WASM, func(mod *wasmtime.Module) error {
		return checkImports(mod, false)
	})
	return lmod, err
}

// linkerFor returns the linker a process instantiates with: the shared one of its engine, or
// for a module with libraries a private linker holding this process's library instances.
func (p *Process) linkerFor() (*wasmtime.Linker, error) {
	if len(p.code.libs) == 0 {
		return p.eng.linker, nil
	}
	l, err := newLinker(p.eng.engine)
	if err != nil {
		return nil, err
	}
	for _, link := range p.code.libs {
		if err := p.instantiateLibrary(l, link); err != nil {
			return nil, &ModuleError{File: p.module.Path, Msg: fmt.Sprintf("library %s %s: %v", link.lib.Name, link.lib.Version, oneLine(err.Error())), Err: errors.Join(ErrLibrary, err)}
		}
	}
	return l, nil
}

// instantiateLibrary creates this process's instance of a library, runs its _initialize and
// defines the shims for the imported functions in l.
func (p *Process) instantiateLibrary(l *wasmtime.Linker, link *libLink) error {
	inst, err := l.Instantiate(p.store, link.mod)
	if err != nil {
		return err
	}
	if init := inst.GetFunc(p.store, "_initialize"); init != nil {
		if _, err := init.Call(p.store); err != nil {
			return fmt.Errorf("_initialize: %w", err)
		}
	}
	var mem *wasmtime.Memory
	if ex := inst.GetExport(p.store, "memory"); ex != nil {
		mem = ex.Memory()
	}
	alloc := inst.GetFunc(p.store, "orbital_alloc")
	free := inst.GetFunc(p.store, "orbital_free")
	for _, f := range link.funcs {
		fn := inst.GetFunc(p.store, f.name)
		sh := &libShim{p: p, lib: link.lib.Name, name: f.name, fn: fn, mem: mem, alloc: alloc, free: free,
			buffer: link.buffer && len(f.ty.Params()) >= 2 && f.ty.Params()[0].Kind() == i32 && f.ty.Params()[1].Kind() == i32}
		if err := l.FuncNew(link.lib.Name, f.name, f.ty, sh.call); err != nil {
			return err
		}
	}
	return nil
}

// libShim is one imported library function bound to one process's library instance.
type libShim struct {
	p               *Process
	lib, name       string
	fn, alloc, free *wasmtime.Func
	mem             *wasmtime.Memory
	buffer          bool
}

func (s *libShim) call(caller *wasmtime.Caller, args []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
	if s.p.killed.Load() {
		return nil, wasmtime.NewTrap("orbital: process killed")
	}
	in := make([]interface{}, len(args))
	for i, a := range args {
		in[i] = a.Get()
	}
	var cmem []byte
	var ptr, n, lptr int32
	if s.buffer {
		ptr, n = args[0].I32(), args[1].I32()
		cm := s.callerMemory(caller)
		if cm == nil {
			return nil, wasmtime.NewTrap("orbital: " + s.lib + "." + s.name + ": the caller exports no memory to pass a buffer from")
		}
		cmem = cm.UnsafeData(caller)
		if ptr < 0 || n < 0 || int64(ptr)+int64(n) > int64(len(cmem)) {
			return nil, wasmtime.NewTrap(fmt.Sprintf("orbital: %s.%s: buffer [%d, +%d) is outside the caller's memory", s.lib, s.name, ptr, n))
		}
		if n > 0 {
			v, err := s.alloc.Call(caller, n)
			if err != nil {
				return nil, wasmtime.NewTrap(fmt.Sprintf("orbital: %s.orbital_alloc(%d): %v", s.lib, n, firstLine(err.Error())))
			}
			lptr, _ = v.(int32)
			lmem := s.mem.UnsafeData(caller)
			if lptr <= 0 || int64(lptr)+int64(n) > int64(len(lmem)) {
				return nil, wasmtime.NewTrap(fmt.Sprintf("orbital: %s.orbital_alloc(%d) returned %d, outside its memory", s.lib, n, lptr))
			}
			cmem = cm.UnsafeData(caller) // re-read after the allocator ran
			copy(lmem[lptr:lptr+n], cmem[ptr:ptr+n])
			in[0] = lptr
		}
	}
	out, err := s.fn.Call(caller, in...)
	if err != nil {
		return nil, wasmtime.NewTrap(fmt.Sprintf("orbital: library %s.%s: %s", s.lib, s.name, firstLine(err.Error())))
	}
	if s.buffer && n > 0 {
		lmem := s.mem.UnsafeData(caller) // the library's memory may have grown during the call
		cmem = s.callerMemory(caller).UnsafeData(caller)
		if int64(lptr)+int64(n) <= int64(len(lmem)) {
			copy(cmem[ptr:ptr+n], lmem[lptr:lptr+n])
		}
		if s.free != nil {
			if _, err := s.free.Call(caller, lptr); err != nil {
				return nil, wasmtime.NewTrap(fmt.Sprintf("orbital: %s.orbital_free: %s", s.lib, firstLine(err.Error())))
			}
		}
	}
	return toVals(out), nil
}

// callerMemory is the calling module's exported memory: the process's own (set once it is
// instantiated), else looked up through the caller.
func (s *libShim) callerMemory(caller *wasmtime.Caller) *wasmtime.Memory {
	if s.p.memory != nil {
		return s.p.memory
	}
	if ex := caller.GetExport("memory"); ex != nil {
		return ex.Memory()
	}
	return nil
}

// toVals turns Func.Call's result (nil, one value, or []Val) into results.
func toVals(out interface{}) []wasmtime.Val {
	switch v := out.(type) {
	case nil:
		return nil
	case int32:
		return []wasmtime.Val{wasmtime.ValI32(v)}
	case int64:
		return []wasmtime.Val{wasmtime.ValI64(v)}
	case float32:
		return []wasmtime.Val{wasmtime.ValF32(v)}
	case float64:
		return []wasmtime.Val{wasmtime.ValF64(v)}
	case []wasmtime.Val:
		return v
	}
	return nil
}

func valKinds(ts []*wasmtime.ValType) []wasmtime.ValKind {
	out := make([]wasmtime.ValKind, len(ts))
	for i, t := range ts {
		out[i] = t.Kind()
	}
	return out
}

func sameSig(ft *wasmtime.FuncType, params, results []wasmtime.ValKind) bool {
	ps, rs := valKinds(ft.Params()), valKinds(ft.Results())
	if len(ps) != len(params) || len(rs) != len(results) {
		return false
	}
	for i := range ps {
		if ps[i] != params[i] {
			return false
		}
	}
	for i := range rs {
		if rs[i] != results[i] {
			return false
		}
	}
	return true
}

func sigString(ft *wasmtime.FuncType) string {
	var ps, rs []string
	for _, k := range valKinds(ft.Params()) {
		ps = append(ps, k.String())
	}
	for _, k := range valKinds(ft.Results()) {
		rs = append(rs, k.String())
	}
	return "(" + strings.Join(ps, ", ") + ") -> (" + strings.Join(rs, ", ") + ")"
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// registryLibraries resolves libraries from the registry in an Orbital home: the importer's
// installed manifest (found by digest) gives the version range; a module not installed (a bare
// file) gets the newest installed version.
type registryLibraries struct{ home string }

func (r registryLibraries) ResolveLibrary(importer, digest, lib string) (*Library, error) {
	reg, err := registry.Open(r.home)
	if err != nil {
		return nil, err
	}
	rng := "*"
	if recs, err := reg.List(""); err == nil {
		for _, rec := range recs {
			if rec.EntryDigest != "sha256:"+digest {
				continue
			}
			if m, err := reg.Manifest(rec); err == nil {
				if want, ok := m.Dependencies[lib]; ok {
					rng = want
				} else {
					return nil, fmt.Errorf("%s imports %s but its module.toml has no [dependencies] %s = \"RANGE\"", rec.ID(), lib, lib)
				}
			}
			break
		}
	}
	res, err := reg.LoadLibrary(lib, rng)
	if err != nil {
		return nil, fmt.Errorf("%w (install it: orbital install orbital://%s)", err, lib)
	}
	return &Library{Name: lib, Version: res.Record.Version, Path: res.Path, WASM: res.WASM}, nil
}
