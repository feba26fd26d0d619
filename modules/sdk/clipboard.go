//go:build wasip1

package sdk

import (
	"fmt"
	"unsafe"
)

// The clipboard family of docs/abi.md ("Clipboard"). Both calls need the module's policy to
// grant `[ui] clipboard = true`; otherwise they fail with ErrDenied (and `orbital audit` shows
// the refusal). A kernel without a clipboard gives ErrNotFound.

//go:wasmimport orbital clipboard_read
func hostClipboardRead(buf unsafe.Pointer, n int32) int32

//go:wasmimport orbital clipboard_write
func hostClipboardWrite(text string) int32

// MaxClipboard is the largest text the host passes either way (1 MiB); more is ErrTooBig.
const MaxClipboard = 1 << 20

// ReadClipboard returns the desktop clipboard's text ("" when it holds none). Errors wrap an
// Errno: ErrDenied (no grant), ErrNotFound (no clipboard), ErrTimeout (the clipboard did not
// answer), ErrTooBig (more than MaxClipboard), ErrClosed (the process is stopping).
func ReadClipboard() (string, error) {
	buf := make([]byte, 4096)
	// The clipboard can change between the size query and the read; a few rounds settle it.
	for range 4 {
		r := hostClipboardRead(unsafe.Pointer(unsafe.SliceData(buf)), int32(len(buf)))
		if r >= 0 {
			return string(buf[:r]), nil
		}
		if Errno(r) != ErrTooSmall {
			return "", fmt.Errorf("orbital: read clipboard: %w", Errno(r))
		}
		n := hostClipboardRead(nil, 0) // buf_cap 0: the length only
		if n < 0 {
			return "", fmt.Errorf("orbital: read clipboard: %w", Errno(n))
		}
		buf = make([]byte, int(n)+int(n)/8+64)
	}
	return "", fmt.Errorf("orbital: read clipboard: it changed size on every try: %w", ErrTooSmall)
}

// WriteClipboard puts text on the desktop clipboard. Errors wrap an Errno: ErrDenied,
// ErrNotFound, ErrTimeout, ErrClosed as for ReadClipboard; ErrInvalid when text is not valid
// UTF-8; ErrTooBig when it is longer than MaxClipboard.
func WriteClipboard(text string) error {
	if r := hostClipboardWrite(text); r < 0 {
		return fmt.Errorf("orbital: write clipboard (%d bytes): %w", len(text), Errno(r))
	}
	return nil
}
