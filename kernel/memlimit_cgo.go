package kernel

// #include <stdlib.h>
// #include "memlimit.h"
import "C"

import (
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// One memory ceiling per process, over all its linear memories (issue 18, defect 2). wasmtime's
// store limiter bounds each memory on its own, so a module with 40 memories could hold 40
// ceilings. The kernel therefore creates every linear memory itself (wasmtime's host memory
// creator, memlimit.c): each memory is charged to the budget of the process whose thread
// creates it, at creation and at every growth, and a growth past the budget fails (memory.grow
// returns -1, as at the store limiter's ceiling). A budget may have a parent, charged too: the
// process tree's budget (tree.go). The count of memories and tables and the size of each
// table are bounded by the store limiter (storeLimits), and the tables' worst case is charged
// to the budget when the process starts, so one ceiling covers memories and tables.
//
// A memory reserves its full address range up front (wasmtime's reservation and guard, or the
// budget's limit for a memory that could move) and never moves; only what is charged is
// readable and writable. wasmtime's copy-on-write memory images do not apply to memories it
// does not create, so the kernel maps its own (memimage.go): a module's data segments are
// taken out before it is compiled and mapped copy-on-write when its memories are created.

// budget is a C budget (memlimit.c). The zero value is no budget.
type budget struct{ c *C.orbital_budget }

func newBudget(limit int64, parent budget) budget {
	return budget{C.orbital_budget_new(C.int64_t(limit), parent.c)}
}

// release drops this reference; memories still alive keep the budget until they go.
func (b budget) release() {
	if b.c != nil {
		C.orbital_budget_release(b.c)
	}
}

// enter makes b the budget of the calling thread's memories (no budget: none may be created)
// and returns the one it replaces. The caller is locked to its thread.
func (b budget) enter() budget { return budget{C.orbital_budget_enter(b.c)} }

func (b budget) charge(n int64) bool { return C.orbital_budget_charge(b.c, C.int64_t(n)) != 0 }
func (b budget) uncharge(n int64)    { C.orbital_budget_uncharge(b.c, C.int64_t(n)) }
func (b budget) used() int64         { return int64(C.orbital_budget_used(b.c)) }
func (b budget) peak() int64         { return int64(C.orbital_budget_peak(b.c)) }
func (b budget) refused() int64      { return int64(C.orbital_budget_refused(b.c)) }

// setMemoryCreator makes the engine of c create its linear memories through memlimit.c.
func setMemoryCreator(c *wasmtime.Config) { C.orbital_set_memory_creator(configPtr(c)) }

// setMemoryInitCOW turns wasmtime's copy-on-write memory images on or off (wasmtime-go has no
// setter); they work only in memories wasmtime creates and must be off with the kernel's
// memory creator (wasmtime panics otherwise).
func setMemoryInitCOW(c *wasmtime.Config, on bool) {
	C.wasmtime_config_memory_init_cow_set(configPtr(c), C._Bool(on))
}

// configPtr is c's *wasm_config_t: wasmtime.Config keeps it in its first, unexported field (as
// Store does, see storePtr); TestMemoryCreatorInstalled fails if that changes.
func configPtr(c *wasmtime.Config) *C.wasm_config_t {
	return (*C.wasm_config_t)(*(*unsafe.Pointer)(unsafe.Pointer(c)))
}
