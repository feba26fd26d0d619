package system

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/registry"
)

// TestReloadThenRestart: Instance.Reload moves the running process of a name to the version
// asked for, in place; a Restart afterwards starts that version, not the one first started.
func TestReloadThenRestart(t *testing.T) {
	home := testenv.Home(t)
	installVersion(t, home, 1, "1.0.0")
	installVersion(t, home, 2, "2.0.0")
	in, _ := start(t, Config{Home: home})
	if _, err := in.Reload(t.Context(), "reloadprobe", "", 0); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("reload with nothing running: %v", err)
	}
	m, err := in.Load("reloadprobe@1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	p, err := in.Spawn(m, kernel.SpawnOptions{}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Reload(t.Context(), "reloadprobe", "3.0.0", 0); err == nil || !strings.Contains(err.Error(), "no version satisfies the range: reloadprobe 3.0.0") {
		t.Fatalf("reload to a version not installed: %v", err)
	}
	res, err := in.Reload(t.Context(), "reloadprobe", "2.0.0", 50*time.Millisecond)
	if err != nil || len(res) != 1 || res[0].PID != p.PID() || res[0].Outcome() != "reloaded" {
		t.Fatalf("reload: %v %v", res, err)
	}
	after := p.Info()
	if after.Version != "2.0.0" || after.Digest == m.Digest {
		t.Fatalf("after the reload: version %q digest %s", after.Version, after.Digest)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	np, err := in.Restart(ctx, p.PID())
	if err != nil {
		t.Fatal(err)
	}
	if info := np.Info(); info.Version != "2.0.0" || info.Digest != after.Digest {
		t.Fatalf("restart after the reload started %s %s, want 2.0.0 %s", info.Version, info.Digest, after.Digest)
	}
}

// reloadWaiter is a module that waits in recv until it is asked to quit; n makes each build's bytes
// (and digest) its own.
const reloadWaiter = `(module
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "build %d")
  (func (export "_start")
    (loop $l (br_if $l (i32.ge_s (call $recv (i32.const 1024) (i32.const 4096) (i64.const -1)) (i32.const 0))))))`

// installVersion installs build n of reloadWaiter as reloadprobe at version.
func installVersion(t *testing.T, home string, n int, version string) {
	t.Helper()
	dir := t.TempDir()
	wasm, err := wasmtime.Wat2Wasm(fmt.Sprintf(reloadWaiter, n))
	if err != nil {
		t.Fatal(err)
	}
	man := "name = \"reloadprobe\"\nversion = \"" + version + "\"\nkind = \"app\"\nentry = \"reloadprobe.wasm\"\n"
	os.WriteFile(filepath.Join(dir, "module.toml"), []byte(man), 0o644)
	os.WriteFile(filepath.Join(dir, "reloadprobe.wasm"), wasm, 0o644)
	reg, err := registry.Open(home)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Install(context.Background(), dir, registry.InstallOptions{}); err != nil {
		t.Fatalf("install reloadprobe %s: %v", version, err)
	}
}
