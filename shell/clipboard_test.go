package shell

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/compositor"
)

// newTestShell is a shell that never opens a window: OnMain's calls wait in its queue until the
// test runs them with runCalls, as the event loop would.
func newTestShell(t *testing.T) *Shell {
	t.Helper()
	s, err := New(Config{Scene: compositor.NewScene(), Host: nopHost{}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// loopUntil runs the queued calls every millisecond, as the event loop does, until stop closes.
func loopUntil(s *Shell, stop <-chan struct{}) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			s.runCalls()
		}
	}
}

func TestOnMain(t *testing.T) {
	s := newTestShell(t)
	stop := make(chan struct{})
	defer close(stop)
	go loopUntil(s, stop)

	var got int
	if err := s.OnMain(context.Background(), func() { got = 42 }); err != nil || got != 42 {
		t.Fatalf("OnMain: %v, fn result %d", err, got)
	}
	err := s.OnMain(context.Background(), func() { panic("glfw: platform error") })
	if err == nil || !strings.Contains(err.Error(), "platform error") {
		t.Fatalf("panic in fn: err %v", err)
	}
}

func TestOnMainGivesUp(t *testing.T) {
	s := newTestShell(t)
	// No loop runs the call; the caller's context ends first (a guest killed while it waits).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ran := make(chan struct{}, 1)
	if err := s.OnMain(ctx, func() { ran <- struct{}{} }); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrClosed) {
		t.Fatalf("ctx ended: err %v, want the context's error", err)
	}
	s.runCalls() // the loop comes back: the abandoned call is skipped
	select {
	case <-ran:
		t.Fatal("fn ran after its caller gave up")
	default:
	}

	close(s.done) // the shell stopped
	if err := s.OnMain(context.Background(), func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: err %v, want ErrClosed", err)
	}
}

// nopHost opens nothing.
type nopHost struct{}

func (nopHost) Open(context.Context, string, func(int64, int64)) (uint32, error) {
	return 0, errors.New("no modules in this test")
}
func (nopHost) PostEvent(uint32, Event) error { return nil }
func (nopHost) Kill(uint32) error             { return nil }
