// Command orbital owns main(), the flags, the printing and the exit codes of the CLI verbs; the
// instance itself (orbital run, shell, up) is package system, and what a verb needs beyond
// parsing and printing lives in the package it belongs to. The verbs are one table (main.go);
// each runs with a command (command.go): its flag set, --home, the usage line and the error
// prefix "orbital VERB:". Exit codes: 0 success, 2 bad input (a missing file, a bad flag, a
// corrupt module, another instance holding the home), 1 any other failure; `orbital run` exits
// with the module's own exit code, as `wasmtime run` does: 134 when it trapped, overran a limit
// or hit a host panic (128+SIGABRT), 137 when it was killed after ignoring a quit request;
// with several TARGETs, the first non-zero in order.
package main
