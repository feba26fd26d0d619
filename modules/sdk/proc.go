//go:build wasip1

package sdk

import (
	"fmt"
	"strings"
	"unsafe"
)

//go:wasmimport orbital proc_spawn
func hostProcSpawn(name string, args unsafe.Pointer, argsLen int32) int32

//go:wasmimport orbital proc_kill
func hostProcKill(pid int32, force int32) int32

// Spawn starts the installed module name as a child of this process, with args as its
// arguments, and returns its pid. The child's namespace is its own policy's, cut down to what
// this process holds; its end arrives as a KindExit message (Message.Exit). Errors: ErrDenied
// (the policy's process.spawn does not name the module), ErrNotFound (no such module),
// ErrLimit (too many children alive), ErrInvalid (a name with '/' or a NUL in an argument).
func Spawn(name string, args ...string) (uint32, error) {
	joined, err := joinArgs(name, args)
	if err != nil {
		return 0, err
	}
	p, n := bytesPtr(joined)
	pid, err := check(hostProcSpawn(name, p, n))
	if err != nil {
		return 0, fmt.Errorf("orbital: spawn %s: %w", name, err)
	}
	return uint32(pid), nil
}

// Kill stops a child of this process: with force at once, otherwise with a quit request
// first (the child has the kernel's grace period to exit). ErrNotFound: not a live child.
func Kill(pid uint32, force bool) error {
	f := int32(0)
	if force {
		f = 1
	}
	if _, err := check(hostProcKill(int32(pid), f)); err != nil {
		return fmt.Errorf("orbital: kill child %d: %w", pid, err)
	}
	return nil
}

// joinArgs is proc_spawn's argument block: args separated by NUL.
func joinArgs(name string, args []string) ([]byte, error) {
	for _, a := range args {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, fmt.Errorf("orbital: spawn %s: argument %q holds a NUL byte: %w", name, a, ErrInvalid)
		}
	}
	joined := []byte(strings.Join(args, "\x00"))
	if len(args) == 1 && args[0] == "" {
		joined = []byte{0} // one empty argument, not none
	}
	return joined, nil
}
