package kernel

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

func cacheFiles(t *testing.T, home string) (cwasm, sum string) {
	t.Helper()
	ms, _ := filepath.Glob(filepath.Join(home, "cache", "compiled", "*.cwasm"))
	if len(ms) != 1 {
		t.Fatalf("cache holds %v, want one .cwasm", ms)
	}
	return ms[0], strings.TrimSuffix(ms[0], ".cwasm") + ".sum"
}

func TestCompileCache(t *testing.T) {
	home := testenv.Home(t)
	wasm, err := wasmtime.Wat2Wasm(wat(`(func (export "_start") (call $exit (i32.const 3)))`))
	if err != nil {
		t.Fatal(err)
	}
	load := func(t *testing.T, wantCached bool) {
		t.Helper()
		k := newKernel(t, Config{AllowAll: true, Home: home})
		m, err := k.Load("m", "m.wasm", wasm)
		if err != nil {
			t.Fatal(err)
		}
		if m.Cached != wantCached {
			t.Fatalf("Cached = %v, want %v", m.Cached, wantCached)
		}
		if in := wait(t, spawn(t, k, m, SpawnOptions{}), 5*time.Second); in.ExitCode != 3 {
			t.Fatalf("module from cache ran wrong: %+v", in)
		}
		// A second load in the same kernel never compiles.
		if m2, _ := k.Load("m", "m.wasm", wasm); !m2.Cached {
			t.Fatal("second load in one kernel compiled again")
		}
	}
	t.Run("miss", func(t *testing.T) { load(t, false) })
	t.Run("hit", func(t *testing.T) { load(t, true) })

	cwasm, sum := cacheFiles(t, home)
	good, _ := os.ReadFile(cwasm)
	corruptions := []struct {
		name string
		do   func()
	}{
		{"bit-flip", func() {
			b := append([]byte(nil), good...)
			b[len(b)/2] ^= 0xff
			os.WriteFile(cwasm, b, 0o644)
		}},
		{"truncated", func() { os.WriteFile(cwasm, good[:len(good)/3], 0o644) }},
		{"sum-missing", func() { os.Remove(sum) }},
		{"garbage-with-matching-sum", func() {
			g := []byte(strings.Repeat("not a compiled module ", 100))
			os.WriteFile(cwasm, g, 0o644)
			if err := resum(cwasm, sum); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			c.do()
			load(t, false) // detected, recompiled and rewritten
			load(t, true)  // the rewritten entry is good
		})
	}
	entries, _ := os.ReadDir(filepath.Join(home, "cache", "compiled"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Fatalf("temp file left behind: %s", e.Name())
		}
	}
}

func TestCacheKeyDependsOnEngine(t *testing.T) {
	if cacheKeyFor(fingerprintOf([]byte("abc")), engineSettings) == cacheKeyFor(fingerprintOf([]byte("abd")), engineSettings) {
		t.Fatal("different modules share a key")
	}
	if !strings.Contains(cacheKeyInput(), wasmtimeVersion) || !strings.Contains(cacheKeyInput(), engineSettings) {
		t.Fatalf("key input %q misses the version or settings", cacheKeyInput())
	}
	// The key's settings and the engines' configuration are made from the same rows: every
	// row is named in the key, and the two engines' keys differ.
	for _, fuel := range []bool{false, true} {
		for _, o := range engineOptions(fuel) {
			if !strings.Contains(engineSettingsFor(fuel), o.name) {
				t.Errorf("engine option %q is not in the cache key's settings", o.name)
			}
		}
	}
	if engineSettings == fuelEngineSettings {
		t.Fatal("the main and fuel engines share settings")
	}
}

func TestBadModules(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true, Home: testenv.Home(t)})
	good, _ := wasmtime.Wat2Wasm(wat(`(func (export "_start"))`))
	unknown, _ := wasmtime.Wat2Wasm(`(module (import "orbital" "frobnicate" (func)) (func (export "_start")))`)
	foreign, _ := wasmtime.Wat2Wasm(`(module (import "env" "f" (func)) (func (export "_start")))`)
	noEntry, _ := wasmtime.Wat2Wasm(`(module (func (export "main")))`)
	badType, _ := wasmtime.Wat2Wasm(`(module (import "orbital" "pid" (func (param i32))) (func (export "_start")))`)
	tests := []struct {
		name string
		wasm []byte
		want string
	}{
		{"empty", nil, "not a WebAssembly module"},
		{"text", []byte("#!/bin/sh\necho hi\n"), "not a WebAssembly module"},
		{"truncated", good[:len(good)-5], "corrupt or truncated module: failed to parse WebAssembly module: unexpected end"},
		{"component", append([]byte{0, 'a', 's', 'm', 0x0d, 0, 1, 0}, good[8:]...), "component"},
		{"unknown-import", unknown, "imports orbital.frobnicate, which this kernel does not provide (ABI v1)"},
		{"foreign-module", foreign, `imports env.f from module "env"`},
		{"no-entry", noEntry, "exports neither _start"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := k.Load(tc.name, tc.name+".wasm", tc.wasm)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), tc.name+".wasm: ") {
				t.Fatalf("err = %v, want %q naming the file", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("message is not one line: %q", err)
			}
		})
	}
	m, err := k.Load("badtype", "badtype.wasm", badType)
	if err == nil {
		_, err = k.Spawn(m, SpawnOptions{})
	}
	if err == nil || !strings.HasPrefix(err.Error(), "badtype.wasm: ") {
		t.Fatalf("import with the wrong type: err = %v", err)
	}
	if _, err := k.LoadFile(filepath.Join(t.TempDir(), "nope.wasm")); err == nil || !strings.Contains(err.Error(), "nope.wasm: no such file") {
		t.Fatalf("missing file: %v", err)
	}
	if len(k.List()) != 0 {
		t.Fatalf("failed spawns left rows: %+v", k.List())
	}
}

// TestCacheEntryChangedUnderneath: a module loaded from the disk cache runs from a sealed
// private copy, so truncating or rewriting the entry in place afterwards changes nothing (a
// mapping of the file itself would SIGBUS the kernel when the code pages are touched).
func TestCacheEntryChangedUnderneath(t *testing.T) {
	home := testenv.Home(t)
	wasm, err := wasmtime.Wat2Wasm(wat(`(func (export "_start") (call $exit (i32.const 3)))`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newKernel(t, Config{Home: home}).Load("m", "m.wasm", wasm); err != nil {
		t.Fatal(err)
	}
	k := newKernel(t, Config{Home: home})
	m, err := k.Load("m", "m.wasm", wasm)
	if err != nil || !m.Cached {
		t.Fatalf("load from the disk cache: cached %v, %v", m != nil && m.Cached, err)
	}
	if maps, _ := os.ReadFile("/proc/self/maps"); !strings.Contains(string(maps), "memfd:orbital-cwasm") {
		t.Error("the entry is not mapped from a private memfd copy")
	}
	cwasm, _ := cacheFiles(t, home)
	if err := os.Truncate(cwasm, 0); err != nil {
		t.Fatal(err)
	}
	if in := wait(t, spawn(t, k, m, SpawnOptions{}), 5*time.Second); in.ExitCode != 3 {
		t.Fatalf("after the entry was truncated: %+v", in)
	}
	if err := os.WriteFile(cwasm, []byte(strings.Repeat("x", 4096)), 0o644); err != nil {
		t.Fatal(err)
	}
	if in := wait(t, spawn(t, k, m, SpawnOptions{}), 5*time.Second); in.ExitCode != 3 {
		t.Fatalf("after the entry was rewritten: %+v", in)
	}
}

// An entry is used only for the module it was compiled from: keys come from fingerprints, and
// an entry found under a module's key whose sum names another module's sha256 (two modules of
// one fingerprint; forged here by copying one module's entry under the other's key) is a miss,
// compiled and replaced.
func TestCacheEntryOfAnotherModule(t *testing.T) {
	home := testenv.FreshHome(t)
	a, _ := wasmtime.Wat2Wasm(wat(`(func (export "_start") (call $exit (i32.const 3)))`))
	b, _ := wasmtime.Wat2Wasm(wat(`(func (export "_start") (call $exit (i32.const 4)))`))
	if _, err := newKernel(t, Config{Home: home}).Load("a", "a.wasm", a); err != nil {
		t.Fatal(err)
	}
	aEntry, aSum := cacheFiles(t, home)
	dir := filepath.Dir(aEntry)
	bKey := cacheKeyFor(fingerprintOf(b), engineSettings)
	for from, to := range map[string]string{aEntry: bKey + ".cwasm", aSum: bKey + ".sum"} {
		data, err := os.ReadFile(from)
		if err != nil || os.WriteFile(filepath.Join(dir, to), data, 0o600) != nil {
			t.Fatal(err)
		}
	}
	for i, wantCached := range []bool{false, true} {
		k := newKernel(t, Config{AllowAll: true, Home: home})
		m, err := k.Load("b", "b.wasm", b)
		if err != nil || m.Cached != wantCached {
			t.Fatalf("load %d of b: cached %v (want %v), %v", i, m != nil && m.Cached, wantCached, err)
		}
		if in := wait(t, spawn(t, k, m, SpawnOptions{}), 5*time.Second); in.ExitCode != 4 {
			t.Fatalf("load %d of b ran a's code: %+v", i, in)
		}
	}
}

// LoadDigest takes the caller's digest (the registry verified it) and refuses anything that
// is not one; a module loaded either way shares the cache entry.
func TestLoadDigest(t *testing.T) {
	home := testenv.FreshHome(t)
	wasm, _ := wasmtime.Wat2Wasm(wat(`(func (export "_start") (call $exit (i32.const 3)))`))
	sum := sha256.Sum256(wasm)
	digest := hex.EncodeToString(sum[:])
	if _, err := newKernel(t, Config{Home: home}).Load("m", "m.wasm", wasm); err != nil {
		t.Fatal(err)
	}
	k := newKernel(t, Config{AllowAll: true, Home: home})
	m, err := k.LoadDigest("m", "m.wasm", wasm, digest)
	if err != nil || !m.Cached || m.Digest != digest {
		t.Fatalf("LoadDigest: cached %v, digest %q, %v", m != nil && m.Cached, m.Digest, err)
	}
	if in := wait(t, spawn(t, k, m, SpawnOptions{}), 5*time.Second); in.ExitCode != 3 {
		t.Fatalf("ran wrong: %+v", in)
	}
	for _, bad := range []string{"", "sha256:" + digest, digest[:63], strings.ToUpper(digest)} {
		if _, err := k.LoadDigest("m", "m.wasm", wasm, bad); err == nil || !strings.Contains(err.Error(), "not a hex sha256 digest") {
			t.Errorf("LoadDigest with %q: %v", bad, err)
		}
	}
}
