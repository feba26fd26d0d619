// Package system is one running Orbital: the bus, kernel, registry, policies, native drivers,
// admin panel, control socket, sys.* bus service, log book and output capture of one home,
// assembled once. `orbital run`, `orbital shell` and `orbital up` are thin layers over it.
//
// # Lifecycle
//
// New checks a Config and starts nothing. Start takes the home's lock (an flock on
// run/instance.lock holding the owner's pid: one instance per home; LockTry lets `orbital run`
// run beside the owner as a guest), opens the policies and the registry, makes the kernel,
// then starts the sys.* service, the boot drivers and the admin panel (the last two only as
// the owner). A failure of the lock, policies, registry or kernel undoes what already started,
// newest first; a panel or driver that fails is reported and skipped. Close ends it in one
// order: the panel, a quit request to every process and, after a grace period, a forced stop,
// then the service, the drivers, the kernel, and the lock. Closing twice is harmless.
//
// Every process starts through the instance (Spawn, Run, Open for the URL bar, the kernel's
// Launcher for proc_spawn): its installed identity is found by the digest of its bytes (one
// indexed registry lookup; a lookup that fails refuses the spawn), its stdout and stderr are
// captured into the log book, and how it was started is recorded, so Restart can start any
// module again with output of its own. An ended process leaves the kernel's table once its
// output is read. Why it is built this way: docs/design/lifecycle.md. Output passes through
// to the terminal byte for byte; a WASI command opened from the bar that cannot open a window
// gets a console window for its stdin, stdout and stderr (console.go, docs/design/console.md).
//
// # Concurrency
//
// Instance methods are safe for concurrent use after Start. Instance.mu guards the process
// records, the open captures, the proc_spawn captures in flight and the console windows; it is a leaf lock, never
// held while calling the kernel, the registry or a module. The kernel's own locks (kernel
// doc.go) are taken with no Instance lock held. The admin panel answers from the kernel's
// table and these records, never from a module's thread.
package system
