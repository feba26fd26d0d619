package kernel

// #include <stdlib.h>
// #include "epoch.h"
import "C"

import (
	"sync"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// The epoch-deadline callback lets the kernel decide, once per epoch tick, whether a guest that
// is running WASM code may go on: it stops a killed process within one tick and a process that
// overran its deadline, and continues every other one. wasmtime-go does not bind
// wasmtime_store_epoch_deadline_callback, so this file calls the C API directly (as
// fastpath_cgo.go does for spawning and hostcall_cgo.go for host calls).

// epochSlots maps the opaque slot number handed to C back to its process. A number, not a Go
// pointer, crosses into C (cgo pointer rules). A slot also keeps its store's key in hostStores
// (hostcall_cgo.go), bound and unbound with it.
var (
	epochMu    sync.Mutex
	epochSlots = map[uintptr]epochSlot{}
	epochNext  uintptr
)

type epochSlot struct {
	p     *Process
	store unsafe.Pointer // the key bindHostStore returned
}

// storePtr reads the *wasmtime_store_t out of a *wasmtime.Store. The Go type keeps it in its
// first, unexported field; kernel_test checks the layout assumption (TestStoreLayout) so a
// wasmtime-go upgrade that changes it fails loudly in tests instead of at run time.
func storePtr(s *wasmtime.Store) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(s))
}

// installEpochCallback arms the per-store callback for p. It must run on p's thread, after the
// store exists; releaseEpochSlot undoes the slot when the process ends.
func installEpochCallback(p *Process) {
	key := bindHostStore(p)
	epochMu.Lock()
	epochNext++
	slot := epochNext
	epochSlots[slot] = epochSlot{p, key}
	epochMu.Unlock()
	p.epochSlot = slot
	C.orbital_set_epoch_callback((*C.wasmtime_store_t)(storePtr(p.store)), C.uintptr_t(slot))
}

func releaseEpochSlot(slot uintptr) {
	epochMu.Lock()
	s := epochSlots[slot]
	delete(epochSlots, slot)
	epochMu.Unlock()
	unbindHostStore(s.store, s.p)
}

// Error strings returned to wasmtime live for the life of the program: the C side copies them
// into a wasmtime_error_t, and keeping them static avoids a malloc per interruption.
var (
	msgKilled   = C.CString("orbital: process killed")
	msgDeadline = C.CString("orbital: deadline exceeded")
)

//export orbitalEpochTick
func orbitalEpochTick(slot C.uintptr_t, delta *C.uint64_t) *C.char {
	epochMu.Lock()
	p := epochSlots[uintptr(slot)].p
	epochMu.Unlock()
	*delta = 1
	if p == nil {
		return msgKilled
	}
	switch p.onTick() {
	case tickKilled:
		return msgKilled
	case tickDeadline:
		return msgDeadline
	}
	return nil
}

// storeLayoutOK checks storePtr against the public API: the context of the store pointer it
// reads must be the context wasmtime-go reports. Used by TestStoreLayout.
func storeLayoutOK(s *wasmtime.Store) bool {
	got := unsafe.Pointer(C.wasmtime_store_context((*C.wasmtime_store_t)(storePtr(s))))
	return got == unsafe.Pointer(s.Context())
}
