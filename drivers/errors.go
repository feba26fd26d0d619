package drivers

import (
	"errors"
	"fmt"

	"github.com/orbital/orbital/bus"
)

// Sentinel errors; the messages returned wrap them with the detail.
var (
	// ErrDigest: the executable's sha256 is not the one the manifest names. It is never run.
	ErrDigest = errors.New("driver binary digest mismatch")
	// ErrHandshake: the driver did not complete the handshake (timeout, wrong cookie, version).
	ErrHandshake = errors.New("driver handshake failed")
	// ErrExists: a driver of that name is already running.
	ErrExists = errors.New("driver already running")
	// ErrNotFound: no driver of that name.
	ErrNotFound = errors.New("no such driver")
	// ErrClosed: the manager is shut down.
	ErrClosed = errors.New("driver manager closed")
)

// DigestError says which file had which digest and what was expected.
type DigestError struct {
	Path, Want, Got string
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("driver binary %s has sha256:%s, the manifest says %s: refusing to run it (reinstall the driver package)", e.Path, e.Got, e.Want)
}

func (e *DigestError) Unwrap() error { return ErrDigest }

// abiCode maps a bus error onto the ABI's error codes (docs/abi.md), as the kernel does for
// guests, so a driver sees the same codes a WASM module would.
func abiCode(err error) int32 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, bus.ErrInvalid):
		return -1
	case errors.Is(err, bus.ErrTimeout):
		return -3
	case errors.Is(err, bus.ErrNotFound):
		return -5
	case errors.Is(err, bus.ErrDenied):
		return -6
	case errors.Is(err, bus.ErrFull):
		return -7
	case errors.Is(err, bus.ErrTooBig):
		return -8
	case errors.Is(err, bus.ErrLimit):
		return -9
	case errors.Is(err, bus.ErrClosed):
		return -10
	case errors.Is(err, bus.ErrBadTopic):
		return -11
	case errors.Is(err, bus.ErrRights):
		return -12
	}
	return -13
}
