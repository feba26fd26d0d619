package shell

import (
	"context"

	"github.com/orbital/orbital/compositor"
)

// EventType is an input event's type, numbered as in docs/abi.md ("Input events").
type EventType uint32

const (
	EvKeyDown      EventType = 1
	EvKeyUp        EventType = 2
	EvChar         EventType = 3
	EvMouseMove    EventType = 4
	EvMouseDown    EventType = 5
	EvMouseUp      EventType = 6
	EvScroll       EventType = 7
	EvResize       EventType = 8
	EvFocus        EventType = 9
	EvBlur         EventType = 10
	EvCloseRequest EventType = 11
)

// Modifier bits of Event.Mods (docs/abi.md).
const (
	ModShift uint32 = 1
	ModCtrl  uint32 = 2
	ModAlt   uint32 = 4
	ModSuper uint32 = 8
)

// Event is one input event for a module, in the surface's pixel space. The host turns it into
// the ABI's 32-byte payload; Surface names the compositor surface the event is for (the host
// maps it to the module's own surface id).
type Event struct {
	Type    EventType
	Surface *compositor.Surface
	X, Y    int32 // surface pixels; for EvResize the new width and height
	Code    int32 // mouse button (0 left, 1 right, 2 middle), GLFW key code, or code point
	Mods    uint32
	DX, DY  float32 // scroll
}

// Host is what the shell needs from the rest of Orbital: opening what the user typed,
// delivering input to a process and stopping one. cmd/orbital implements it over the kernel
// and the registry; the shell never imports them.
type Host interface {
	// Open resolves text (a demo name, a path, a file:// or http(s):// URL) and starts the
	// module. It runs on a goroutine of its own and may take long (downloads); progress, if
	// called, reports bytes done and the total (-1 when unknown). It returns the new
	// process's pid once the module has started, or an error whose text is shown on the error
	// line, so it must be one line saying what failed and why.
	Open(ctx context.Context, text string, progress func(done, total int64)) (pid uint32, err error)
	// PostEvent queues ev in the inbox of process pid. It must not block for long.
	PostEvent(pid uint32, ev Event) error
	// Kill stops process pid: a quit request, then a forced stop after a grace period. It may
	// block for that period; the shell calls it off the main thread.
	Kill(pid uint32) error
}
