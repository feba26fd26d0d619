//go:build wasip1

package sdk

import (
	"fmt"
	"os"
	"unsafe"
)

// The script family of docs/abi.md ("Scripts"): how an interpreter module (the JavaScript
// engine) gets the program it runs, and reports that program's failure.

//go:wasmimport orbital script_read
func hostScriptRead(buf unsafe.Pointer, n int32) int32

//go:wasmimport orbital proc_fail
func hostProcFail(reason string) int32

// Script returns the script the embedder handed this process at spawn: its file name (for
// messages) and its source. ErrNotFound: the process was started without one.
func Script() (file string, source []byte, err error) {
	n := hostScriptRead(nil, 0)
	if n < 0 {
		return "", nil, fmt.Errorf("orbital: read the script: %w", Errno(n))
	}
	buf := make([]byte, n)
	r := hostScriptRead(unsafe.Pointer(unsafe.SliceData(buf)), n)
	if r < 0 {
		return "", nil, fmt.Errorf("orbital: read the script: %w", Errno(r))
	}
	return DecodeScript(buf[:r])
}

// Fail ends the process as crashed (exit code 134) with reason as what `orbital ps`, the
// admin panel and `orbital run` show: an interpreter's report of its program's syntax error
// or uncaught exception. It does not return; should the host refuse the call, the reason goes
// to stderr and the process exits with status 70.
func Fail(reason string) {
	hostProcFail(reason)
	fmt.Fprintln(os.Stderr, reason)
	os.Exit(70)
}
