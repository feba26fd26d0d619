package kernel

import (
	"context"
	"errors"
	"strconv"

	"github.com/orbital/orbital/bus"
)

// ABIVersion is the version of the host ABI this kernel provides (docs/abi.md).
const ABIVersion = 1

// abiModule is the WASM import module name of the Orbital host ABI.
const abiModule = "orbital"

// Error codes of the host ABI. docs/abi.md is the source of truth; this is the one place the
// host spells them.
const (
	errInvalid  int32 = -1  // an argument is out of range
	errFault    int32 = -2  // a pointer/length pair is outside the guest's memory
	errTimeout  int32 = -3  // the timeout passed with nothing to return
	errTooSmall int32 = -4  // the guest's buffer is too small; the message stays queued
	errNotFound int32 = -5  // no such pid, subscriber, surface, region or subscription
	errDenied   int32 = -6  // the namespace does not grant this
	errFull     int32 = -7  // the receiver's inbox stayed full for the whole timeout
	errTooBig   int32 = -8  // payload larger than the bus maximum
	errLimit    int32 = -9  // a per-process limit was reached
	errClosed   int32 = -10 // the process is being stopped
	errBadTopic int32 = -11 // malformed topic
	errRights   int32 = -12 // the handle lacks the right for this operation
	errInternal int32 = -13 // a host-side failure; the kernel log has the detail
	errNetwork  int32 = -14 // a network request failed (DNS, connect, TLS, HTTP); the process log has the detail
	errCrashed  int32 = -15 // the service instance a call went to ended before it replied, or could not run
)

// codeName is an ABI error code's name as docs/abi.md spells it, for messages.
func codeName(code int32) string {
	names := [...]string{"", "ERR_INVALID", "ERR_FAULT", "ERR_TIMEOUT", "ERR_TOO_SMALL", "ERR_NOT_FOUND",
		"ERR_DENIED", "ERR_FULL", "ERR_TOO_BIG", "ERR_LIMIT", "ERR_CLOSED", "ERR_BAD_TOPIC", "ERR_RIGHTS",
		"ERR_INTERNAL", "ERR_NETWORK", "ERR_CRASHED"}
	if code < 0 && int(-code) < len(names) {
		return names[-code]
	}
	return "error " + strconv.Itoa(int(code))
}

// errorCodes maps Go errors (bus sentinels and the kernel's own) to ABI codes. Families add
// their sentinels with registerErrorCode in an init function; lookup walks the table with
// errors.Is, so wrapped errors map too.
var errorCodes = []struct {
	err  error
	code int32
}{
	{bus.ErrInvalid, errInvalid},
	{bus.ErrTimeout, errTimeout},
	{bus.ErrNotFound, errNotFound},
	{bus.ErrDenied, errDenied},
	{bus.ErrFull, errFull},
	{bus.ErrTooBig, errTooBig},
	{bus.ErrLimit, errLimit},
	{bus.ErrClosed, errClosed},
	{bus.ErrBadTopic, errBadTopic},
	{bus.ErrRights, errRights},
	{context.DeadlineExceeded, errTimeout},
	{context.Canceled, errClosed},
}

// registerErrorCode adds a Go error to the ABI code table. Call it from init only.
func registerErrorCode(err error, code int32) {
	errorCodes = append(errorCodes, struct {
		err  error
		code int32
	}{err, code})
}

// codeOf maps err to an ABI error code; nil is 0 and an unknown error is ERR_INTERNAL.
func codeOf(err error) int32 {
	if err == nil {
		return 0
	}
	for _, e := range errorCodes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return errInternal
}

// Message kinds as they appear in the message layout (docs/abi.md).
const (
	kindEvent = 16 // input event from the shell
	kindQuit  = 17 // quit request: exit soon, the kernel kills after a grace period
)

// eventSize is the payload size of a kind-16 input event.
const eventSize = 32

// maxSurfaceSide bounds a surface's width and height.
const maxSurfaceSide = 8192

// maxLogLine is the longest guest log line kept; longer lines are cut with a marker.
const maxLogLine = 4096
