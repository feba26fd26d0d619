package sdk

import (
	"encoding/binary"
	"fmt"
	"math"
)

// EventSize is the size of an input event's payload.
const EventSize = 32

// Event is one input event for a surface. It is one of the concrete types below; use a type
// switch:
//
//	switch e := ev.(type) {
//	case sdk.MouseDown:
//		start(e.X, e.Y)
//	case sdk.Char:
//		typed(e.Rune)
//	}
type Event interface {
	// SurfaceID is the surface the event is for.
	SurfaceID() int32
}

// Mods is a set of modifier keys held during an event.
type Mods uint32

// Modifier bits.
const (
	ModShift Mods = 1
	ModCtrl  Mods = 2
	ModAlt   Mods = 4
	ModSuper Mods = 8
)

// Button is a mouse button.
type Button int32

// Mouse buttons.
const (
	ButtonLeft   Button = 0
	ButtonRight  Button = 1
	ButtonMiddle Button = 2
)

// Key is a GLFW key code: printable keys are their upper-case ASCII value ('A', '1', ' ').
type Key int32

// A few GLFW key codes beyond the printable ones.
const (
	KeySpace      Key = 32
	KeyEscape     Key = 256
	KeyEnter      Key = 257
	KeyTab        Key = 258
	KeyBackspace  Key = 259
	KeyDelete     Key = 261
	KeyArrowRight Key = 262
	KeyArrowLeft  Key = 263
	KeyArrowDown  Key = 264
	KeyArrowUp    Key = 265
)

// Event types, as in docs/abi.md ("Input events"). Every one carries the surface id (Surface)
// and the modifiers held (Mods), which the host sends with every event.
type (
	// KeyDown is a key going down (type 1).
	KeyDown struct {
		Surface int32
		Key     Key
		Mods    Mods
	}
	// KeyUp is a key going up (type 2).
	KeyUp struct {
		Surface int32
		Key     Key
		Mods    Mods
	}
	// Char is a typed character, after keyboard layout (type 3).
	Char struct {
		Surface int32
		Rune    rune
		Mods    Mods
	}
	// MouseMove is the pointer moving over the surface (type 4).
	MouseMove struct {
		Surface int32
		X, Y    int
		Mods    Mods
	}
	// MouseDown is a button going down at X, Y (type 5).
	MouseDown struct {
		Surface int32
		X, Y    int
		Button  Button
		Mods    Mods
	}
	// MouseUp is a button going up at X, Y (type 6).
	MouseUp struct {
		Surface int32
		X, Y    int
		Button  Button
		Mods    Mods
	}
	// Scroll is a wheel or touchpad scroll at X, Y (type 7).
	Scroll struct {
		Surface int32
		X, Y    int
		DX, DY  float32
		Mods    Mods
	}
	// Resize says the surface's window is now Width x Height (type 8); present at that size
	// after calling Surface.Resize.
	Resize struct {
		Surface       int32
		Width, Height int
	}
	// Focus says the surface got the keyboard focus (type 9).
	Focus struct{ Surface int32 }
	// Blur says the surface lost the keyboard focus (type 10).
	Blur struct{ Surface int32 }
	// CloseRequest says the user asked to close the surface's window (type 11).
	CloseRequest struct{ Surface int32 }
)

func (e KeyDown) SurfaceID() int32      { return e.Surface }
func (e KeyUp) SurfaceID() int32        { return e.Surface }
func (e Char) SurfaceID() int32         { return e.Surface }
func (e MouseMove) SurfaceID() int32    { return e.Surface }
func (e MouseDown) SurfaceID() int32    { return e.Surface }
func (e MouseUp) SurfaceID() int32      { return e.Surface }
func (e Scroll) SurfaceID() int32       { return e.Surface }
func (e Resize) SurfaceID() int32       { return e.Surface }
func (e Focus) SurfaceID() int32        { return e.Surface }
func (e Blur) SurfaceID() int32         { return e.Surface }
func (e CloseRequest) SurfaceID() int32 { return e.Surface }

// DecodeEvent parses a 32-byte input-event payload. An unknown type is an error, so a newer
// host's events are reported rather than misread.
func DecodeEvent(p []byte) (Event, error) {
	if len(p) < EventSize {
		return nil, fmt.Errorf("orbital: input event of %d bytes, want %d", len(p), EventSize)
	}
	le := binary.LittleEndian
	typ := le.Uint32(p[0:])
	sid := int32(le.Uint32(p[4:]))
	x, y := int(int32(le.Uint32(p[8:]))), int(int32(le.Uint32(p[12:])))
	code := int32(le.Uint32(p[16:]))
	mods := Mods(le.Uint32(p[20:]))
	switch typ {
	case 1:
		return KeyDown{sid, Key(code), mods}, nil
	case 2:
		return KeyUp{sid, Key(code), mods}, nil
	case 3:
		return Char{sid, rune(code), mods}, nil
	case 4:
		return MouseMove{sid, x, y, mods}, nil
	case 5:
		return MouseDown{sid, x, y, Button(code), mods}, nil
	case 6:
		return MouseUp{sid, x, y, Button(code), mods}, nil
	case 7:
		dx := math.Float32frombits(le.Uint32(p[24:]))
		dy := math.Float32frombits(le.Uint32(p[28:]))
		return Scroll{sid, x, y, dx, dy, mods}, nil
	case 8:
		return Resize{sid, x, y}, nil
	case 9:
		return Focus{sid}, nil
	case 10:
		return Blur{sid}, nil
	case 11:
		return CloseRequest{sid}, nil
	}
	return nil, fmt.Errorf("orbital: unknown input event type %d", typ)
}
