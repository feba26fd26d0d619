// Declarations for the kernel's host-call trampoline (hostcall.c, hostcall_cgo.go). They match
// wasmtime 39's wasmtime/linker.h, func.h and memory.h; the library itself is linked by
// wasmtime-go.
#ifndef ORBITAL_HOSTCALL_H
#define ORBITAL_HOSTCALL_H
#include <stddef.h>
#include <stdint.h>

typedef struct wasmtime_linker wasmtime_linker_t;
typedef struct wasmtime_caller wasmtime_caller_t;
typedef struct wasm_functype_t wasm_functype_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasmtime_context wasmtime_context_t;

// orbital_define_host links module.name in linker as a store-independent function of type ty
// whose calls reach orbitalHostCall with index.
wasmtime_error_t *orbital_define_host(wasmtime_linker_t *linker, const char *module, size_t module_len,
	const char *name, size_t name_len, const wasm_functype_t *ty, uintptr_t index);

// orbital_memory returns the base and size of memory (a wasmtime_memory_t) in the caller's
// store: one cgo call where wasmtime-go's Memory.UnsafeData makes three. Returned by value, so
// Go passes no pointer to its stack (which would move the variable to the heap).
// The struct is wasmtime_memory_t; a typed pointer without pointers inside spares cgo's
// pointer check.
typedef struct { uint64_t store_id; uint32_t private1; uint32_t private2; } orbital_memory_t;
typedef struct { uint8_t *base; size_t size; } orbital_span_t;
orbital_span_t orbital_memory(wasmtime_caller_t *caller, const orbital_memory_t *memory);
#endif
