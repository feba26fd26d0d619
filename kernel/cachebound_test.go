package kernel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/registry"
)

// TestCompileLimits: a module over the compile limits is refused before it compiles, naming
// the count and the limit, and leaves nothing in the cache.
//
// The module over the limit lacks the end of its last function body, so the compiler would
// refuse it as corrupt: the limit's error shows the compiler never saw it. (The test timed
// the refusal instead, and the clock ran while the test built the 4 MB module: 0.5-2.6 s
// under the race detector on this VM, where the refusal takes 1-3 ms; it failed past 2 s.)
func TestCompileLimits(t *testing.T) {
	home := testenv.Home(t)
	k := newKernel(t, Config{AllowAll: true, Home: home, Compile: registry.WasmLimits{MaxFunctions: 1000}})
	if _, err := k.Load("ok", "ok.wasm", testenv.EmptyFuncs(1000)); err != nil {
		t.Fatalf("a module at the limit: %v", err)
	}
	noEnd := func(n int) []byte {
		w := testenv.EmptyFuncs(n)
		w[len(w)-1] = 0x00 // unreachable where the last body's end was
		return w
	}
	if _, err := k.Load("corrupt", "corrupt.wasm", noEnd(10)); err == nil || errors.Is(err, registry.ErrWasmLimit) ||
		!strings.Contains(err.Error(), "corrupt or truncated module") {
		t.Fatalf("a body without its end, within the limits: %v, want the compiler's refusal", err)
	}
	_, err := k.Load("many", "many.wasm", noEnd(999_000))
	var me *ModuleError
	if !errors.As(err, &me) || !errors.Is(err, registry.ErrWasmLimit) ||
		!strings.Contains(err.Error(), "many.wasm: module has 999000 functions, over the limit of 1000 (refused before compiling)") {
		t.Fatalf("999k functions: %v", err)
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
