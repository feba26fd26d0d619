// Package kernel runs WASM modules as Orbital processes: one wasmtime engine per kernel, one
// store and one OS thread per process, a process table, limits, the compiled-module cache and
// the host ABI of docs/abi.md.
//
// # Lifecycle
//
// New builds the engine, a single store-independent linker (WASI preview 1 plus every
// `orbital` host function) and starts the epoch ticker (the fuel engine and its linker come
// later, on the first metered spawn); Close force-kills every process, waits
// for their threads and stops the ticker (twice is harmless). Load/LoadFile compile a module
// through the cache and refuse, with one line naming the file, anything that is not a core
// WASM module, does not compile, imports what the kernel does not provide, or has neither
// _start nor _initialize. Spawn allocates a pid, attaches the process's bus inbox, builds the
// store and instance on the caller's thread (so link errors are Spawn's errors; spawn.go,
// fastpath_cgo.go) and hands the process to its own thread. A process
// goes starting -> running <-> blocked (in recv) -> exited or crashed; "stopping" is shown
// while a quit request is pending. Ended processes stay in the table (List, Info) until Forget.
// A WASM-4 cart (cart.go, cart_run.go) is recognised at Load by its env.memory import; it is
// linked against the console's functions and runs its frame loop instead of an entry point
// (docs/design/wasm4.md).
//
// A reactor that exports orbital_service_handle (serve.go) does not end after _initialize:
// its thread stays in serve, takes the inbox's calls one at a time and calls the handler for
// each, between calls blocked on the inbox; a quit request ends it. Calls by name (service.go,
// host_call.go) are picked by Config.Services (system's dispatcher) and delivered with
// Process.Call; its reload safe point is between two handler calls; docs/design/services.md.
//
// Reload (reload.go, reload_thread.go) moves a running process to new code in place: the pid,
// inbox, subscriptions, regions, surfaces, children and policy binding stay; the store and
// instance are replaced on the process's own thread when the guest next calls recv (the old
// code is unwound by a trap returned from that host call, after its orbital_reload_save ran),
// and the old code comes back, with the saved state, if the new code fails within
// Config.ReloadGrace. Nested host calls (the guest's exports called from a host call) are
// allowed; Process.hostCall is saved and restored around them (docs/design/reload.md).
//
// How a process ends, and its Info.Reason / ExitCode:
//   - _start returns or proc_exit(n): exited, code n.
//   - a trap: crashed, 134 ("trap: ..."), plus the memory figures when it ended within
//     max(limit/8, 4 MiB) of its memory ceiling (wasmtime's limiter refuses memory.grow
//     silently, so a refused grow usually surfaces as a trap or a Go "out of memory" exit).
//   - deadline: crashed, 134, "deadline exceeded: ran X without returning to the host".
//   - fuel spent: crashed, 134, "out of fuel: used its limits.fuel budget of N units (set by
//     policy FILE:LINE); raise limits.fuel there" (or naming SpawnOptions.Limits.Fuel or
//     Config.Limits.Fuel when no policy set it).
//   - a Go panic in a host function: crashed, 134, "host function orbital.NAME panicked: ...".
//     The panic is recovered in the host-call wrapper (host.go) and turned into a trap of that
//     process only.
//   - Kill: exited, 137, "killed" (or "killed: still running 2s after the quit request").
//
// # Threading
//
// Each process runs on its own goroutine locked to an OS thread (runtime.LockOSThread) for
// its whole life (threads.go keeps a few idle goroutines for the next processes). Spawn builds
// the store and instance on its caller's thread; from then on every wasmtime object of the
// process (store, instance, memory) is touched only on the process thread. Host functions run
// on the calling process's thread and find their *Process through the store's data. Other goroutines talk to a process only through atomics
// (killed, stopping, lastHost, cause), its context (cancelled by a kill, which wakes a recv
// blocked in the bus), its inbox, and Info under Process.mu.
//
// Kill works in two steps, as docs/abi.md promises: post a kind-17 quit request, then after
// Config.QuitGrace (2 s) force: set killed, cancel the context. Force reaches the guest in
// every state: a blocked recv returns at once and the host-call wrapper traps; guest code
// running in a tight loop is interrupted at the next epoch tick. The ticker goroutine (owned
// by the kernel) increments the engine epoch every Config.Tick (10 ms); each store's deadline
// is one tick ahead and its epoch-deadline callback (epoch_cgo.go, cgo, because
// wasmtime-go does not bind wasmtime_store_epoch_deadline_callback) runs onTick: trap if
// killed, trap if the guest has been running longer than Limits.Deadline since it last entered
// or left an `orbital` host function, otherwise continue for one more tick. So a kill lands
// within one tick and an infinite loop ends within its deadline plus one tick (well inside 2x).
// wasmtime's own WASI poll_oneoff (a guest's time.Sleep) sleeps in native code nothing can
// interrupt, so the kernel links its own (wasi_poll.go) that waits on the process's context: a
// sleeping guest is killed at once too. A guest blocked in another native WASI call (a blocking
// fd_read of a pipe) still cannot be interrupted until that call returns; Orbital guests wait
// with recv.
//
// CPU time is the thread's CPU clock (CLOCK_THREAD_CPUTIME_ID), read by the process's own
// thread at every epoch tick, before blocking in recv, at present and at exit; memory size is
// sampled at the same points (except ticks, where the store cannot be read).
//
// # Lock order
//
//	Kernel.mu (process table) -> Process.mu (Info) -> bus locks (Inbox.Stats)
//
// No lock is held while calling into wasmtime, the display or a blocking bus operation, with
// two exceptions taken with no other lock held: Module.fuel.mu, held while the module is
// compiled for the fuel engine (so concurrent metered spawns compile it once; the compile
// cache's locks nest inside, moduleCache.mu and moduleCache.diskMu, each a leaf, never held
// together), and Kernel.fuelMu, held while the fuel engine is built. The epoch-slot map
// (epochMu), the idle process goroutines (threadPool.mu) and the shared module bytes
// (wasmIntern.mu) are leaf locks; a module's InstancePre is built once under its sync.Once,
// with no lock of the kernel's held. wasmtime-go's own global store lock is taken inside
// Caller.Data and is a leaf too.
//
// # Limits
//
// Per process (Limits, defaults in Config.Limits): one memory ceiling (256 MiB) over all its
// linear memories and tables, which the kernel creates itself and charges to the process's
// budget and its process tree's (memlimit_cgo.go, tree.go; at most 2 memories and 2 tables
// per module, tables of bounded size), starting each memory from a copy-on-write image of the
// module's data (memimage.go: the data is taken out of the module before it is compiled and
// mapped privately from a sealed memfd); a process tree's count (64 besides the root) and
// memory (4x the root's ceiling); handler deadline (10 s; <0 none), surfaces (8), the bus inbox
// limits, a fuel budget (0, unmetered, by default) and a CPU share (0, uncapped). A limit hit
// ends that process only, except the CPU share, which holds the guest back (cpushare.go: the
// epoch callback compares the thread's CPU time with wall time and waits when the guest is
// ahead of its share; the wait ends on a kill and does not count toward the deadline; Info
// reports Throttled). Policy ceilings (limits.memory, limits.deadline, limits.fuel,
// limits.cpu) lower them at Spawn.
//
// Fuel (fuel.go) is a lifetime budget of wasm fuel units, about one per instruction executed
// (a host call costs the guest nothing; a library's code counts against its caller). wasmtime
// meters fuel per engine, and a metering engine compiles a counter into every block of every
// module: 20-60 % slower on tight loops (BenchmarkFuel: 1.25x on a multiply-add loop). So
// metering is not turned on for everyone: the kernel has a second engine, identical but for
// fuel, built on the first spawn with Limits.Fuel > 0 and advanced by the same epoch ticker
// (kill and deadline work the same on it), with its own linker. A metered process's module and
// libraries are compiled for that engine on first need, once per Module (Module.fuel, under its
// mutex, so concurrent spawns compile once) and through the compile cache under their own key
// (fuelEngineSettings). Its store starts with SetFuel(Limits.Fuel); when the budget is spent
// wasmtime traps and the process ends as crashed. Info.Fuel is what it spent, sampled at host
// calls and at exit; Info.Limits.Fuel is the budget. Module keeps its WASM bytes for this.
//
// # Compile cache
//
// Compiled modules are kept in memory per kernel and on disk under
// <home>/cache/compiled/<key>.cwasm (wasmtime's code, then the memories' images) with
// <key>.sum beside it (cache_entry.go). key = sha256(module fingerprint + wasmtime version +
// engine settings + GOOS/GOARCH); the fingerprint (length, CRC-32C, CRC-32) is cheap, so the
// entry is read while the module's sha256 is computed (or not at all: LoadDigest takes the
// registry's verified digest), and the entry is used only if its .sum names that sha256.
// Compiled code is valid only for the exact wasmtime and engine configuration that produced
// it: engineOptions (engine.go) is one table from which both the engines' configuration and
// the settings in the key are made, and it names the rule that splits data out of modules
// (memImageRule) too; the fuel engine's code is an entry of its own. An entry is written
// atomically (temp file, fsync, rename, fsync dir) and only after the module passed the import
// check, so a refused module leaves nothing in the home. On load each MiB is checked against
// its CRC-32C before wasmtime deserializes (it trusts the machine code it is given); a
// missing, truncated or corrupt entry is removed and recompiled, never a crash. An entry is
// copied into sealed memfds, checked there and mapped from those private copies
// (cache_copy.go), never from the file, which anyone truncating it in place would turn into a
// SIGBUS of the kernel. Figures: BenchmarkStart, BenchmarkCachedStart,
// docs/design/performance.md.
//
// Both levels are bounded (cachebound.go): Config.CacheMemory (256 MiB) and Config.CacheDisk
// (1 GiB), least recently used first out (on disk by modification time, which a hit
// refreshes). A miss compiles only a module within Config.Compile (registry.WasmLimits: size,
// functions, body size, locals and other counts), checked by one pass over its sections before
// wasmtime sees it; docs/design/limits.md has the figures.
//
// # Host ABI
//
// abi.go holds the error codes and the one table mapping Go errors (bus sentinels included) to
// them. Each family of host functions lives in host_<family>.go and registers a []hostFunc
// from init (host_core.go: log, time, pid, recv; host_surface.go: surfaces; host_bus.go:
// send, publish, subscribe, request, reply and regions, on top of package bus; host_clip.go:
// clipboard_read and clipboard_write over Config.Clipboard, each call run on a goroutine of
// its own so that a clipboard that never answers costs the guest ERR_TIMEOUT after 5 s and a
// kill ends the wait at once; host_net.go: http_fetch, the host-side HTTP(S) client behind the
// net.allow list, answering in a region; host_proc.go: proc_spawn and proc_kill over
// Config.Launcher, children attenuated by their parent and their exits posted as KindExit;
// host_call.go: call and reply_error, services by name behind the [bus] call door;
// script.go: script_read and proc_fail, the program an interpreter module runs
// (SpawnOptions.Script, Module.WithScript) and its crash with the program's own reason).
// Doors the user may open at once (net, spawn, clipboard) go through checkDoor, which asks
// Config.Asker before refusing (ask.go). A hostFunc
// gets a *call with the process and bounds-checked access to guest memory (call.bytes returns
// ok=false for any pointer/length outside memory: ERR_FAULT), c.Context() for blocking and
// c.block to show the process as blocked. Families keep per-process state in Process.local and
// register cleanups in Process.atExit, both touched only on the process thread.
//
// # Libraries
//
// wasmtime-go v39 (Cranelift, epoch interruption, store limiter, WASI preview 1, serialized
// modules): the runtime the design names; golang.org/x/sys/unix for the per-thread CPU clock.
package kernel
