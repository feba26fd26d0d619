package kernel

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Module is a compiled, link-checked WASM module, ready to spawn any number of times.
type Module struct {
	Name   string // file name without .wasm
	Path   string // where it was loaded from, for messages
	Digest string // sha256 of the WASM bytes, hex
	Kind   string // "app" (exports _start), "service" (exports _initialize) or "cart" (WASM-4, cart.go)
	Cached bool   // the compiled code came from the disk cache
	// Script is the program this module runs when it is an interpreter bound to one script
	// (WithScript); nil for a module that is its own program.
	Script *Script
	mod    *wasmtime.Module

	hasMemory, hasABIVersion bool          // exports "memory", "orbital_abi_version"
	libs                     []*libLink    // libraries it imports from (library.go)
	plain                    *compiledCode // mod and libs, for the main engine
	imports                  []importSlot  // with libs: where each import comes from

	wasm *wasmBytes   // the module's bytes, to compile the fuel variant from (intern.go)
	fuel *fuelVariant // compiled for the fuel engine on the first metered spawn (fuel.go)
}

// ModuleError is a module that cannot be run: missing, not WASM, corrupt, or importing what
// the kernel does not provide. Its message names the file and what is wrong.
type ModuleError struct {
	File string
	Msg  string
	Err  error
}

func (e *ModuleError) Error() string { return e.File + ": " + e.Msg }
func (e *ModuleError) Unwrap() error { return e.Err }

var wasmMagic = []byte{0, 'a', 's', 'm'}

// LoadFile reads and compiles the module at path (through the compile cache).
func (k *Kernel) LoadFile(path string) (*Module, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &ModuleError{File: path, Msg: "no such file", Err: err}
		}
		return nil, &ModuleError{File: path, Msg: "cannot read: " + err.Error(), Err: err}
	}
	name := strings.TrimSuffix(filepath.Base(path), ".wasm")
	return k.Load(name, path, wasm)
}

// Load compiles wasm (through the compile cache) and checks its imports against what the
// kernel provides. name is the process name; path is only used in messages. The Module keeps
// wasm (the caller must not change it) to compile it for the fuel engine if a process of it
// is ever metered. The bytes' sha256 (Module.Digest) is computed while the compile cache
// reads its entry.
func (k *Kernel) Load(name, path string, wasm []byte) (*Module, error) {
	return k.load(name, path, wasm, "")
}

// LoadDigest is Load for bytes whose sha256 digest (64 hex digits) the caller has just
// verified, as the registry does when it reads an installed module: the kernel takes it as
// Module.Digest and does not hash the bytes again. A wrong digest makes the kernel run code
// compiled from other bytes, so only pass one computed from these bytes.
func (k *Kernel) LoadDigest(name, path string, wasm []byte, digest string) (*Module, error) {
	if len(digest) != 64 || strings.Trim(digest, "0123456789abcdef") != "" {
		return nil, &ModuleError{File: path, Msg: fmt.Sprintf("LoadDigest: %q is not a hex sha256 digest", digest)}
	}
	return k.load(name, path, wasm, digest)
}

func (k *Kernel) load(name, path string, wasm []byte, digest string) (*Module, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], wasmMagic) {
		return nil, &ModuleError{File: path, Msg: "not a WebAssembly module (no \\0asm header)"}
	}
	if wasm[4] != 1 || wasm[5] != 0 || wasm[6] != 0 || wasm[7] != 0 {
		return nil, &ModuleError{File: path, Msg: "a WebAssembly component or unknown binary version; only core modules (version 1) run here"}
	}
	fp := fingerprintOf(wasm)
	wb := k.wasms.lookup(wasm, fp) // intern.go: a live Module's equal bytes, with their digest
	if wb != nil {
		digest = wb.digest
	}
	src := newSource(wasm, fp, digest) // its sha256 on another goroutine when not known
	var kind string
	check := func(mod *wasmtime.Module) (err error) {
		if cart, err := cartImports(mod); cart || err != nil { // cart.go: a WASM-4 cart
			kind = KindCart
			return err
		}
		if err = checkImports(mod, k.libraries() != nil); err != nil {
			return err
		}
		kind, err = moduleKind(mod)
		return err
	}
	mod, img, cached, err := k.cache.load(k.engine, engineSettings, src, check)
	if err == nil && cached {
		err = check(mod) // cached entries were checked when stored; the kind is needed anyway
	}
	if err != nil {
		var ce *compileError
		if errors.As(err, &ce) {
			return nil, &ModuleError{File: path, Msg: "corrupt or truncated module: " + oneLine(err.Error()), Err: err}
		}
		return nil, &ModuleError{File: path, Msg: err.Error(), Err: err}
	}
	if wb == nil {
		wb = k.wasms.add(wasm, fp, src.digest())
	}
	m := &Module{Name: name, Path: path, Digest: wb.digest, Kind: kind, Cached: cached, mod: mod, wasm: wb, fuel: &fuelVariant{}}
	m.plain = &compiledCode{mod: mod, img: img, cached: cached}
	if kind == KindCart {
		return m, nil // its imports are the console's (cart.go), never libraries
	}
	if err := k.linkLibraries(m); err != nil {
		return nil, err
	}
	m.plain.libs = m.libs
	for _, ex := range mod.Exports() {
		switch ex.Name() {
		case "memory":
			m.hasMemory = true
		case "orbital_abi_version":
			m.hasABIVersion = true
		}
	}
	return m, nil
}

// checkImports refuses a module that imports anything the linker does not define, with a
// message naming the import.
func checkImports(mod *wasmtime.Module, libraries bool) error {
	for _, im := range mod.Imports() {
		name := ""
		if n := im.Name(); n != nil {
			name = *n
		}
		switch im.Module() {
		case abiModule:
			if _, ok := hostFuncNames[name]; !ok {
				return fmt.Errorf("imports %s.%s, which this kernel does not provide (ABI v%d)", abiModule, name, ABIVersion)
			}
		case wasiModule:
			if _, ok := wasiFuncs[name]; !ok {
				return fmt.Errorf("imports %s.%s, which is not part of WASI preview 1", wasiModule, name)
			}
		default:
			if libraries {
				continue // a library import: linkLibraries (library.go) resolves and checks it
			}
			return fmt.Errorf("imports %s.%s from module %q, which this kernel does not provide (it offers %q ABI v%d and %s)",
				im.Module(), name, im.Module(), abiModule, ABIVersion, wasiModule)
		}
	}
	return nil
}

// moduleKind tells an app (a WASI command with _start) from a service (a reactor with
// _initialize).
func moduleKind(mod *wasmtime.Module) (string, error) {
	has := map[string]bool{}
	for _, ex := range mod.Exports() {
		has[ex.Name()] = true
	}
	switch {
	case has["_start"]:
		return "app", nil
	case has["_initialize"]:
		return "service", nil
	}
	return "", errors.New("exports neither _start (a command) nor _initialize (a reactor); build it with GOOS=wasip1 or as a WASI command")
}

// oneLine condenses a wasmtime error ("what\n\nCaused by:\n    why\n\nStack backtrace: ...")
// into "what: why", so every message the kernel shows is one line.
func oneLine(s string) string {
	lines := strings.Split(s, "\n")
	out := []string{strings.TrimSpace(lines[0])}
	cause := false
	for _, l := range lines[1:] {
		t := strings.TrimSpace(l)
		switch {
		case t == "Caused by:":
			cause = true
		case strings.HasPrefix(t, "Stack backtrace:") || strings.HasPrefix(t, "wasm backtrace:"):
			cause = false
		case cause && t != "":
			if i := strings.Index(t, ": "); i > 0 && i < 4 && strings.Trim(t[:i], "0123456789") == "" {
				t = t[i+2:] // numbered causes: "0: ..."
			}
			out = append(out, t)
		}
	}
	return strings.Join(out, ": ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Imports reports whether the module imports module.name (a WASI command that does not import
// orbital.surface_create can never open a window: the shell gives it a console).
func (m *Module) Imports(module, name string) bool {
	for _, im := range m.mod.Imports() {
		if im.Module() == module && im.Name() != nil && *im.Name() == name {
			return true
		}
	}
	return false
}
