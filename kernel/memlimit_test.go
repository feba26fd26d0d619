package kernel

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
)

// threadBudget locks the test to its thread and gives the thread a budget of limit bytes, for
// tests that build a store outside a process; both end with the test.
func threadBudget(t testing.TB, limit int64) {
	t.Helper()
	runtime.LockOSThread()
	b := newBudget(limit, budget{})
	prev := b.enter()
	t.Cleanup(func() {
		prev.enter()
		b.release()
		runtime.UnlockOSThread()
	})
}

// Memories are created for a process's budget only: on a thread without one, instantiation
// fails (fail closed) instead of creating an uncounted memory.
func TestMemoryOutsideAProcessRefused(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m := watModule(t, k, "plain", wat(`(func (export "_start"))`))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	store := wasmtime.NewStoreWithData(k.engine, nil)
	defer store.Close()
	store.SetWasi(wasmtime.NewWasiConfig())
	if _, err := k.linker.Instantiate(store, m.mod); err == nil || !strings.Contains(err.Error(), "outside a process") {
		t.Fatalf("instantiation without a budget: %v", err)
	}
}

// twoMemWAT grows two memories a page at a time, alternately, until neither grows, and exits
// with the pages gained.
const twoMemWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory $a (export "memory") 1)
  (memory $b 1)
  (func (export "_start") (local $n i32) (local $stuck i32)
    (loop $l
      (local.set $stuck (i32.const 0))
      (if (i32.eq (memory.grow $a (i32.const 1)) (i32.const -1))
        (then (local.set $stuck (i32.const 1)))
        (else (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (if (i32.eq (memory.grow $b (i32.const 1)) (i32.const -1))
        (then (local.set $stuck (i32.add (local.get $stuck) (i32.const 1))))
        (else (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (br_if $l (i32.lt_u (local.get $stuck) (i32.const 2))))
    (call $exit (local.get $n))))`

// One ceiling covers all of a process's memories (issue 18, defect 2): two memories together
// grow no further than one could.
func TestMemoriesShareOneCeiling(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	const ceiling = 8 << 20
	in := wait(t, spawn(t, k, watModule(t, k, "twomem", twoMemWAT), SpawnOptions{Limits: Limits{Memory: ceiling}}), 20*time.Second)
	total := int64(in.ExitCode+2) << 16 // the two first pages and the grown ones
	reserve := 2 * tableElements(ceiling, 2) * tableElementBytes
	t.Logf("two memories reached %s together under a ceiling of %s (tables' reserve %s)", sizeString(total), sizeString(ceiling), sizeString(reserve))
	if total > ceiling || total < ceiling-reserve-2<<16 {
		t.Fatalf("two memories grew to %d bytes together, want at most the ceiling of %d and close to it", total, ceiling)
	}
}

// A module declaring more memories or tables than a process may hold is refused when it is
// instantiated, naming the limit.
func TestMemoryAndTableCounts(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	for _, c := range []struct{ name, decl, want string }{
		{"mem40", strings.Repeat("(memory 1)", 40), "memory count"},
		{"table40", strings.Repeat("(table 1 funcref)", 40), "table count"},
		{"bigtable", "(table 2000000 funcref)", "table"},
	} {
		wasm := `(module ` + c.decl + ` (func (export "_start")))`
		_, err := k.Spawn(watModule(t, k, c.name, wasm), SpawnOptions{Limits: Limits{Memory: 32 << 20}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: spawn error %v, want one naming %q", c.name, err, c.want)
		}
	}
	if got := len(k.List()); got != 0 {
		t.Fatalf("%d refused processes left in the table", got)
	}
}

// growerWAT grows its memory a page at a time until it cannot, then waits to be stopped.
const growerWAT = `(module
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $g (br_if $g (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (loop $l
      (br_if $l (i32.ne (call $recv (i32.const 0) (i32.const 4096) (i64.const -1)) (i32.const -10))))))`

const waiterWAT = `(module
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $l
      (br_if $l (i32.ne (call $recv (i32.const 0) (i32.const 4096) (i64.const -1)) (i32.const -10))))))`

// A process tree has one budget (issue 18, defect 7): its members besides the root are
// counted against TreeProcs, and all their memories against TreeMemory.
func TestProcessTreeCount(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true, QuitGrace: 50 * time.Millisecond})
	waiter := watModule(t, k, "waiter", waiterWAT)
	root := spawn(t, k, waiter, SpawnOptions{Limits: Limits{TreeProcs: 3}})
	var kids []*Process
	for i := range 3 {
		parent := root.PID()
		if i == 2 {
			parent = kids[0].PID() // a grandchild is a member too
		}
		kids = append(kids, spawn(t, k, waiter, SpawnOptions{Parent: parent}))
	}
	if _, err := k.Spawn(waiter, SpawnOptions{Parent: kids[1].PID()}); !errors.Is(err, bus.ErrLimit) {
		t.Fatalf("a fourth member: %v, want ErrLimit", err)
	}
	if err := k.Kill(kids[2].PID(), true); err != nil {
		t.Fatal(err)
	}
	wait(t, kids[2], 10*time.Second)
	if _, err := k.Spawn(waiter, SpawnOptions{Parent: root.PID()}); err != nil {
		t.Fatalf("a member after one ended: %v", err)
	}
	if _, err := k.Spawn(waiter, SpawnOptions{}); err != nil {
		t.Fatalf("another tree is not held by this one's count: %v", err)
	}
}

func TestProcessTreeMemory(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true, QuitGrace: 50 * time.Millisecond})
	root := spawn(t, k, watModule(t, k, "waiter", waiterWAT), SpawnOptions{Limits: Limits{Memory: 4 << 20, TreeMemory: 6 << 20}})
	grower := watModule(t, k, "grower", growerWAT)
	var sum int64
	for range 2 {
		p := spawn(t, k, grower, SpawnOptions{Parent: root.PID(), Limits: Limits{Memory: 4 << 20}})
		waitState(t, p, Blocked, 20*time.Second)
		now, _ := p.MemoryInUse()
		sum += now
	}
	t.Logf("two children of 4 MiB each hold %s together in a tree of 6 MiB", sizeString(sum))
	if sum > 6<<20 || sum < 5<<20 {
		t.Fatalf("the children hold %d bytes, want close to and within the tree's 6 MiB", sum)
	}
	other := spawn(t, k, grower, SpawnOptions{Limits: Limits{Memory: 4 << 20}})
	waitState(t, other, Blocked, 20*time.Second)
	if now, _ := other.MemoryInUse(); now < 3<<20 {
		t.Fatalf("another tree's root got only %d bytes: trees share nothing", now)
	}
}
