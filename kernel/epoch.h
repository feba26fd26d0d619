// Declarations of the two wasmtime C API functions the kernel calls directly (the Go bindings
// do not expose the epoch-deadline callback). They match wasmtime 39's wasmtime/store.h and
// wasmtime/error.h; the library itself is linked by wasmtime-go.
#include <stdint.h>

typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef uint8_t wasmtime_update_deadline_kind_t;

extern void wasmtime_store_epoch_deadline_callback(wasmtime_store_t *store,
	wasmtime_error_t *(*func)(wasmtime_context_t *context, void *data,
		uint64_t *epoch_deadline_delta, wasmtime_update_deadline_kind_t *update_kind),
	void *data, void (*finalizer)(void *));
extern wasmtime_error_t *wasmtime_error_new(const char *);
extern wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *store);

void orbital_set_epoch_callback(wasmtime_store_t *store, uintptr_t slot);
