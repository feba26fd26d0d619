// The C half of the epoch-deadline callback (epoch_cgo.go). A file of its own because a cgo
// preamble that has //export functions may only declare, not define, C functions.
#include "epoch.h"
#include "_cgo_export.h"

static wasmtime_error_t *orbital_epoch_trampoline(wasmtime_context_t *ctx, void *data,
		uint64_t *delta, wasmtime_update_deadline_kind_t *kind) {
	const char *msg = orbitalEpochTick((uintptr_t)data, delta);
	*kind = 0; // WASMTIME_UPDATE_DEADLINE_CONTINUE
	if (msg != NULL) {
		return wasmtime_error_new(msg);
	}
	return NULL;
}

void orbital_set_epoch_callback(wasmtime_store_t *store, uintptr_t slot) {
	wasmtime_store_epoch_deadline_callback(store, orbital_epoch_trampoline, (void *)slot, NULL);
}
