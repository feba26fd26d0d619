package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/registry"
)

// sharedCache is one compiled-module cache for every test's home (each home's cache/ links to
// it): a test compiles jobprobe once, not once per fresh home.
var sharedCache string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "orbital-system-cache-")
	if err != nil {
		panic(err)
	}
	sharedCache = d
	code := testenv.Main(m)
	os.RemoveAll(d)
	os.Exit(code)
}

// start makes and starts an instance of home (a fresh one when ""), closed when the test ends.
func start(t testing.TB, cfg Config) (*Instance, *testenv.SyncBuffer) {
	t.Helper()
	if cfg.Home == "" {
		cfg.Home = testenv.Home(t)
	}
	if _, err := os.Lstat(filepath.Join(cfg.Home, "cache")); err != nil {
		os.Symlink(sharedCache, filepath.Join(cfg.Home, "cache"))
	}
	out := &testenv.SyncBuffer{}
	cfg.Stdout, cfg.Stderr = out, out
	if cfg.Title == "" {
		cfg.Title = "test"
	}
	in, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Close)
	return in, out
}

// installAs installs the built module src under name with the manifest text extra (after
// name, version, kind and entry).
func installAs(t *testing.T, home, src, name, extra string) {
	t.Helper()
	wasm, err := os.ReadFile(testenv.Module(t, src))
	if err != nil {
		t.Fatal(err)
	}
	installWasm(t, home, wasm, name, "app", extra)
}

// installWasm installs wasm as the module name of kind with the manifest text extra.
func installWasm(t testing.TB, home string, wasm []byte, name, kind, extra string) {
	t.Helper()
	dir := t.TempDir()
	man := "name = \"" + name + "\"\nversion = \"1.0.0\"\nkind = \"" + kind + "\"\nentry = \"" + name + ".wasm\"\n" + extra
	os.WriteFile(filepath.Join(dir, "module.toml"), []byte(man), 0o644)
	os.WriteFile(filepath.Join(dir, name+".wasm"), wasm, 0o644)
	reg, err := registry.Open(home)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Install(context.Background(), dir, registry.InstallOptions{}); err != nil {
		t.Fatalf("install %s: %v", name, err)
	}
}

// logHas reports whether pid's log book holds a line containing s.
func logHas(in *Instance, pid bus.PID, s string) bool {
	lines, _ := in.logs.lines(pid, 0)
	for _, l := range lines {
		if strings.Contains(l.Text, s) {
			return true
		}
	}
	return false
}
