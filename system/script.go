package system

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/registry"
)

// Scripts. A target or bar text that names a .js file (a path, a file:// or http(s):// URL, or
// an installed package whose entry is a .js file) runs in the JavaScript engine module
// (modules/js, js.wasm in the module directories) bound to the script
// (kernel.Module.WithScript): the process is named, policed and identified as the script (its
// installed identity is found by the script's digest), never as the engine. The script's bytes
// reach the engine through script_read, not through a filesystem grant. Why:
// docs/design/javascript.md.

// engineFile is the JavaScript engine's file in the module directories. It is looked up there
// only, never in the registry: an installed package named js cannot stand in for it.
const engineFile = "js.wasm"

// jsEngine is the engine, loaded once per instance and kept: the next script starts without
// reading and hashing its 19 MB again.
type jsEngine struct {
	mu sync.Mutex
	m  *kernel.Module
}

// engine returns the JavaScript engine module, loading it (through the compile cache) on first
// use.
func (in *Instance) engine() (*kernel.Module, error) {
	in.js.mu.Lock()
	defer in.js.mu.Unlock()
	if in.js.m != nil {
		return in.js.m, nil
	}
	var looked []string
	for _, d := range moduleDirs(in.cfg.Home) {
		p := filepath.Join(d.dir, engineFile)
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			looked = append(looked, d.label+" ("+d.dir+")")
			continue
		}
		m, err := in.k.LoadFile(p)
		if err != nil {
			return nil, fmt.Errorf("the JavaScript engine: %w", err)
		}
		in.js.m = m
		return m, nil
	}
	return nil, fmt.Errorf("the JavaScript engine %s is not installed (looked in %s; make modules builds it)", engineFile, strings.Join(looked, ", "))
}

// loadScript binds src, the script found at path (a file, a URL, an installed entry), to the
// engine as the module name.
func (in *Instance) loadScript(name, path string, src []byte) (*kernel.Module, error) {
	if err := registry.CheckScript(path, src); err != nil {
		return nil, err
	}
	eng, err := in.engine()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	file := filepath.Base(filepath.FromSlash(path))
	if i := strings.IndexAny(file, "?#"); i > 0 { // a URL's query or fragment is not the file's name
		file = file[:i]
	}
	return eng.WithScript(name, path, &kernel.Script{File: file, Source: src}), nil
}

// loadPath loads the module at path: a script bound to the engine, or a WASM module.
func (in *Instance) loadPath(name, path string) (*kernel.Module, error) {
	if !registry.IsScript(path) {
		return in.k.LoadFile(path)
	}
	src, err := readScript(path)
	if err != nil {
		return nil, err
	}
	return in.loadScript(name, path, src)
}

// readScript reads the script file at path, at most one byte more than registry.MaxScript
// (CheckScript then refuses it as too large).
func readScript(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &kernel.ModuleError{File: path, Msg: "no such file", Err: err}
		}
		return nil, &kernel.ModuleError{File: path, Msg: "cannot read: " + err.Error(), Err: err}
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, registry.MaxScript+1))
	if err != nil {
		return nil, &kernel.ModuleError{File: path, Msg: "cannot read: " + err.Error(), Err: err}
	}
	return src, nil
}

// identityDigest is the digest a module's installed identity is found by: the script's for a
// script, the WASM's otherwise.
func identityDigest(m *kernel.Module) string {
	if m.Script != nil {
		return m.Script.Digest()
	}
	return m.Digest
}
