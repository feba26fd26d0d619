package kernel

import (
	"bytes"
	"debug/elf"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

// leanTrapWAT traps in a named function, called from _start.
const leanTrapWAT = `(module
  (func $divide (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "_start") (drop (call $divide (i32.const 0)))))`

// The disk cache stores wasmtime's image without the address map and the symbols, and every
// other section byte for byte, at offsets that keep their alignment; wasmtime takes it.
func TestLeanArtifact(t *testing.T) {
	engine := wasmtime.NewEngineWithConfig(engineConfig())
	wasm, err := wasmtime.Wat2Wasm(leanTrapWAT)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		t.Fatal(err)
	}
	ser, err := mod.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	lean := leanArtifact(ser)
	if len(lean) >= len(ser) {
		t.Fatalf("lean artifact %d bytes, serialized %d", len(lean), len(ser))
	}
	full, err := elf.NewFile(bytes.NewReader(ser))
	if err != nil {
		t.Fatal(err)
	}
	got, err := elf.NewFile(bytes.NewReader(lean))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sections) != len(full.Sections) {
		t.Fatalf("%d sections, want %d", len(got.Sections), len(full.Sections))
	}
	for i, s := range full.Sections {
		g := got.Sections[i]
		if g.Name != s.Name || g.Type != s.Type {
			t.Fatalf("section %d is %s, want %s", i, g.Name, s.Name)
		}
		if g.Name == ".eh_frame" {
			t.Errorf("native unwind information is generated (%d bytes)", s.Size)
		}
		if s.Addralign > 1 && g.Offset%s.Addralign != 0 {
			t.Errorf("%s at %#x, not aligned to %d", g.Name, g.Offset, s.Addralign)
		}
		want, _ := s.Data()
		have, _ := g.Data()
		if leanDropped[s.Name] {
			if g.Size != 0 {
				t.Errorf("%s kept (%d bytes)", s.Name, g.Size)
			}
			continue
		}
		if !bytes.Equal(want, have) {
			t.Errorf("section %s changed", s.Name)
		}
	}
	if _, err := wasmtime.NewModuleDeserialize(engine, lean); err != nil {
		t.Fatalf("wasmtime refuses the lean artifact: %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("\x7fELF"), ser[:100], append([]byte("\x7fELF\x01"), ser[5:]...)} {
		if _, err := stripSections(bad, func(string) bool { return true }); err == nil {
			t.Errorf("stripSections took %d bytes that are no ELF64 image it knows", len(bad))
		}
		if got := leanArtifact(bad); !bytes.Equal(got, bad) {
			t.Error("leanArtifact changed bytes it cannot strip")
		}
	}
}

// A trap in code loaded from the disk cache (no address map) still names its cause and its
// function; compiled in this kernel it names the offset too.
func TestTrapFromDiskCache(t *testing.T) {
	home := testenv.Home(t)
	wasm, err := wasmtime.Wat2Wasm(leanTrapWAT)
	if err != nil {
		t.Fatal(err)
	}
	for _, cached := range []bool{false, true} {
		k := newKernel(t, Config{AllowAll: true, Home: home})
		m, err := k.Load("div", "div.wasm", wasm)
		if err != nil || m.Cached != cached {
			t.Fatalf("load: cached %v, want %v; %v", m != nil && m.Cached, cached, err)
		}
		in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second)
		want := "integer divide by zero in divide"
		if in.State != Crashed || !strings.Contains(in.Reason, want) || cached == strings.Contains(in.Reason, "(at 0x") {
			t.Fatalf("cached %v: reason %q, want %q", cached, in.Reason, want)
		}
		t.Logf("cached %v: %s", cached, in.Reason)
	}
	if _, err := os.Stat(home); err != nil {
		t.Fatal(err)
	}
}

// FuzzStripSections: any bytes are refused or stripped without a panic, and what is stripped
// is an ELF image again.
func FuzzStripSections(f *testing.F) {
	engine := wasmtime.NewEngineWithConfig(engineConfig())
	wasm, err := wasmtime.Wat2Wasm(leanTrapWAT)
	if err != nil {
		f.Fatal(err)
	}
	mod, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		f.Fatal(err)
	}
	ser, err := mod.Serialize()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ser)
	f.Add(ser[:len(ser)-10])
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := stripSections(b, func(n string) bool { return leanDropped[n] })
		if err != nil {
			return
		}
		if _, err := elf.NewFile(bytes.NewReader(out)); err != nil {
			if _, ferr := elf.NewFile(bytes.NewReader(b)); ferr == nil {
				t.Fatalf("stripped a valid ELF image into an invalid one: %v", err)
			}
		}
	})
}

// An entry of several MiB (code in its first chunk, 3 MiB of images after it) comes back
// whole through the chunked copy, and a flipped byte in any chunk of it is a miss.
func TestCacheEntryOfManyChunks(t *testing.T) {
	home := testenv.Home(t)
	src := `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 64)
  (data (i32.const 0) "` + strings.Repeat("a", 3<<20-1) + `Z")
  (func (export "_start")
    (call $exit (i32.add (i32.load8_u (i32.const 0)) (i32.load8_u (i32.const 0x2fffff))))))`
	wasm, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatal(err)
	}
	const want = 'a' + 'Z' // 187
	load := func(wantCached bool) {
		t.Helper()
		k := newKernel(t, Config{AllowAll: true, Home: home})
		m, err := k.Load("big", "big.wasm", wasm)
		if err != nil || m.Cached != wantCached {
			t.Fatalf("load: cached %v, want %v; %v", m != nil && m.Cached, wantCached, err)
		}
		if in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second); in.ExitCode != want {
			t.Fatalf("exit %d (%s), want %d", in.ExitCode, in.Reason, want)
		}
	}
	load(false)
	load(true)
	cwasm, sum := cacheFiles(t, home)
	raw, _ := os.ReadFile(sum)
	s, err := parseEntrySum(raw)
	if err != nil || len(s.CRC) < 4 {
		t.Fatalf("sum %+v (%v), want 4 chunks or more", s, err)
	}
	for _, at := range []int64{s.Code / 2, imagesAt(s.Code) + 5, s.size() - 1} {
		good, _ := os.ReadFile(cwasm)
		bad := append([]byte(nil), good...)
		bad[at] ^= 1
		if err := os.WriteFile(cwasm, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		load(false) // the flip is found, the entry compiled again
		load(true)
	}
}
