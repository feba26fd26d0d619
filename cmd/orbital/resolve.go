package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// moduleSource finds a module by name. The resolver tries its sources in order; the first
// that knows the name wins. The registry adds an orbital:// source with addModuleSource.
type moduleSource struct {
	Name string // for the "looked in" message
	// Resolve returns the .wasm path for target; ok=false means "not here, try the next".
	// An error stops the search (a source that knows the name but cannot provide it).
	Resolve func(target string) (path string, ok bool, err error)
}

// extraSources are tried before the directory sources (registered from init by other verbs'
// wiring, e.g. the registry's orbital:// names).
var extraSources []moduleSource

func addModuleSource(s moduleSource) { extraSources = append(extraSources, s) }

// homeSources build sources that need the Orbital home (the registry); tried first.
var homeSources []func(home string) moduleSource

func addHomeModuleSource(f func(home string) moduleSource) { homeSources = append(homeSources, f) }

// dirSource looks for <dir>/<name>.wasm.
func dirSource(label, dir string) moduleSource {
	return moduleSource{Name: label + " (" + dir + ")", Resolve: func(target string) (string, bool, error) {
		if dir == "" {
			return "", false, nil
		}
		p := filepath.Join(dir, target+".wasm")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, true, nil
		}
		return "", false, nil
	}}
}

// moduleSources is the lookup order of `orbital run NAME`: registered sources, then
// $ORBITAL_MODULES, then modules/ beside the orbital binary (the Makefile puts build/orbital
// next to build/modules/), then the home's modules/.
func moduleSources(home string) []moduleSource {
	var srcs []moduleSource
	for _, f := range homeSources {
		srcs = append(srcs, f(home))
	}
	srcs = append(srcs, extraSources...)
	srcs = append(srcs, dirSource("$ORBITAL_MODULES", os.Getenv("ORBITAL_MODULES")))
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		srcs = append(srcs, dirSource("beside the binary", filepath.Join(filepath.Dir(exe), "modules")))
	}
	srcs = append(srcs, dirSource("the home", filepath.Join(home, "modules")))
	return srcs
}

// isPath tells a file TARGET from a module name.
func isPath(target string) bool {
	return strings.ContainsRune(target, os.PathSeparator) || strings.HasSuffix(target, ".wasm")
}

// resolveTarget returns the file to load for target: a path as given, or a name looked up in
// srcs.
func resolveTarget(target string, srcs []moduleSource) (string, error) {
	if isPath(target) {
		return target, nil
	}
	var looked []string
	for _, s := range srcs {
		p, ok, err := s.Resolve(target)
		if err != nil {
			return "", fmt.Errorf("%s: %w", target, err)
		}
		if ok {
			return p, nil
		}
		looked = append(looked, s.Name)
	}
	return "", fmt.Errorf("%s: no such file, and no module of that name (looked in %s)", target, strings.Join(looked, ", "))
}
