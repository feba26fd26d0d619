package kernel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/registry"
)

// TestCompileLimits: a module over the compile limits is refused before it compiles, in
// milliseconds, naming the count and the limit, and leaves nothing in the cache.
func TestCompileLimits(t *testing.T) {
	home := testenv.Home(t)
	k := newKernel(t, Config{AllowAll: true, Home: home, Compile: registry.WasmLimits{MaxFunctions: 1000}})
	if _, err := k.Load("ok", "ok.wasm", testenv.EmptyFuncs(1000)); err != nil {
		t.Fatalf("a module at the limit: %v", err)
	}
	start := time.Now()
	_, err := k.Load("many", "many.wasm", testenv.EmptyFuncs(999_000))
	var me *ModuleError
	if !errors.As(err, &me) || !errors.Is(err, registry.ErrWasmLimit) ||
		!strings.Contains(err.Error(), "many.wasm: module has 999000 functions, over the limit of 1000 (refused before compiling)") {
		t.Fatalf("999k functions: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("refusing took %v", d)
	}
	ents, _ := os.ReadDir(filepath.Join(home, "cache", "compiled"))
	if len(ents) != 2 { // the module at the limit: .cwasm and .sum
		t.Fatalf("cache holds %d files", len(ents))
	}
}

// TestCacheBounds: past its bounds the cache evicts the least recently used entries, in
// memory and on disk, and an evicted module compiles again.
func TestCacheBounds(t *testing.T) {
	home := testenv.Home(t)
	mods := make([][]byte, 4)
	for i := range mods {
		w, err := wasmtime.Wat2Wasm(fmt.Sprintf(`(module (func (export "_start")) (func (export "f%d")))`, i))
		if err != nil {
			t.Fatal(err)
		}
		mods[i] = w
	}
	probe := newKernel(t, Config{AllowAll: true})
	if _, err := probe.Load("m0", "m0.wasm", mods[0]); err != nil {
		t.Fatal(err)
	}
	k := newKernel(t, Config{AllowAll: true, Home: home, CacheMemory: 1, CacheDisk: 1})
	dir := filepath.Join(home, "cache", "compiled")
	for i, w := range mods {
		if _, err := k.Load(fmt.Sprint("m", i), "m.wasm", w); err != nil {
			t.Fatal(err)
		}
		if n := k.cache.lru.Len(); n != 1 {
			t.Fatalf("after %d loads the memory cache holds %d entries, want 1", i+1, n)
		}
		if cw, _ := filepath.Glob(filepath.Join(dir, "*.cwasm")); len(cw) != 1 {
			t.Fatalf("after %d loads the disk cache holds %v, want the last entry only", i+1, cw)
		}
	}
	if m, err := k.Load("m0", "m.wasm", mods[0]); err != nil || m.Cached {
		t.Fatalf("an evicted module: cached=%v err=%v, want compiled again", m != nil && m.Cached, err)
	}
	// With room for all, the disk keeps every entry and a hit refreshes its age.
	k2 := newKernel(t, Config{AllowAll: true, Home: testenv.Home(t)})
	for i, w := range mods {
		if _, err := k2.Load(fmt.Sprint("m", i), "m.wasm", w); err != nil {
			t.Fatal(err)
		}
	}
	if n := k2.cache.lru.Len(); n != len(mods) {
		t.Fatalf("default bounds: %d entries in memory, want %d", n, len(mods))
	}
}
