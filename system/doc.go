// Package system is one running Orbital: the bus, kernel, registry, policies, native drivers,
// admin panel, control socket, sys.* bus service, log book and output capture of one home,
// assembled once, and the lifecycle of its modules (triggers, restart policy, jobs, reload).
// `orbital run`, `orbital shell` and `orbital up` are thin layers over it. With
// Config.Cluster the instance is a node of a cluster (cluster.go, clustercalls.go over package
// cluster; docs/design/cluster.md): announcements, the bus and calls across nodes, spawn with
// placement, failover of restart = "always" services.
//
// # Lifecycle
//
// New checks a Config and starts nothing. Start takes the home's lock (an flock on
// run/instance.lock holding the owner's pid; LockTry lets `orbital run` be a guest beside the
// owner), opens the policies and the registry, makes the kernel, then starts the sys.*
// service and, as the owner, the boot drivers, the admin panel and the triggers of the
// installed modules (boot, schedules, tasks, topic relays). A failure of the lock, policies,
// registry or kernel undoes what already started, newest first; a panel or driver that fails
// is reported and skipped. Close ends it in one order: triggers and restarts, the panel, a
// quit request to every process then a forced stop, the relays, the service, the drivers, the
// kernel, the lock. Closing twice is harmless.
//
// Every process starts through the instance (Spawn, Run, Open for the URL bar, the kernel's
// Launcher for proc_spawn, the supervisor): identity by digest (a failed lookup refuses the
// spawn), output passed through byte for byte and captured into the log book, start recorded
// so Restart can start any module again with output of its own. A WASI command opened from the
// bar that cannot open a window gets a console window (console.go). With Config.Prompt the
// instance asks the user (ask.go): at open about what a manifest requests beyond policy, and
// at the doors about what policy refused a running module. Reasons and semantics:
// docs/design/lifecycle.md, docs/design/console.md.
//
// With Config.HTTP the owner serves the modules' HTTP routes (httproutes.go: the table from
// the policies; httpdeliver.go: a request is a call of the module, method "http", through the
// dispatcher below, with its instances, start on demand and idle stop; docs/design/http.md).
// Backup and Restore (backup.go) snapshot a home, through the running instance for its
// storage, and bring it back (docs/design/backup.md).
//
// Services by name (services.go, services_idle.go): the instance is the kernel's
// Config.Services. A pool per installed service holds instances = N slots, each a supervisor
// unit; a call goes to the running slot with the fewest calls in flight, starts one when none
// runs, and an idle timer stops them; Call is the embedder's entry (docs/design/services.md).
//
// # Concurrency
//
// Instance methods are safe for concurrent use after Start. The supervisor owns one goroutine
// per timed job, per topic relay and per supervised process (its watcher); Close stops them.
// Lock order: services.mu -> supervisor.mu -> Instance.mu -> logBook.mu. supervisor.mu is released while a
// process spawns (the unit is "starting" meanwhile); Instance.mu guards the records, captures
// and console windows. No lock of this package is held while calling the kernel, the registry
// or the bus, except the logBook's, which calls nothing.
package system
