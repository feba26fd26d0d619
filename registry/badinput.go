package registry

import (
	"errors"
	"os"
)

// badInput are the errors that are the user's input, not Orbital failing: a command reports
// them with its bad-input status (2) rather than as a failure (1).
var badInput = []error{ErrBadManifest, ErrBadArchive, ErrNotFound, ErrNotSatisfied, ErrDigest,
	ErrBadSignature, ErrUnsigned, ErrUntrusted, ErrDowngrade, ErrConflict, ErrCycle, ErrInUse,
	ErrNotModule, ErrHTTPStatus, ErrTooLarge, ErrBadURL, ErrNotWasm, os.ErrNotExist}

// IsBadInput reports whether err is about what the user asked for (a module not found, a bad
// manifest or signature, a refused downgrade, a missing file) rather than a failure.
func IsBadInput(err error) bool {
	for _, b := range badInput {
		if errors.Is(err, b) {
			return true
		}
	}
	return false
}
