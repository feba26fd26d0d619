package kernel

import (
	"errors"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// TestFastPathLayout checks fastpath_cgo.go's assumptions about wasmtime-go against its public
// API: the Instance, Memory and Func it builds from C structs, and the errors and traps it
// wraps, behave as the ones wasmtime-go makes.
func TestFastPathLayout(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m := watModule(t, k, "layout", wat(`(func (export "_start") (call $exit (i32.const 3)))
  (func (export "trap") unreachable)
  (func (export "orbital_abi_version") (result i32) (i32.const 1))`))
	p := &Process{k: k, module: m, eng: k.plain, code: m.plain}
	threadBudget(t, 64<<20) // memories are created for a process's budget only (memlimit_cgo.go)
	store := wasmtime.NewStoreWithData(k.engine, p)
	defer store.Close()
	p.store = store
	store.SetWasi(wasmtime.NewWasiConfig())
	store.SetEpochDeadline(1 << 40)
	pre, err := m.plain.pre.get(k.linker, m.mod)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := instantiatePre(store, pre, "_start")
	if err != nil || ex.memory == nil || ex.entry == nil || ex.abi == nil {
		t.Fatalf("instantiatePre: %+v %v", ex, err)
	}
	if got, want := ex.memory.DataSize(store), ex.inst.GetExport(store, "memory").Memory().DataSize(store); got != want || got != 65536 {
		t.Errorf("memory size %d, through wasmtime-go %d, want 65536", got, want)
	}
	if v, err := ex.abi.Call(store); err != nil || v.(int32) != 1 {
		t.Errorf("orbital_abi_version through the built Func: %v %v", v, err)
	}
	// proc_exit is the kernel's (wasi_exit.go): it records the status and ends the guest
	// with a host trap, which comes back as an error.
	var werr *wasmtime.Error
	if err := call0(store, ex.entry); !errors.As(err, &werr) {
		t.Errorf("proc_exit(3): %T %v, want *wasmtime.Error", err, err)
	} else if st, ok := p.exitCall(); !ok || st != 3 {
		t.Errorf("exit status %d %v, want 3", st, ok)
	}
	var trap *wasmtime.Trap
	if err := call0(store, ex.inst.GetFunc(store, "trap")); !errors.As(err, &trap) {
		t.Errorf("unreachable: %T %v, want *wasmtime.Trap", err, err)
	} else if c := trap.Code(); c == nil || *c != wasmtime.UnreachableCodeReached || !strings.Contains(trap.Message(), "unreachable") {
		t.Errorf("trap code %v message %q", c, trap.Message())
	}
	// Instantiation errors come back as errors, not crashes.
	bad := watModule(t, k, "badstart", `(module (func $s unreachable) (start $s) (func (export "_start")))`)
	pre, err = bad.plain.pre.get(k.linker, bad.mod)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := instantiatePre(store, pre, "_start"); !errors.As(err, &trap) {
		t.Errorf("trapping start function: %T %v", err, err)
	}
}
