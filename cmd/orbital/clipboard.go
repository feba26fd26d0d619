package main

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/shell"
)

// shellClipboard gives the kernel the shell's desktop clipboard. The kernel is made before the
// shell (the shell's host needs it), so the shell is set once it exists; a module that asks
// before then (none can: modules start from the shell's loop) gets an error.
type shellClipboard struct{ sh atomic.Pointer[shell.Shell] }

var errNoShell = errors.New("the shell is not open yet")

func (c *shellClipboard) ReadClipboard(ctx context.Context) (string, error) {
	sh := c.sh.Load()
	if sh == nil {
		return "", errNoShell
	}
	return sh.ReadClipboard(ctx)
}

func (c *shellClipboard) WriteClipboard(ctx context.Context, text string) error {
	sh := c.sh.Load()
	if sh == nil {
		return errNoShell
	}
	return sh.WriteClipboard(ctx, text)
}

var _ kernel.Clipboard = (*shellClipboard)(nil)
