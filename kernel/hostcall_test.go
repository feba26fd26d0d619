package kernel

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Two probe functions, in test binaries only, check hostcall_cgo.go from inside real host
// calls: the Caller the kernel builds from the C caller is one wasmtime-go accepts (its store
// data is the process), memoryData is the memory wasmtime-go reports, and arguments and results
// of both forms (fn and i32) come through the raw slots intact, negative and 64-bit values
// included. A failed check makes the probe return a value the guest turns into its exit code.
func init() {
	registerHostFuncs(
		hostFunc{name: "test_probe", params: kinds(i32, i64), results: kinds(i64), fn: probeFn},
		hostFunc{name: "test_probe32", params: kinds(i32, i32), results: kinds(i32), i32: probeI32},
		hostFunc{name: "test_fail", params: kinds(i32), results: kinds(i32), fn: probeFail},
	)
}

// probeOK reports whether c's Caller and memory agree with wasmtime-go's own.
func probeOK(c *call) bool {
	if p, _ := c.caller.Data().(*Process); p != c.p {
		return false
	}
	if c.p.memory == nil {
		return true
	}
	fast, slow := c.mem(), c.p.memory.UnsafeData(c.caller)
	return len(fast) == len(slow) && len(fast) > 0 && unsafe.SliceData(fast) == unsafe.SliceData(slow)
}

// test_probe(a, b) -> b + a, or -1 when a check fails.
func probeFn(c *call, a []wasmtime.Val) []wasmtime.Val {
	if !probeOK(c) {
		return i64s(-1)
	}
	return i64s(a[1].I64() + int64(a[0].I32()))
}

// test_probe32(a, b) -> a - b, or 0x7fffffff when a check fails.
func probeI32(c *call, a rawArgs) int32 {
	if !probeOK(c) {
		return 0x7fffffff
	}
	return a.I32(0) - a.I32(1)
}

const probeImports = `
  (import "orbital" "test_probe" (func $probe (param i32 i64) (result i64)))
  (import "orbital" "test_probe32" (func $probe32 (param i32 i32) (result i32)))
  (memory`

// probeBody exits 1 or 2 when a probe's result is wrong, else 0.
const probeBody = `(func (export "_start")
  (if (i64.ne (call $probe (i32.const -5) (i64.const 0x10000000000)) (i64.const 0xfffffffffb)) (then (call $exit (i32.const 1))))
  (if (i32.ne (call $probe32 (i32.const -7) (i32.const 0x7ffffff0)) (i32.const 0x80000009)) (then (call $exit (i32.const 2))))
  (call $exit (i32.const 0)))`

func TestHostCallRawABI(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m := watModule(t, k, "probe", strings.Replace(wat(probeBody), "\n  (memory", probeImports, 1))
	for i := range 3 { // a fresh store each time: the store table is bound and unbound per process
		p := spawn(t, k, m, SpawnOptions{})
		if in := wait(t, p, 10*time.Second); in.ExitCode != 0 || in.State != Exited {
			t.Fatalf("run %d: state %v, exit %d (%s)", i, in.State, in.ExitCode, in.Reason)
		}
		hostStores.Range(func(_, v any) bool {
			if v == p {
				t.Errorf("run %d: its store is still bound after it ended", i)
			}
			return true
		})
	}
}

// A store the kernel did not bind (a benchmark's bare store) finds its process through
// wasmtime-go; a store without a process gets a trap, not a crash.
func TestHostCallUnboundStore(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	wasm, err := wasmtime.Wat2Wasm(`(module
  (import "orbital" "test_probe32" (func $probe32 (param i32 i32) (result i32)))
  (func (export "run") (result i32) (call $probe32 (i32.const 9) (i32.const 4))))`)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := wasmtime.NewModule(k.engine, wasm)
	if err != nil {
		t.Fatal(err)
	}
	threadBudget(t, 64<<20)
	for _, tc := range []struct {
		name string
		data any
	}{{"process", &Process{k: k}}, {"none", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			store := wasmtime.NewStoreWithData(k.engine, tc.data)
			defer store.Close()
			store.SetEpochDeadline(1 << 40)
			inst, err := k.linker.Instantiate(store, mod)
			if err != nil {
				t.Fatal(err)
			}
			v, err := inst.GetFunc(store, "run").Call(store)
			switch {
			case tc.data != nil && (err != nil || v.(int32) != 5):
				t.Errorf("probe through an unbound store: %v %v, want 5", v, err)
			case tc.data == nil && (err == nil || !strings.Contains(err.Error(), "without a process")):
				t.Errorf("probe from a store without a process: %v %v, want a trap", v, err)
			}
		})
	}
}

// test_fail(0) ends the process as proc_fail does, without results; test_fail(1) returns no
// result where one is due (a bug).
func probeFail(c *call, a []wasmtime.Val) []wasmtime.Val {
	if a[0].I32() == 0 {
		c.p.setCause("the probe failed on purpose")
		c.trap = "orbital: test_fail"
	}
	return nil
}

// A function that ends the process (c.trap, as proc_fail and proc_exit do) gives no results:
// the trap is the outcome, not a panic over the missing result. A function that gives too
// few results without a trap is a bug that ends its process only.
func TestHostCallTrapWithoutResults(t *testing.T) {
	for _, tc := range []struct {
		arg      int
		reason   string
		panicked bool
	}{{0, "the probe failed on purpose", false}, {1, "host function orbital.test_fail panicked: 0 results, want 1", true}} {
		sink := &logSink{}
		k := newKernel(t, Config{AllowAll: true, Log: sink.log})
		m := watModule(t, k, "fail", strings.Replace(wat(fmt.Sprintf(`(func (export "_start") (drop (call $fail (i32.const %d))))`, tc.arg)),
			"\n  (memory", "\n  (import \"orbital\" \"test_fail\" (func $fail (param i32) (result i32)))\n  (memory", 1))
		in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second)
		if in.State != Crashed || !strings.Contains(in.Reason, tc.reason) {
			t.Errorf("test_fail(%d): %v %q, want crashed with %q", tc.arg, in.State, in.Reason, tc.reason)
		}
		if got := strings.Contains(sink.String(), "panicked"); got != tc.panicked {
			t.Errorf("test_fail(%d): a panic logged: %v, want %v; log:\n%s", tc.arg, got, tc.panicked, sink)
		}
	}
}
