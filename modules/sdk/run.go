//go:build wasip1

package sdk

import (
	"errors"
	"image"
	"time"
)

// maxBatch bounds how many messages one frame gathers, so a flood of input cannot starve
// drawing.
const maxBatch = 1024

// Frame is what Run hands the frame function: the time, and everything that arrived since the
// previous frame. Its slices are valid only during the call.
type Frame struct {
	N        int           // frame number, 0 for the first
	Time     time.Duration // Now() when the frame started
	Delta    time.Duration // time since the previous frame started (0 for the first)
	Events   []Event       // input events for any of the process's surfaces, in arrival order
	Messages []Message     // bus messages (direct, publish, request, reply) in arrival order

	surface *Surface
	err     error
}

// Present shows img on the surface Run drives. An error also ends Run after the frame
// function returns (nil if the error is ErrClosed, the process is stopping).
func (f *Frame) Present(img *image.RGBA) error {
	err := f.surface.Present(img)
	if err != nil && f.err == nil {
		f.err = err
	}
	return err
}

// PresentRegion shows a picture already in a region on the surface Run drives (see
// Surface.PresentRegion); errors end Run as Present's do.
func (f *Frame) PresentRegion(r Region, offset int64, stride int) error {
	err := f.surface.PresentRegion(r, offset, stride)
	if err != nil && f.err == nil {
		f.err = err
	}
	return err
}

// Run drives a frame loop on s at fps frames per second: it calls fn, then waits for input
// until the next frame is due, gathering events and messages into the next Frame. With
// fps <= 0 it calls fn only when something arrived (and once at the start), which suits
// programs that redraw only on input.
//
// Run returns nil when fn returns false, when the kernel sends a quit request, when a blocking
// call reports ErrClosed, or when the user asks to close s (a CloseRequest for s; use Recv
// directly to veto closing). It returns any other error from Recv or Frame.Present. When the
// loop falls behind, it skips ahead rather than bursting frames to catch up.
func Run(s *Surface, fps int, fn func(f *Frame) bool) error {
	var period time.Duration
	if fps > 0 {
		period = time.Second / time.Duration(fps)
	}
	start := Now()
	next, last := start, start
	var events []Event
	var msgs []Message
	for n := 0; ; n++ {
		now := Now()
		f := &Frame{N: n, Time: now, Events: events, Messages: msgs, surface: s}
		if n > 0 {
			f.Delta = now - last
		}
		last = now
		if !fn(f) {
			return nil
		}
		if f.err != nil {
			return quitErr(f.err)
		}
		events, msgs = nil, nil
		next += period
		if t := Now(); next < t-period {
			next = t
		}
		quit, err := gather(s, period, next, &events, &msgs)
		if quit || err != nil {
			return quitErr(err)
		}
	}
}

// gather receives messages until the deadline next (or, with period 0, until at least one
// arrived and the inbox is drained). quit reports that the loop should end cleanly.
func gather(s *Surface, period, next time.Duration, events *[]Event, msgs *[]Message) (quit bool, err error) {
	for got := 0; got < maxBatch; got++ {
		timeout := Forever
		switch {
		case period > 0:
			timeout = max(next-Now(), 0)
		case got > 0:
			timeout = 0
		}
		m, err := Recv(timeout)
		if errors.Is(err, ErrTimeout) {
			if period > 0 && timeout > 0 {
				continue // woken early by the host: wait out the rest of the frame
			}
			return false, nil
		}
		if err != nil {
			return true, err
		}
		switch m.Kind {
		case KindQuit:
			return true, nil
		case KindEvent:
			ev, err := m.Event()
			if err != nil {
				Warnf("sdk: dropping input event: %v", err)
				continue
			}
			if c, ok := ev.(CloseRequest); ok && c.Surface == s.id {
				return true, nil
			}
			*events = append(*events, ev)
		default:
			*msgs = append(*msgs, m)
		}
	}
	return false, nil
}

// quitErr maps the errors that mean "the process is stopping" to a clean nil.
func quitErr(err error) error {
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}
