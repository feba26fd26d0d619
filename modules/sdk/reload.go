//go:build wasip1

package sdk

import "unsafe"

// Hot reload (docs/abi.md, "Reload"): `orbital reload` moves a running process to new code in
// place. The kernel calls these two exports from inside recv (the process waits there, between
// messages): orbital_reload_save on the old code, orbital_reload_restore on the new code at its
// first recv, before any message. Go runs an export called during a host call on the calling
// goroutine's stack, and lets it allocate, collect garbage and switch goroutines; so save and
// restore may do anything but wait for another goroutine that is itself waiting in the host.

var (
	reloadSave    func() []byte
	reloadRestore func([]byte)
	reloadSaved   []byte // what save returned, kept alive until the kernel has copied it
)

// OnReload makes the process keep its state across a reload. save is called on the old code
// when a reload is about to replace it and returns the state as bytes; restore is called on
// the new code with those bytes, before it receives its first message. Call OnReload before
// the first Recv (or Run). Without it the new code starts fresh (its windows and
// subscriptions are handed back to it when it asks for them again, see NewSurface and
// Subscribe).
//
// A restore that cannot use the bytes (an older format it does not know) should panic: the
// new code then fails within the grace period and the kernel rolls the process back to the
// old code, with its state.
func OnReload(save func() []byte, restore func([]byte)) {
	reloadSave, reloadRestore = save, restore
}

// orbitalReloadSave is orbital_reload_save() -> i64: the state's length << 32 | its address,
// or ERR_NOT_FOUND without OnReload.
//
//go:wasmexport orbital_reload_save
func orbitalReloadSave() int64 {
	if reloadSave == nil {
		return int64(ErrNotFound)
	}
	reloadSaved = reloadSave()
	p, n := bytesPtr(reloadSaved)
	return int64(n)<<32 | int64(uintptr(p))
}

// orbitalReloadRestore is orbital_reload_restore(region, len) -> i32: the state is in the
// region, which the kernel releases when the call returns.
//
//go:wasmexport orbital_reload_restore
func orbitalReloadRestore(region, n int32) int32 {
	if reloadRestore == nil {
		return int32(ErrNotFound)
	}
	b := make([]byte, n)
	if n > 0 {
		if r := hostRegionRead(region, 0, unsafe.Pointer(unsafe.SliceData(b)), n); r < 0 {
			return r
		}
	}
	reloadRestore(b)
	return 0
}
