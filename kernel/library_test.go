package kernel

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// libSet resolves libraries from WAT sources compiled for the test (a real resolver over an
// in-memory set, not a mock: the kernel compiles and links the bytes it returns).
type libSet map[string]string

func (s libSet) ResolveLibrary(importer, digest, lib string) (*Library, error) {
	src, ok := s[lib]
	if !ok {
		return nil, fmt.Errorf("%s is not installed", lib)
	}
	wasm, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		return nil, err
	}
	return &Library{Name: lib, Version: "1.0.0", Path: lib + ".wasm", WASM: wasm}, nil
}

// mathlib doubles each byte of a buffer and counts its calls in a global: a caller that sees
// 1 on its first call has an instance of its own.
const mathlib = `(module
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (global $next (mut i32) (i32.const 1024))
  (func (export "_initialize"))
  (func (export "orbital_alloc") (param $n i32) (result i32) (local $p i32)
    global.get $next
    local.set $p
    global.get $next
    local.get $n
    i32.add
    global.set $next
    local.get $p)
  (func (export "orbital_free") (param i32) (global.set $next (i32.const 1024)))
  (func (export "double") (param $p i32) (param $n i32) (result i32) (local $i i32)
    (block $done
      (loop $l
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $p
        local.get $i
        i32.add
        local.get $p
        local.get $i
        i32.add
        i32.load8_u
        i32.const 2
        i32.mul
        i32.store8
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $l))
    global.get $count
    i32.const 1
    i32.add
    global.set $count
    global.get $count)
  (func (export "answer") (result i32) i32.const 42))`

// libApp calls mathlib.double twice on [1 2 3 4] at 100 and exits 0 when the bytes are
// [4 8 12 16], the call counts 1 and 2, and answer() 42; otherwise with a code naming the check.
const libApp = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "mathlib" "double" (func $double (param i32 i32) (result i32)))
  (import "mathlib" "answer" (func $answer (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "\01\02\03\04")
  (func (export "_start")
    (if (i32.ne (call $double (i32.const 100) (i32.const 4)) (i32.const 1)) (then (call $exit (i32.const 11))))
    (if (i32.ne (call $double (i32.const 100) (i32.const 4)) (i32.const 2)) (then (call $exit (i32.const 12))))
    (if (i32.ne (i32.load (i32.const 100)) (i32.const 0x100c0804)) (then (call $exit (i32.const 13))))
    (if (i32.ne (call $answer) (i32.const 42)) (then (call $exit (i32.const 14))))
    (call $exit (i32.const 0))))`

func TestLibraryLinking(t *testing.T) {
	k := newKernel(t, Config{Libraries: libSet{"mathlib": mathlib}})
	m := watModule(t, k, "app", libApp)
	// Two processes: each has its own library instance (both see call count 1 first).
	p1 := spawn(t, k, m, SpawnOptions{})
	p2 := spawn(t, k, m, SpawnOptions{})
	for _, p := range []*Process{p1, p2} {
		if in := wait(t, p, 10*time.Second); in.State != Exited || in.ExitCode != 0 {
			t.Fatalf("%d: state %v exit %d (%s)", p.PID(), in.State, in.ExitCode, in.Reason)
		}
	}
}

func TestLibraryBufferOutOfBounds(t *testing.T) {
	k := newKernel(t, Config{Libraries: libSet{"mathlib": mathlib}})
	m := watModule(t, k, "oob", `(module
  (import "mathlib" "double" (func $double (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $double (i32.const 65530) (i32.const 100)))))`)
	in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second)
	if in.State != Crashed || !strings.Contains(in.Reason, "outside the caller's memory") {
		t.Fatalf("state %v reason %q", in.State, in.Reason)
	}
}

func TestLibraryLinkErrors(t *testing.T) {
	k := newKernel(t, Config{Libraries: libSet{"mathlib": mathlib}})
	cases := []struct{ name, wat, want string }{
		{"missing function", `(module (import "mathlib" "triple" (func (param i32 i32) (result i32))) (func (export "_start")))`,
			"imports mathlib.triple, but library mathlib 1.0.0 does not export triple (it exports _initialize, answer, double, orbital_alloc, orbital_free)"},
		{"wrong signature", `(module (import "mathlib" "double" (func (param i32) (result i32))) (func (export "_start")))`,
			"imports mathlib.double as (i32) -> (i32), but library mathlib 1.0.0 exports it as (i32, i32) -> (i32)"},
		{"missing library", `(module (import "nolib" "f" (func)) (func (export "_start")))`,
			`imports nolib.f from module "nolib"`},
		{"not a function", `(module (import "mathlib" "g" (global i32)) (func (export "_start")))`,
			"only functions can be imported from a library"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wasm, err := wasmtime.Wat2Wasm(c.wat)
			if err != nil {
				t.Fatal(err)
			}
			_, err = k.Load(c.name, c.name+".wasm", wasm)
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrLibrary) {
				t.Fatalf("err = %v\nwant %q", err, c.want)
			}
		})
	}
}

// BenchmarkLibraryCall runs 1,000 calls that double a 4 KiB buffer: base=in-module calls a
// function of the app itself; library calls mathlib.double through the kernel's shim (alloc,
// two copies, free) in the app's own library instance. Each op is one process run (spawn
// included in both), so the difference is the cost of 1,000 library calls; ns/call reports it.
func BenchmarkLibraryCall(b *testing.B) {
	const calls, size = 1000, 4096
	double := mathlib[strings.Index(mathlib, `(func (export "double")`):strings.Index(mathlib, `(func (export "answer")`)]
	double = strings.Replace(double, `(export "double")`, `$double`, 1)
	double = strings.Replace(double, `global.get $count
    i32.const 1
    i32.add
    global.set $count
    global.get $count`, `i32.const 1`, 1)
	loop := fmt.Sprintf(`(func (export "_start") (local $i i32)
    (loop $l
      (drop (call $double (i32.const 1024) (i32.const %d)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const %d)))))`, size, calls)
	apps := map[string]string{
		"base=in-module": `(module (memory (export "memory") 1) ` + double + loop + `)`,
		"library": `(module (import "mathlib" "double" (func $double (param i32 i32) (result i32)))
  (memory (export "memory") 1) ` + loop + `)`,
	}
	for _, name := range []string{"base=in-module", "library"} {
		b.Run(name, func(b *testing.B) {
			k := newKernel(b, Config{Libraries: libSet{"mathlib": mathlib}})
			wasm, err := wasmtime.Wat2Wasm(apps[name])
			if err != nil {
				b.Fatal(err)
			}
			m, err := k.Load(name, name+".wasm", wasm)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				p, err := k.Spawn(m, SpawnOptions{})
				if err != nil {
					b.Fatal(err)
				}
				<-p.Done()
				if in := p.Info(); in.State != Exited {
					b.Fatalf("%v: %s", in.State, in.Reason)
				}
				k.Forget(p.PID())
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*calls), "ns/call")
		})
	}
}
