// Package drivers runs Orbital's native drivers: executables that touch hardware outside the
// kernel's process, appear on the bus like any module (a pid that publishes, subscribes and
// answers requests) and share large data (camera frames, GPU buffers) through memfd regions
// instead of copies.
//
// A driver is an executable in a registry package of kind "driver", verified by digest before
// every exec (copied into a sealed memfd while hashed, so the bytes that run are the bytes
// checked), started through a sandboxing trampoline (its own process group, no-new-privs,
// rlimits, a fresh environment, close-on-exec descriptors, a network namespace unless it asks
// for the network), and spoken to over a socketpair with package wire's framing after a
// versioned handshake (driverkit is the driver's side). Every message a process sends a driver
// passes the device door (Config.CheckDevice). Protocol version 2 also tells a driver who each
// sender is and when it leaves, and lets it report refusals and usage.
//
// # Lifecycle
//
// A Manager holds the Drivers of one instance; a Driver supervises its instances: verify, exec,
// handshake, run (a pump to the socket, a reader of the driver's operations, a heartbeat), and
// stop on request, crash, hang or protocol violation (Stop frame, SIGTERM to the group, SIGKILL,
// reap), restarting on failure with a doubling backoff under the same bus pid up to
// MaxRestarts. A binary whose digest stops matching is never retried. Drivers get pids from
// FirstPID (1<<20) up.
//
// # Concurrency
//
// Manager and Driver methods are safe from any goroutine. Each instance owns its reader, pump,
// heartbeat and output goroutines plus bounded request goroutines, all ended by its shutdown,
// which runs once. Lock order: Manager.mu, then Driver.mu, then instance.mu; instance.rmu (the
// region map) is taken alone.
//
// Linux only (memfd, SCM_RIGHTS, prctl, namespaces). docs/design/drivers.md has the protocol's
// reasons, exactly what the sandbox does and does not isolate, and the measured costs.
package drivers
