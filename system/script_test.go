package system

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScriptNames(t *testing.T) {
	for in, want := range map[string]string{
		"/x/clock.wasm": "clock", "/x/app.js": "app", "APP.JS": "APP", "/x/notes.txt": "notes.txt",
		"/x/.js": "fallback", "/": "fallback",
	} {
		if got := moduleNameFrom(in, "fallback"); got != want {
			t.Errorf("moduleNameFrom(%q) = %q, want %q", in, got, want)
		}
	}
	for target, want := range map[string]bool{"app.js": true, "clock": false, "clock.wasm": true, "a/b": true} {
		if isPath(target) != want {
			t.Errorf("isPath(%q) = %v", target, !want)
		}
	}
}

// TestScriptWithoutEngine: with no js.wasm in the module directories, a script is refused
// with a message saying where the engine was looked for, and a guest cannot start one by
// name (proc_spawn takes names, never paths).
func TestScriptWithoutEngine(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("ORBITAL_MODULES", empty)
	in, _ := start(t, Config{})
	app := filepath.Join(t.TempDir(), "app.js")
	os.WriteFile(app, []byte("console.log(1)"), 0o644)
	_, err := in.Load(app)
	if err == nil || !strings.Contains(err.Error(), "the JavaScript engine js.wasm is not installed") || !strings.Contains(err.Error(), empty) {
		t.Fatalf("load without the engine: %v", err)
	}
	if _, _, err := (launcher{in}).Launch(1, "app.js"); err == nil || !strings.Contains(err.Error(), "is a path") {
		t.Fatalf("proc_spawn of a script path: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.js")
	os.WriteFile(bad, []byte("caf\xe9"), 0o644)
	if _, err := in.Load(bad); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("load of a script that is not UTF-8: %v", err)
	}
}
