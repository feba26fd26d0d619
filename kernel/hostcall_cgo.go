package kernel

// #include <stdlib.h>
// #include "hostcall.h"
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Host calls through wasmtime's unchecked ABI. wasmtime-go's Linker.FuncNew costs, per call,
// a store lookup under a global lock, one cgo call per argument and result to read or write a
// wasmtime_val_t, the result types read back through cgo, and a few allocations: more than the
// work of a cheap host function. The kernel defines its functions with
// wasmtime_linker_define_func_unchecked instead. A C trampoline (hostcall.c) hands
// orbitalHostCall the function's index, the caller, its store context and the raw argument
// array; the process is found by its store context in hostStores (bound with its epoch
// callback, epoch_cgo.go) and the i32/i64 slots are read and written in place. A function's
// types were fixed when it was defined, so nothing is checked again per call.

// hostStores maps a store's context pointer (fixed for the store's life, wasmtime/store.h) to
// the process whose store it is. A store not bound here (a test's bare store) is found through
// wasmtime-go's own store data, more slowly.
// The key is the C pointer itself: pointer-shaped, it goes into an interface without an
// allocation (a uintptr would be boxed on every lookup).
var hostStores sync.Map // unsafe.Pointer (a C wasmtime_context_t) -> *Process

// bindHostStore records p as the owner of its current store and returns the key to unbind.
func bindHostStore(p *Process) unsafe.Pointer {
	key := unsafe.Pointer(p.store.Context())
	hostStores.Store(key, p)
	return key
}

// unbindHostStore forgets the store of key if p still owns it; call it before the store closes.
func unbindHostStore(key unsafe.Pointer, p *Process) {
	if key != nil {
		hostStores.CompareAndDelete(key, p)
	}
}

// rawArgs is the argument array of one host call: 16-byte slots, little-endian, each i32 and
// i64 at the slot's start (wasmtime_val_raw_t). Results are written over the arguments.
type rawArgs struct{ p unsafe.Pointer }

func (a rawArgs) I32(i int) int32       { return *(*int32)(unsafe.Add(a.p, 16*i)) }
func (a rawArgs) I64(i int) int64       { return *(*int64)(unsafe.Add(a.p, 16*i)) }
func (a rawArgs) setI32(i int, v int32) { *(*int32)(unsafe.Add(a.p, 16*i)) = v }
func (a rawArgs) setI64(i int, v int64) { *(*int64)(unsafe.Add(a.p, 16*i)) = v }

// vals converts the arguments of a function with params to wasmtime-go values.
func (a rawArgs) vals(params []wasmtime.ValKind) []wasmtime.Val {
	vs := make([]wasmtime.Val, len(params))
	for i, k := range params {
		switch k {
		case wasmtime.KindI64:
			vs[i] = wasmtime.ValI64(a.I64(i))
		case wasmtime.KindF32:
			vs[i] = wasmtime.ValF32(math.Float32frombits(uint32(a.I32(i))))
		case wasmtime.KindF64:
			vs[i] = wasmtime.ValF64(math.Float64frombits(uint64(a.I64(i))))
		default:
			vs[i] = wasmtime.ValI32(a.I32(i))
		}
	}
	return vs
}

// store writes results, which must match kinds, over the arguments.
func (a rawArgs) store(kinds []wasmtime.ValKind, results []wasmtime.Val) error {
	if len(results) != len(kinds) {
		return fmt.Errorf("%d results, want %d", len(results), len(kinds))
	}
	for i, k := range kinds {
		if results[i].Kind() != k {
			return fmt.Errorf("result %d is %v, want %v", i, results[i].Kind(), k)
		}
		switch k {
		case wasmtime.KindI64:
			a.setI64(i, results[i].I64())
		case wasmtime.KindF32:
			a.setI32(i, int32(math.Float32bits(results[i].F32())))
		case wasmtime.KindF64:
			a.setI64(i, int64(math.Float64bits(results[i].F64())))
		default:
			a.setI32(i, results[i].I32())
		}
	}
	return nil
}

// rawFuncs are the functions defineFuncs linked, by the index their trampoline passes: the
// tables are fixed after init, so one index serves every kernel.
var rawFuncs = sync.OnceValue(func() []*hostFunc {
	fs := make([]*hostFunc, 0, len(hostFuncs)+len(wasiOverrides))
	for i := range hostFuncs {
		fs = append(fs, &hostFuncs[i])
	}
	for i := range wasiOverrides {
		fs = append(fs, &wasiOverrides[i])
	}
	return fs
})

// rawIndex is f's index in rawFuncs.
func rawIndex(f *hostFunc) (int, bool) {
	for i, g := range rawFuncs() {
		if g == f {
			return i, true
		}
	}
	return 0, false
}

// defineFuncs links fs (entries of hostFuncs or wasiOverrides) into l under module.
func defineFuncs(l *wasmtime.Linker, module string, fs []hostFunc) error {
	for i := range fs {
		f := &fs[i]
		idx, ok := rawIndex(f)
		if !ok {
			return fmt.Errorf("%s.%s: not a registered host function", module, f.name)
		}
		ps := make([]*wasmtime.ValType, len(f.params))
		for i, k := range f.params {
			ps[i] = wasmtime.NewValType(k)
		}
		rs := make([]*wasmtime.ValType, len(f.results))
		for i, k := range f.results {
			rs[i] = wasmtime.NewValType(k)
		}
		if f.i32 != nil && (len(f.results) != 1 || f.results[0] != i32) {
			return fmt.Errorf("%s.%s: an i32 host function returns one i32", module, f.name)
		}
		ty := wasmtime.NewFuncType(ps, rs)
		cm, cn := C.CString(module), C.CString(f.name)
		err := C.orbital_define_host((*C.wasmtime_linker_t)(firstPtr(unsafe.Pointer(l))), cm, C.size_t(len(module)),
			cn, C.size_t(len(f.name)), (*C.wasm_functype_t)(firstPtr(unsafe.Pointer(ty))), C.uintptr_t(idx))
		C.free(unsafe.Pointer(cm))
		C.free(unsafe.Pointer(cn))
		runtime.KeepAlive(l)
		runtime.KeepAlive(ty)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", module, f.name, wrapWasmError((*C.wasmtime_error_t)(unsafe.Pointer(err)), nil))
		}
	}
	return nil
}

//export orbitalHostCall
func orbitalHostCall(index C.uintptr_t, caller *C.wasmtime_caller_t, ctx *C.wasmtime_context_t, args unsafe.Pointer, n C.size_t) *C.wasm_trap_t {
	f := rawFuncs()[index]
	var p *Process
	if v, ok := hostStores.Load(unsafe.Pointer(ctx)); ok {
		p = v.(*Process)
	} else { // a store the kernel did not bind: ask wasmtime-go
		cl := new(wasmtime.Caller)
		setCallerPtr(cl, unsafe.Pointer(caller))
		p, _ = cl.Data().(*Process)
		setCallerPtr(cl, nil)
	}
	if p == nil {
		return takeTrap(wasmtime.NewTrap("orbital: host call from a store without a process"))
	}
	return takeTrap(invoke(f, p, unsafe.Pointer(caller), rawArgs{args}))
}

// setCallerPtr points a wasmtime-go Caller at the C caller c (its only field;
// TestHostCallLayout checks it).
func setCallerPtr(cl *wasmtime.Caller, c unsafe.Pointer) { *(*unsafe.Pointer)(unsafe.Pointer(cl)) = c }

func callerPtr(cl *wasmtime.Caller) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(cl)) }

// takeTrap hands t's C object to wasmtime, which then owns it (nil stays nil).
func takeTrap(t *wasmtime.Trap) *C.wasm_trap_t {
	if t == nil {
		return nil
	}
	runtime.SetFinalizer(t, nil)
	ptr := *(**C.wasm_trap_t)(unsafe.Pointer(t))
	*(**C.wasm_trap_t)(unsafe.Pointer(t)) = nil
	return ptr
}

// memoryData is m's bytes in the caller's store, as m.UnsafeData(caller) in one cgo call.
func memoryData(caller *wasmtime.Caller, m *wasmtime.Memory) []byte {
	c := callerPtr(caller)
	if c == nil {
		panic("orbital: guest memory read outside a host call")
	}
	s := C.orbital_memory((*C.wasmtime_caller_t)(c), (*C.orbital_memory_t)(unsafe.Pointer(m)))
	runtime.KeepAlive(m)
	if s.base == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(s.base)), int(s.size))
}
