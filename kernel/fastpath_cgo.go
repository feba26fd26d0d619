package kernel

/*
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "epoch.h"

// The wasmtime 39 C API types and functions the spawn fast path uses (wasmtime/extern.h,
// instance.h, linker.h, func.h, error.h, trap.h); wasmtime-go links the library itself.
typedef struct wasmtime_linker wasmtime_linker_t;
typedef struct wasmtime_module wasmtime_module_t;
typedef struct wasmtime_instance_pre wasmtime_instance_pre_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct { uint64_t store_id; size_t private_; } wasmtime_instance_t;
typedef struct { uint64_t store_id; void *private_; } wasmtime_func_t;
typedef struct { uint64_t store_id; uint32_t private1; uint32_t private2; } wasmtime_memory_t;
typedef struct {
	uint8_t kind; // 0 func, 3 memory
	union { wasmtime_func_t func; wasmtime_memory_t memory; uint32_t global_[5]; } of;
} wasmtime_extern_t;

extern wasmtime_error_t *wasmtime_linker_instantiate_pre(const wasmtime_linker_t *linker,
	const wasmtime_module_t *module, wasmtime_instance_pre_t **instance_pre);
extern wasmtime_error_t *wasmtime_instance_pre_instantiate(const wasmtime_instance_pre_t *pre,
	wasmtime_context_t *store, wasmtime_instance_t *instance, wasm_trap_t **trap);
extern void wasmtime_instance_pre_delete(wasmtime_instance_pre_t *pre);
extern bool wasmtime_instance_export_get(wasmtime_context_t *store, const wasmtime_instance_t *instance,
	const char *name, size_t name_len, wasmtime_extern_t *item);
extern wasmtime_error_t *wasmtime_func_call(wasmtime_context_t *store, const wasmtime_func_t *func,
	const void *args, size_t nargs, void *results, size_t nresults, wasm_trap_t **trap);
extern void wasmtime_error_delete(wasmtime_error_t *);
extern void wasm_trap_delete(wasm_trap_t *);

typedef struct {
	wasmtime_instance_t instance;
	wasmtime_memory_t memory;
	wasmtime_func_t entry, abi;
	bool has_memory, has_entry, has_abi;
} orbital_exports_t;

static bool orbital_export(wasmtime_context_t *ctx, const wasmtime_instance_t *inst, const char *name,
		uint8_t kind, wasmtime_extern_t *item) {
	size_t n = 0;
	while (name[n]) n++;
	return wasmtime_instance_export_get(ctx, inst, name, n, item) && item->kind == kind;
}

// orbital_instantiate instantiates pre in the store and looks up the exports a process needs:
// memory, the entry point and orbital_abi_version. One call instead of one per step.
static wasmtime_error_t *orbital_instantiate(const wasmtime_instance_pre_t *pre, wasmtime_context_t *ctx,
		const char *entry, orbital_exports_t *out, wasm_trap_t **trap) {
	wasmtime_error_t *err = wasmtime_instance_pre_instantiate(pre, ctx, &out->instance, trap);
	if (err != NULL || *trap != NULL) {
		return err;
	}
	wasmtime_extern_t item;
	if ((out->has_memory = orbital_export(ctx, &out->instance, "memory", 3, &item))) {
		out->memory = item.of.memory;
	}
	if ((out->has_entry = orbital_export(ctx, &out->instance, entry, 0, &item))) {
		out->entry = item.of.func;
	}
	if ((out->has_abi = orbital_export(ctx, &out->instance, "orbital_abi_version", 0, &item))) {
		out->abi = item.of.func;
	}
	return NULL;
}

// The raw value of wasmtime/val.h (wasmtime_val_raw_t): 16 bytes, i32 and i64 little-endian
// at offset 0. Calls through it skip wasmtime-go's Val conversions and the type check; the
// caller checked the function's type once (serve.go).
typedef union { int32_t i32; int64_t i64; uint8_t v128[16]; void *funcref; } orbital_val_raw_t;
extern wasmtime_error_t *wasmtime_func_call_unchecked(wasmtime_context_t *store, const wasmtime_func_t *func,
	orbital_val_raw_t *args_and_results, size_t args_and_results_len, wasm_trap_t **trap);

// orbital_call_i32s calls f(a, b) -> i64 (nargs 2) or f(a) -> i32 (nargs 1); *out gets the result.
static wasmtime_error_t *orbital_call_i32s(wasmtime_context_t *ctx, const wasmtime_func_t *f, int nargs,
		int32_t a, int32_t b, int64_t *out, wasm_trap_t **trap) {
	orbital_val_raw_t v[2];
	for (int i = 0; i < 2; i++) for (int j = 0; j < 16; j++) v[i].v128[j] = 0;
	v[0].i32 = a;
	v[1].i32 = b;
	wasmtime_error_t *err = wasmtime_func_call_unchecked(ctx, f, v, 2, trap);
	*out = nargs == 1 ? (int64_t)v[0].i32 : v[0].i64;
	return err;
}

static wasmtime_error_t *orbital_call0(wasmtime_context_t *ctx, const wasmtime_func_t *f, wasm_trap_t **trap) {
	return wasmtime_func_call(ctx, f, NULL, 0, NULL, 0, trap);
}
*/
import "C"

import (
	"errors"
	"runtime"
	"sync"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// The spawn fast path. wasmtime-go wraps every export lookup and call in Go objects with
// finalizers and reads a function's type on every Func.Call; a process start needs three
// lookups and one call, which cost more than the instantiation itself. So the kernel
// instantiates through a wasmtime InstancePre (the module's imports resolved against the
// kernel's linker once per module and engine, not at every spawn), looks up memory, entry
// point and orbital_abi_version in one C call, and calls the entry point with
// wasmtime_func_call directly. The results are ordinary wasmtime-go values: Instance, Func
// and Memory hold nothing but the C struct (TestFastPathLayout checks it), and errors and
// traps become *wasmtime.Error and *wasmtime.Trap owning the C object, as wasmtime-go's own.

// instancePre is a module's imports resolved against an engine's linker, built on first use.
type instancePre struct {
	once sync.Once
	h    *preHandle
	err  error
}

// preHandle owns the C object; its finalizer deletes it once the compiled code is gone.
type preHandle struct{ ptr *C.wasmtime_instance_pre_t }

// get returns the InstancePre of mod with linker, building it on first use.
func (ip *instancePre) get(linker *wasmtime.Linker, mod *wasmtime.Module) (*preHandle, error) {
	ip.once.Do(func() {
		var pre *C.wasmtime_instance_pre_t
		err := C.wasmtime_linker_instantiate_pre((*C.wasmtime_linker_t)(firstPtr(unsafe.Pointer(linker))),
			(*C.wasmtime_module_t)(firstPtr(unsafe.Pointer(mod))), &pre)
		runtime.KeepAlive(linker)
		runtime.KeepAlive(mod)
		if err != nil {
			ip.err = wrapWasmError(err, nil)
			return
		}
		ip.h = &preHandle{pre}
		runtime.SetFinalizer(ip.h, func(h *preHandle) { C.wasmtime_instance_pre_delete(h.ptr) })
	})
	return ip.h, ip.err
}

// firstPtr reads the pointer a wasmtime-go object keeps in its first, unexported field
// (Linker, Module and Store: the C object), as storePtr does for stores.
func firstPtr(obj unsafe.Pointer) unsafe.Pointer { return *(*unsafe.Pointer)(obj) }

func storeContext(s *wasmtime.Store) *C.wasmtime_context_t {
	return (*C.wasmtime_context_t)(unsafe.Pointer(s.Context()))
}

// fastExports are the exports of a new instance a process needs (nil when absent).
type fastExports struct {
	inst       *wasmtime.Instance
	memory     *wasmtime.Memory
	entry, abi *wasmtime.Func
}

// The entry point names, allocated once for the life of the program.
var cStart, cInitialize = C.CString("_start"), C.CString("_initialize")

// instantiatePre instantiates pre in store and looks up memory, orbital_abi_version and the
// entry point (entry: "_start" or "_initialize").
func instantiatePre(store *wasmtime.Store, pre *preHandle, entry string) (fastExports, error) {
	var out C.orbital_exports_t
	var trap *C.wasm_trap_t
	name := cInitialize
	if entry == "_start" {
		name = cStart
	}
	err := C.orbital_instantiate(pre.ptr, storeContext(store), name, &out, &trap)
	runtime.KeepAlive(store)
	runtime.KeepAlive(pre)
	if err != nil || trap != nil {
		return fastExports{}, wrapWasmError(err, trap)
	}
	var ex fastExports
	ex.inst = new(wasmtime.Instance)
	*(*C.wasmtime_instance_t)(unsafe.Pointer(ex.inst)) = out.instance
	if out.has_memory {
		ex.memory = new(wasmtime.Memory)
		*(*C.wasmtime_memory_t)(unsafe.Pointer(ex.memory)) = out.memory
	}
	if out.has_entry {
		ex.entry = wrapFunc(out.entry)
	}
	if out.has_abi {
		ex.abi = wrapFunc(out.abi)
	}
	return ex, nil
}

func wrapFunc(f C.wasmtime_func_t) *wasmtime.Func {
	fn := new(wasmtime.Func)
	*(*C.wasmtime_func_t)(unsafe.Pointer(fn)) = f
	return fn
}

// call0 calls f, which takes and returns nothing, as Func.Call would, without reading its type.
func call0(store *wasmtime.Store, f *wasmtime.Func) error {
	var trap *C.wasm_trap_t
	err := C.orbital_call0(storeContext(store), (*C.wasmtime_func_t)(unsafe.Pointer(f)), &trap)
	runtime.KeepAlive(store)
	runtime.KeepAlive(f)
	if err != nil || trap != nil {
		return wrapWasmError(err, trap)
	}
	return nil
}

// callI32s calls f, of type (i32, i32) -> i64 (nargs 2) or (i32) -> i32 (nargs 1, b unused),
// without wasmtime-go's conversions; the caller checked f's type.
func callI32s(store *wasmtime.Store, f *wasmtime.Func, nargs int, a, b int32) (int64, error) {
	var trap *C.wasm_trap_t
	var out C.int64_t
	err := C.orbital_call_i32s(storeContext(store), (*C.wasmtime_func_t)(unsafe.Pointer(f)), C.int(nargs), C.int32_t(a), C.int32_t(b), &out, &trap)
	runtime.KeepAlive(store)
	runtime.KeepAlive(f)
	if err != nil || trap != nil {
		return 0, wrapWasmError(err, trap)
	}
	return int64(out), nil
}

// wrapWasmError turns a C error or trap into wasmtime-go's *Error or *Trap, which then own it
// (a trap wins, as in wasmtime-go).
func wrapWasmError(err *C.wasmtime_error_t, trap *C.wasm_trap_t) error {
	if trap != nil {
		if err != nil {
			C.wasmtime_error_delete(err)
		}
		t := new(wasmtime.Trap)
		*(**C.wasm_trap_t)(unsafe.Pointer(t)) = trap
		runtime.SetFinalizer(t, func(t *wasmtime.Trap) { C.wasm_trap_delete(*(**C.wasm_trap_t)(unsafe.Pointer(t))) })
		return t
	}
	if err == nil {
		return errors.New("wasmtime: no error")
	}
	e := new(wasmtime.Error)
	*(**C.wasmtime_error_t)(unsafe.Pointer(e)) = err
	runtime.SetFinalizer(e, func(e *wasmtime.Error) { C.wasmtime_error_delete(*(**C.wasmtime_error_t)(unsafe.Pointer(e))) })
	return e
}
