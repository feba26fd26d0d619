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

// resolve returns the file to load for target: a path as given, or a name looked up in the
// registry, then the module directories.
func (in *Instance) resolve(target string) (string, error) {
	if isPath(target) {
		return target, nil
	}
	p, ok, err := in.installedPath(target)
	if err != nil {
		return "", fmt.Errorf("%s: %w", target, err)
	}
	if ok {
		return p, nil
	}
	looked := []string{"the registry (" + in.reg.Dir() + ")"}
	for _, d := range moduleDirs(in.cfg.Home) {
		p := filepath.Join(d.dir, target+".wasm")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		looked = append(looked, d.label+" ("+d.dir+")")
	}
	return "", fmt.Errorf("%s: no such file, and no module of that name (looked in %s)", target, strings.Join(looked, ", "))
}

// installedPath finds NAME or NAME@RANGE among the installed modules, checking its digests.
func (in *Instance) installedPath(target string) (string, bool, error) {
	ref := registry.ParseRef(target)
	if ref.Kind != registry.RefName {
		return "", false, nil
	}
	rec, err := in.reg.Best(ref.Name, ref.Range)
	if errors.Is(err, registry.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	res, err := in.reg.Load(rec)
	if err != nil {
		return "", false, err
	}
	return res.Path, true, nil
}
