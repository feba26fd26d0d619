// Command orbital owns main(), the flags, the printing and the exit codes of the CLI verbs; the
// instance itself (orbital run, shell, up) is package system. Each verb is a file of its own
// (run.go, shell.go, install.go, ...) that registers itself in init, so the verb table in
// main.go never needs editing. `orbital up` and `orbital shell` exit 2 when another instance
// holds the home. Exit codes: 0 success, 2 bad input
// (a missing file, a bad flag, a corrupt module), 1 any other failure; `orbital run` exits with
// the module's own exit code, as `wasmtime run` does: 134 when it trapped, overran a limit or
// hit a host panic (128+SIGABRT, what `wasmtime run` reports for a trap), 137 when it was
// killed after ignoring a quit request; with several TARGETs, the first non-zero in order.
package main
