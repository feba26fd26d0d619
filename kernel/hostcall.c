// The C half of the host-call trampoline (hostcall_cgo.go). A file of its own because a cgo
// preamble that has //export functions may only declare, not define, C functions.
#include "hostcall.h"
#include "_cgo_export.h"

typedef orbital_memory_t wasmtime_memory_t;
typedef union { int32_t i32; int64_t i64; uint8_t v128[16]; void *funcref; } wasmtime_val_raw_t;
typedef wasm_trap_t *(*wasmtime_func_unchecked_callback_t)(void *env, wasmtime_caller_t *caller,
	wasmtime_val_raw_t *args_and_results, size_t num_args_and_results);

extern wasmtime_error_t *wasmtime_linker_define_func_unchecked(wasmtime_linker_t *linker,
	const char *module, size_t module_len, const char *name, size_t name_len,
	const wasm_functype_t *ty, wasmtime_func_unchecked_callback_t cb, void *data, void (*finalizer)(void *));
extern wasmtime_context_t *wasmtime_caller_context(wasmtime_caller_t *caller);
extern uint8_t *wasmtime_memory_data(const wasmtime_context_t *store, const wasmtime_memory_t *memory);
extern size_t wasmtime_memory_data_size(const wasmtime_context_t *store, const wasmtime_memory_t *memory);

static wasm_trap_t *orbital_host_trampoline(void *env, wasmtime_caller_t *caller,
		wasmtime_val_raw_t *args, size_t n) {
	return orbitalHostCall((uintptr_t)env, caller, wasmtime_caller_context(caller), args, n);
}

wasmtime_error_t *orbital_define_host(wasmtime_linker_t *linker, const char *module, size_t module_len,
		const char *name, size_t name_len, const wasm_functype_t *ty, uintptr_t index) {
	return wasmtime_linker_define_func_unchecked(linker, module, module_len, name, name_len, ty,
		orbital_host_trampoline, (void *)index, NULL);
}

orbital_span_t orbital_memory(wasmtime_caller_t *caller, const orbital_memory_t *memory) {
	wasmtime_context_t *ctx = wasmtime_caller_context(caller);
	orbital_span_t s;
	s.size = wasmtime_memory_data_size(ctx, memory);
	s.base = wasmtime_memory_data(ctx, memory);
	return s;
}
