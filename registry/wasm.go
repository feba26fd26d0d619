package registry

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// WasmImport is one function import of a module.
type WasmImport struct{ Module, Name string }

// WasmInfo is what the registry reads from a module's binary: its function imports and exports.
type WasmInfo struct {
	Imports []WasmImport
	Exports []string // function exports, sorted
}

// ErrNotWasm is returned for bytes that are not a WASM binary.
var ErrNotWasm = errors.New("registry: not a WASM module")

// ReadWasmInfo walks the sections of a WASM binary and returns its function imports and
// exports. It is a small reader of the two sections the registry needs (the kernel compiles
// the module with wasmtime, which checks everything else).
func ReadWasmInfo(b []byte) (*WasmInfo, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], wasmMagic) || b[4] != 1 {
		return nil, fmt.Errorf("%w (no \\0asm version 1 header)", ErrNotWasm)
	}
	r := &wreader{b: b, off: 8}
	info := &WasmInfo{}
	for r.off < len(b) {
		id := r.byte()
		size := int(r.u32())
		if r.err != nil || size > len(b)-r.off {
			return nil, fmt.Errorf("%w: section at byte %d runs past the end", ErrNotWasm, r.off)
		}
		sec := &wreader{b: b[r.off : r.off+size]}
		switch id {
		case 2: // imports
			n := sec.u32()
			for i := uint32(0); i < n && sec.err == nil; i++ {
				mod, name := sec.name(), sec.name()
				kind := sec.byte()
				switch kind {
				case 0: // func: type index
					sec.u32()
					info.Imports = append(info.Imports, WasmImport{mod, name})
				case 1: // table: reftype + limits
					sec.byte()
					sec.limits()
				case 2: // memory
					sec.limits()
				case 3: // global: valtype + mut
					sec.byte()
					sec.byte()
				case 4: // tag
					sec.byte()
					sec.u32()
				default:
					sec.err = fmt.Errorf("import kind %d", kind)
				}
			}
		case 7: // exports
			n := sec.u32()
			for i := uint32(0); i < n && sec.err == nil; i++ {
				name := sec.name()
				kind := sec.byte()
				sec.u32()
				if kind == 0 {
					info.Exports = append(info.Exports, name)
				}
			}
		}
		if sec.err != nil {
			return nil, fmt.Errorf("%w: section %d: %v", ErrNotWasm, id, sec.err)
		}
		r.off += size
	}
	sort.Strings(info.Exports)
	return info, nil
}

// HasImport reports whether the module imports the function module.name (the shell offers
// only modules that import orbital.surface_create on its empty desktop).
func (w *WasmInfo) HasImport(module, name string) bool {
	for _, im := range w.Imports {
		if im.Module == module && im.Name == name {
			return true
		}
	}
	return false
}

// Libraries returns the import module names that are not the host's (orbital, WASI, env):
// the libraries this module links against.
func (w *WasmInfo) Libraries() []string {
	seen := map[string]bool{}
	var out []string
	for _, im := range w.Imports {
		if HostModule(im.Module) || seen[im.Module] {
			continue
		}
		seen[im.Module] = true
		out = append(out, im.Module)
	}
	sort.Strings(out)
	return out
}

// HostModule reports whether an import module name is provided by the kernel itself.
func HostModule(m string) bool {
	return m == "orbital" || m == "env" || m == "gojs" || strings.HasPrefix(m, "wasi_")
}

type wreader struct {
	b   []byte
	off int
	err error
}

func (r *wreader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.err = errors.New("unexpected end")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *wreader) u32() uint32 {
	var v uint32
	for shift := uint(0); shift < 35; shift += 7 {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.err = errors.New("LEB128 number too long")
	return 0
}

func (r *wreader) name() string {
	n := int(r.u32())
	if r.err != nil {
		return ""
	}
	if n > len(r.b)-r.off {
		r.err = errors.New("name runs past the end")
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s
}

func (r *wreader) limits() {
	flags := r.byte()
	r.u32()
	if flags&1 != 0 {
		r.u32()
	}
}

var nonName = regexp.MustCompile(`[^a-z0-9_-]+`)

// DefaultManifest derives a manifest for a bare .wasm file: the name from the file name,
// version 0.0.0, kind library when it exports functions but has no _start (a reactor that is
// not a service), app otherwise. Imports from other modules become dependencies on any version.
func DefaultManifest(fileName string, wasm []byte) (*Manifest, error) {
	info, err := ReadWasmInfo(wasm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fileName, err)
	}
	name := derivedName(fileName)
	m := &Manifest{Name: name, Version: "0.0.0", Kind: KindApp, Entry: name + ".wasm",
		EntryDigest: Digest(wasm)}
	var exports []string
	hasStart := false
	for _, e := range info.Exports {
		switch {
		case e == "_start":
			hasStart = true
		case e == "_initialize" || strings.HasPrefix(e, "orbital_") || strings.HasPrefix(e, "__") ||
			e == "memory" || e == "malloc" || e == "free":
		default:
			exports = append(exports, e)
		}
	}
	if !hasStart && len(exports) > 0 {
		m.Kind = KindLibrary
		m.Exports = exports
	}
	for _, lib := range info.Libraries() {
		if m.Dependencies == nil {
			m.Dependencies = map[string]string{}
		}
		m.Dependencies[lib] = "*"
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: derived manifest: %w", fileName, err)
	}
	return m, nil
}

// derivedName is the module name of a bare file: its base name without extension, lower case,
// other characters as '-', prefixed "m-" when it does not start with a letter, at most 64.
func derivedName(fileName string) string {
	base := strings.TrimSuffix(filepath.Base(fileName), filepath.Ext(fileName))
	name := strings.Trim(nonName.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		name = "m-" + name
	}
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}
