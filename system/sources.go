package system

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/orbital/orbital/registry"
)

// How a module name becomes a file: the lookup order of `orbital run NAME`, proc_spawn and the
// bar's plain names. A name (or NAME@RANGE) installed in the registry wins; then <dir>/NAME.wasm
// in the module directories (moduleDirs). A path is taken as it is.

// isPath tells a file TARGET from a module name.
func isPath(target string) bool {
	return strings.ContainsRune(target, os.PathSeparator) || strings.HasSuffix(target, ".wasm") || registry.IsScript(target)
}

// resolve returns what to load for target: a path as given, or a name looked up in the
// registry (its bytes, already read and verified), then the module directories. Name is left
// to the caller.
func (in *Instance) resolve(target string) (opened, error) {
	if isPath(target) {
		return opened{Path: target}, nil
	}
	res, err := in.installed(target)
	if err != nil {
		return opened{}, fmt.Errorf("%s: %w", target, err)
	}
	if res != nil {
		return opened{Path: res.Path, Wasm: res.WASM, Digest: res.Digest, Script: res.Record.Script}, nil
	}
	looked := []string{"the registry (" + in.reg.Dir() + ")"}
	for _, d := range moduleDirs(in.cfg.Home) {
		p := filepath.Join(d.dir, target+".wasm")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return opened{Path: p}, nil
		}
		looked = append(looked, d.label+" ("+d.dir+")")
	}
	return opened{}, fmt.Errorf("%s: no such file, and no module of that name (looked in %s)", target, strings.Join(looked, ", "))
}

// installed finds NAME or NAME@RANGE among the installed modules and reads it, checking its
// digests; nil when it is not installed.
func (in *Instance) installed(target string) (*registry.Resolved, error) {
	ref := registry.ParseRef(target)
	if ref.Kind != registry.RefName {
		return nil, nil
	}
	rec, err := in.reg.Best(ref.Name, ref.Range)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return in.reg.Load(rec)
}
