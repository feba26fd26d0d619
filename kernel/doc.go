// Package kernel runs WASM modules as Orbital processes: one wasmtime engine per kernel, one
// store and one OS thread per process, a process table, limits, the compiled-module cache and
// the host ABI of docs/abi.md. The full design notes (how a process ends and its exit codes,
// fuel, the cache's entry layout, every host family) are in docs/design/kernel.md.
//
// # Lifecycle
//
// New builds the engine, one linker (WASI preview 1 plus every `orbital` host function) and
// the epoch ticker; Close force-kills every process and waits for their threads. Load compiles
// a module through the cache and refuses, with one line naming the file, anything that is not
// a runnable core WASM module. Spawn allocates a pid, attaches the bus inbox, builds the store
// and instance on the caller's thread (link errors are Spawn's) and hands the process to its
// own thread: starting -> running <-> blocked -> exited or crashed. Ended processes stay in
// the table until Forget. Reactors exporting orbital_service_handle serve calls (serve.go);
// WASM-4 carts run a frame loop (cart.go) and hand their tones to Config.Sound without
// waiting (cart_sound.go: the system's audio output owns the device); Reload replaces a process's code in place, keeping
// pid, inbox and subscriptions (reload.go).
//
// # Concurrency
//
// Each process runs on a goroutine locked to an OS thread for its whole life; after Spawn every
// wasmtime object of the process is touched only on that thread, and host functions run there.
// Other goroutines reach a process only through atomics, its context (cancelled by a kill), its
// inbox, and Info under Process.mu. Kill posts a quit request, then after Config.QuitGrace
// forces: the context is cancelled and the epoch callback (epoch_cgo.go, every Config.Tick)
// traps the guest, so a kill or a runaway loop ends within a tick of its deadline.
//
// # Lock order
//
//	Kernel.mu (process table) -> Process.mu (Info) -> bus locks (Inbox.Stats)
//
// No lock is held while calling into wasmtime, the display or a blocking bus operation, except
// Module.fuel.mu and Kernel.fuelMu while compiling for or building the fuel engine (the compile
// cache's locks, each a leaf, nest inside). The epoch-slot map, the thread pool and the module
// byte intern are leaf locks.
//
// # Limits and cache
//
// One memory ceiling per process over all its memories and tables, created by the kernel and
// charged to its process tree (memlimit_cgo.go, tree.go), each memory starting from a
// copy-on-write image of the module's data (memimage.go); deadline, fuel (a second engine),
// CPU share, surfaces and inbox limits; policy ceilings lower them at Spawn. Compiled modules
// are cached in memory and under <home>/cache/compiled (cache_entry.go), keyed by the module's
// fingerprint and the engine settings (engineOptions), checked per MiB and mapped from a
// private sealed copy; both levels are bounded (cachebound.go).
//
// # Host ABI
//
// abi.go maps Go errors to ABI codes in one table; each family lives in host_<family>.go and
// registers its hostFuncs from init. Doors a user may open at once go through checkDoor and
// Config.Asker (ask.go). Guest memory is reached only through bounds-checked call.bytes.
// Every host function is linked through wasmtime's unchecked ABI (hostcall_cgo.go): the
// process is found by its store in hostStores, with no lock and no value conversions.
//
// wasmtime-go v39 is the runtime; golang.org/x/sys/unix gives the thread CPU clock.
package kernel
