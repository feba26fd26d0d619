package kernel

import (
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
// library, in its own store (its memory ceiling and kill switch cover the library too), and
// the importer's instance is linked to it directly (library_link.go): its imports are the
// library instance's exports, so a call is a WASM-to-WASM call with no host in the middle.
//
// Calling convention: when the library exports orbital_alloc(len i32) -> i32 and a 32-bit
// memory, a function whose first two parameters are i32 takes (ptr, len) naming a buffer in
// the caller's memory. Generated WASM (library_adapter.go) copies the caller's bytes into a
// scratch buffer in the library, calls the function with the scratch pointer in place of ptr,
// and copies the bytes back; the scratch buffer is allocated with orbital_alloc on the first
// call and again only when a call needs more (the old one goes to orbital_free(ptr i32), if
// exported). Other parameters and every function without a buffer pass straight through. The
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

// libLink is a library a module links against: its compiled code, the imported functions and,
// when some take a buffer, the thunk and adapter modules that pass it (library_adapter.go).
type libLink struct {
	lib    *Library
	mod    *wasmtime.Module
	img    *memImages // the images of the library's memories (memimage.go), nil if none
	funcs  []libFunc
	buffer bool // exports orbital_alloc and a 32-bit memory: buffer convention on
	free   bool // exports orbital_free(i32): called on the old scratch buffer before it grows

	thunk, adapter         *wasmtime.Module // nil when no function takes a buffer
	thunkWasm, adapterWasm []byte           // their bytes, compiled again for the fuel engine
}

type libFunc struct {
	name   string
	ty     *wasmtime.FuncType
	buffer bool // (ptr, len, ...) names a buffer in the caller's memory: through the adapter
}

// importSlot says where one import of a module that links libraries comes from: the kernel's
// linker (module and name) or the link-th library (name), through its thunk if buffer.
type importSlot struct {
	module, name string
	link         int // index in Module.libs; -1: the kernel's linker
	buffer       bool
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

// linkLibraries resolves, compiles and checks every library m imports, and records where each
// of m's imports comes from (Module.imports).
func (k *Kernel) linkLibraries(m *Module) error {
	byLib := map[string][]libFunc{}
	var slots []importSlot
	for _, im := range m.mod.Imports() {
		mod := im.Module()
		name := ""
		if n := im.Name(); n != nil {
			name = *n
		}
		slots = append(slots, importSlot{module: mod, name: name, link: -1})
		if mod == abiModule || mod == wasiModule {
			continue
		}
		ft := im.Type().FuncType()
		if ft == nil {
			return &ModuleError{File: m.Path, Msg: fmt.Sprintf("imports %s.%s, which is not a function; only functions can be imported from a library", mod, name), Err: ErrLibrary}
		}
		byLib[mod] = append(byLib[mod], libFunc{name: name, ty: ft})
	}
	if len(byLib) == 0 {
		return nil
	}
	res := k.libraries()
	if res == nil {
		return &ModuleError{File: m.Path, Msg: "imports from " + strings.Join(sortedNames(byLib), ", ") + ", but this kernel has no library registry (no Orbital home)", Err: ErrLibrary}
	}
	for _, name := range sortedNames(byLib) {
		link, err := k.linkLibrary(m, res, name, byLib[name])
		if err != nil {
			return err
		}
		m.libs = append(m.libs, link)
	}
	for i := range slots {
		for li, link := range m.libs {
			if slots[i].module != link.lib.Name {
				continue
			}
			slots[i].link = li
			for _, f := range link.funcs {
				if f.name == slots[i].name {
					slots[i].buffer = f.buffer
				}
			}
		}
	}
	m.imports = slots
	return nil
}

// linkLibrary resolves and compiles library name for m, checks that it exports funcs with
// their signatures, and builds the adapters of the functions that take a buffer.
func (k *Kernel) linkLibrary(m *Module, res LibraryResolver, name string, funcs []libFunc) (*libLink, error) {
	lib, err := res.ResolveLibrary(m.Name, m.Digest, name)
	if err != nil {
		return nil, &ModuleError{File: m.Path, Msg: fmt.Sprintf("imports %s.%s from module %q, which is not the host's (%q ABI v%d, %s) and no library of that name can be linked: %v",
			name, funcs[0].name, name, abiModule, ABIVersion, wasiModule, oneLine(err.Error())), Err: errors.Join(ErrLibrary, err)}
	}
	lmod, limg, err := k.compileLibrary(k.engine, engineSettings, lib)
	if err != nil {
		return nil, &ModuleError{File: m.Path, Msg: fmt.Sprintf("library %s %s (%s): %v", name, lib.Version, lib.Path, oneLine(err.Error())), Err: errors.Join(ErrLibrary, err)}
	}
	link := &libLink{lib: lib, mod: lmod, img: limg, funcs: funcs}
	exports := map[string]*wasmtime.FuncType{}
	mem32 := false
	for _, ex := range lmod.Exports() {
		if ft := ex.Type().FuncType(); ft != nil {
			exports[ex.Name()] = ft
		}
		if mt := ex.Type().MemoryType(); mt != nil && ex.Name() == "memory" {
			mem32 = !mt.Is64() && !mt.IsShared()
		}
	}
	if ft, ok := exports["orbital_alloc"]; ok && mem32 && sameSig(ft, []wasmtime.ValKind{i32}, []wasmtime.ValKind{i32}) {
		link.buffer = true
	}
	if ft, ok := exports["orbital_free"]; ok && sameSig(ft, []wasmtime.ValKind{i32}, nil) {
		link.free = true
	}
	for i, f := range link.funcs {
		have, ok := exports[f.name]
		if !ok {
			return nil, &ModuleError{File: m.Path, Msg: fmt.Sprintf("imports %s.%s, but library %s %s does not export %s (it exports %s)",
				name, f.name, name, lib.Version, f.name, strings.Join(sortedNames(exports), ", ")), Err: ErrLibrary}
		}
		if !sameSig(have, valKinds(f.ty.Params()), valKinds(f.ty.Results())) {
			return nil, &ModuleError{File: m.Path, Msg: fmt.Sprintf("imports %s.%s as %s, but library %s %s exports it as %s",
				name, f.name, sigString(f.ty), name, lib.Version, sigString(have)), Err: ErrLibrary}
		}
		ps := f.ty.Params()
		link.funcs[i].buffer = link.buffer && len(ps) >= 2 && ps[0].Kind() == i32 && ps[1].Kind() == i32
	}
	if err := k.buildAdapters(m, link, len(m.libs)); err != nil {
		return nil, err
	}
	return link, nil
}

// buildAdapters generates and compiles link's thunk and adapter when a function takes a buffer;
// li is the link's index in m.libs. The caller must export a 32-bit memory to pass buffers from.
func (k *Kernel) buildAdapters(m *Module, link *libLink, li int) error {
	bf := link.bufferFuncs()
	if len(bf) == 0 {
		return nil
	}
	fail := func(msg string, err error) error {
		return &ModuleError{File: m.Path, Msg: fmt.Sprintf("imports %s.%s, which takes a buffer (ptr, len): %s", link.lib.Name, link.funcs[bf[0]].name, msg), Err: errors.Join(ErrLibrary, err)}
	}
	hasMem := false
	for _, ex := range m.mod.Exports() {
		if mt := ex.Type().MemoryType(); mt != nil && ex.Name() == "memory" {
			hasMem = !mt.Is64() && !mt.IsShared()
		}
	}
	if !hasMem {
		return fail("the module exports no 32-bit memory named \"memory\" to pass it from", nil)
	}
	thunk, err := genThunk(link)
	if err == nil {
		var adapter string
		adapter, err = genAdapter(link, li)
		if err == nil {
			link.thunkWasm, err = wasmtime.Wat2Wasm(thunk)
		}
		if err == nil {
			link.adapterWasm, err = wasmtime.Wat2Wasm(adapter)
		}
	}
	if err != nil {
		return fail(oneLine(err.Error()), err)
	}
	if link.thunk, err = k.compileGlue(k.engine, engineSettings, link.thunkWasm); err == nil {
		link.adapter, err = k.compileGlue(k.engine, engineSettings, link.adapterWasm)
	}
	if err != nil {
		return fail("cannot compile its adapter: "+oneLine(err.Error()), err)
	}
	return nil
}

// compileGlue compiles a generated module for engine through the compile cache. Glue defines
// no memory, so it has no memory images.
func (k *Kernel) compileGlue(engine *wasmtime.Engine, settings string, wasm []byte) (*wasmtime.Module, error) {
	mod, img, _, err := k.cache.load(engine, settings, sourceOf(wasm), func(*wasmtime.Module) error { return nil })
	if err == nil && img != nil {
		return nil, errors.New("generated glue module has memory data")
	}
	return mod, err
}

// compileLibrary compiles lib for engine (described by settings) through the cache, with the
// images of its memories.
func (k *Kernel) compileLibrary(engine *wasmtime.Engine, settings string, lib *Library) (*wasmtime.Module, *memImages, error) {
	lmod, img, _, err := k.cache.load(engine, settings, sourceOf(lib.WASM), func(mod *wasmtime.Module) error {
		return checkImports(mod, false)
	})
	return lmod, img, err
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
