package shell

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// The desktop clipboard for modules (the kernel's clipboard_read and clipboard_write): GLFW's
// clipboard, which on X11 is the CLIPBOARD selection. GLFW allows clipboard calls on the main
// thread only, so both methods hand the call to the event loop (Do) and wait for its answer.

// ErrClosed is returned by the clipboard methods once the shell has stopped.
var ErrClosed = errors.New("shell: closed")

// MainTimeout bounds how long OnMain waits for the event loop to take a call: a loop that is
// stuck (or not running yet) costs the caller an error, not its goroutine.
const MainTimeout = 2 * time.Second

// ReadClipboard returns the desktop clipboard's text ("" when it holds no text). Safe from any
// goroutine.
func (s *Shell) ReadClipboard(ctx context.Context) (string, error) {
	var text string
	err := s.OnMain(ctx, func() { text = glfw.GetClipboardString() })
	if err != nil {
		return "", fmt.Errorf("shell: read clipboard: %w", err)
	}
	return text, nil
}

// WriteClipboard puts text on the desktop clipboard, where other applications paste it from.
// The shell owns the X selection afterwards and serves it while it runs. Safe from any
// goroutine.
func (s *Shell) WriteClipboard(ctx context.Context, text string) error {
	if err := s.OnMain(ctx, func() { glfw.SetClipboardString(text) }); err != nil {
		return fmt.Errorf("shell: write clipboard: %w", err)
	}
	return nil
}

// OnMain runs fn on the main thread and waits until it has run. It gives up when ctx ends
// (ctx.Err()), after MainTimeout (an error matching context.DeadlineExceeded) or when the shell
// stops (ErrClosed); fn is then skipped if it has not started. A panic in fn (go-gl/glfw reports
// GLFW errors by panicking) comes back as an error. fn's results are safe to read after OnMain
// returns nil.
func (s *Shell) OnMain(ctx context.Context, fn func()) error {
	var gaveUp atomic.Bool
	done := make(chan error, 1)
	s.Do(func() {
		if gaveUp.Load() {
			return
		}
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("%v", r)
			}
		}()
		fn()
		done <- nil
	})
	t := time.NewTimer(MainTimeout)
	defer t.Stop()
	var err error
	select {
	case err = <-done:
		return err
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = fmt.Errorf("the shell's event loop did not answer within %v: %w", MainTimeout, context.DeadlineExceeded)
	case <-s.done:
		err = ErrClosed
	}
	gaveUp.Store(true)
	return err
}
