package system

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Home is the Orbital home: flagValue (--home), else $ORBITAL_HOME, else
// $XDG_DATA_HOME/orbital, else ~/.local/share/orbital. The result is absolute.
func Home(flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	if h := os.Getenv("ORBITAL_HOME"); h != "" {
		return filepath.Abs(h)
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "orbital"), nil
	}
	hd, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no Orbital home: set --home or $ORBITAL_HOME (%v)", err)
	}
	return filepath.Join(hd, ".local", "share", "orbital"), nil
}

// AdminURLFile holds the running instance's admin panel URL (mode 0600).
func AdminURLFile(home string) string { return filepath.Join(home, "run", "admin.url") }

// RunningPanelURL is the admin panel URL of home's running instance (AdminURLFile); ok is
// false when no instance serves one.
func RunningPanelURL(home string) (url string, ok bool) {
	b, err := os.ReadFile(AdminURLFile(home))
	return strings.TrimSpace(string(b)), err == nil
}

// moduleDir is a directory module names are looked up in (<dir>/NAME.wasm).
type moduleDir struct{ label, dir string }

// moduleDirs is where module names are looked up after the registry: $ORBITAL_MODULES,
// modules/ beside the orbital binary (the Makefile puts build/orbital next to
// build/modules/), then the home's modules/.
func moduleDirs(home string) []moduleDir {
	var dirs []moduleDir
	if d := os.Getenv("ORBITAL_MODULES"); d != "" {
		dirs = append(dirs, moduleDir{"$ORBITAL_MODULES", d})
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dirs = append(dirs, moduleDir{"beside the binary", filepath.Join(filepath.Dir(exe), "modules")})
	}
	return append(dirs, moduleDir{"the home", filepath.Join(home, "modules")})
}
