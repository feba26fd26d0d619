package registry

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
)

// buildWasm assembles a small valid WASM binary: function imports, then one empty function
// per export (and _start when start is set).
func buildWasm(imports []WasmImport, exports []string, start bool) []byte {
	leb := func(v int) []byte {
		var out []byte
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v != 0 {
				out = append(out, c|0x80)
				continue
			}
			return append(out, c)
		}
	}
	str := func(s string) []byte { return append(leb(len(s)), s...) }
	section := func(id byte, body []byte) []byte {
		return append(append([]byte{id}, leb(len(body))...), body...)
	}
	if start {
		exports = append([]string{"_start"}, exports...)
	}
	var out bytes.Buffer
	out.Write([]byte{0, 'a', 's', 'm', 1, 0, 0, 0})
	out.Write(section(1, []byte{1, 0x60, 0, 0})) // one type: () -> ()
	if len(imports) > 0 {
		body := leb(len(imports))
		for _, im := range imports {
			body = append(body, str(im.Module)...)
			body = append(body, str(im.Name)...)
			body = append(body, 0, 0)
		}
		out.Write(section(2, body))
	}
	n := len(exports)
	if n > 0 {
		fn := leb(n)
		for range n {
			fn = append(fn, 0)
		}
		out.Write(section(3, fn))
		ex := leb(n)
		for i, e := range exports {
			ex = append(ex, str(e)...)
			ex = append(ex, 0)
			ex = append(ex, leb(len(imports)+i)...)
		}
		out.Write(section(7, ex))
		code := leb(n)
		for range n {
			code = append(code, 2, 0, 0x0b)
		}
		out.Write(section(10, code))
	}
	return out.Bytes()
}

func newReg(t *testing.T) *Registry {
	t.Helper()
	r, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// makePkg builds a package for name@version with the given manifest tweaks.
func makePkg(t *testing.T, name, version string, kind Kind, deps map[string]string, tweak func(*Manifest)) *Package {
	t.Helper()
	var imports []WasmImport
	for d := range deps {
		imports = append(imports, WasmImport{d, "f"})
	}
	wasm := buildWasm(imports, []string{"f"}, kind == KindApp)
	m := &Manifest{Name: name, Version: version, Kind: kind, Entry: name + ".wasm",
		EntryDigest: Digest(wasm), Dependencies: deps, Description: "test module " + name}
	if tweak != nil {
		tweak(m)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return &Package{Manifest: m, Entry: wasm, Files: map[string][]byte{}}
}

func writePkg(t *testing.T, pkg *Package) string {
	t.Helper()
	b, err := pkg.Archive()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), pkg.Manifest.Name+"-"+pkg.Manifest.Version+".tar.gz")
	writeFile(t, p, b)
	return p
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := writeFileAtomic(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func install(t *testing.T, r *Registry, src string, opt InstallOptions) []Installed {
	t.Helper()
	res, err := r.Install(context.Background(), src, opt)
	if err != nil {
		t.Fatalf("install %s: %v", src, err)
	}
	return res
}

func testKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	k, err := GenerateKey(filepath.Join(t.TempDir(), "k.key"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
