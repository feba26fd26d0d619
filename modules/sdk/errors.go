package sdk

import "strconv"

// Errno is a negative error code returned by a host function (docs/abi.md, "Error codes").
// Compare with errors.Is against the named values below.
type Errno int32

// The ABI's error codes, named as in docs/abi.md.
const (
	ErrInvalid  Errno = -1  // an argument is out of range
	ErrFault    Errno = -2  // a pointer/length pair is outside linear memory (an SDK bug)
	ErrTimeout  Errno = -3  // the timeout passed with nothing to return
	ErrTooSmall Errno = -4  // the buffer is too small; the message stays queued
	ErrNotFound Errno = -5  // no such pid, topic subscriber, surface, region or subscription
	ErrDenied   Errno = -6  // the namespace does not grant this (see `orbital audit`)
	ErrFull     Errno = -7  // the receiver's inbox stayed full for the whole timeout
	ErrTooBig   Errno = -8  // the payload is larger than the bus's maximum; nothing was sent
	ErrLimit    Errno = -9  // a per-process limit was reached
	ErrClosed   Errno = -10 // the process is being stopped: return from the main loop and exit
	ErrBadTopic Errno = -11 // malformed topic
	ErrRights   Errno = -12 // the handle lacks the right for this operation
	ErrInternal Errno = -13 // a host-side failure; the kernel log has the detail
	ErrNetwork  Errno = -14 // a network request failed (DNS, connect, TLS, HTTP); the process log has the detail
	ErrCrashed  Errno = -15 // the service's process that had the call ended before it replied, or could not start

	// The GPU driver's own codes (docs/abi.md, "GPU").
	ErrCompile Errno = -64 // the shader does not compile or link (GPUError.Diagnostics say where)
	ErrBudget  Errno = -65 // the GPU work ran past its time budget and was abandoned
	ErrLost    Errno = -66 // the GPU context holding it is gone; compile or create it again
)

var errnoNames = map[Errno]string{
	ErrInvalid:  "ERR_INVALID: argument out of range",
	ErrFault:    "ERR_FAULT: pointer outside guest memory",
	ErrTimeout:  "ERR_TIMEOUT: timed out",
	ErrTooSmall: "ERR_TOO_SMALL: buffer too small",
	ErrNotFound: "ERR_NOT_FOUND: not found",
	ErrDenied:   "ERR_DENIED: not granted by the namespace",
	ErrFull:     "ERR_FULL: receiver inbox full",
	ErrTooBig:   "ERR_TOO_BIG: payload too big",
	ErrLimit:    "ERR_LIMIT: per-process limit reached",
	ErrClosed:   "ERR_CLOSED: process is stopping",
	ErrBadTopic: "ERR_BAD_TOPIC: malformed topic",
	ErrRights:   "ERR_RIGHTS: handle lacks the right",
	ErrInternal: "ERR_INTERNAL: host failure (see the kernel log)",
	ErrNetwork:  "ERR_NETWORK: network request failed (see the process log)",
	ErrCrashed:  "ERR_CRASHED: the service crashed before it replied",
	ErrCompile:  "ERR_COMPILE: the shader does not compile",
	ErrBudget:   "ERR_BUDGET: the GPU work ran past its time budget",
	ErrLost:     "ERR_LOST: the GPU context is gone",
}

func (e Errno) Error() string {
	if s, ok := errnoNames[e]; ok {
		return "orbital: " + s
	}
	return "orbital: unknown error code " + strconv.Itoa(int(e))
}

// check turns an i32 host result into (value, error).
func check(r int32) (int32, error) {
	if r < 0 {
		return 0, Errno(r)
	}
	return r, nil
}
